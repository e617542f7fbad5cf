"""The graph engine's core: the connections of the whole community in memory, answering degrees,
mutual connections, the 2nd-degree network and paths. Pure: it knows dense integer ids and numpy
arrays, nothing of FastAPI, SQLAlchemy or the models."""

from vinculo.graph.index import GraphIndex, GraphStats, warm_up
from vinculo.graph.kernels import GraphArrays
from vinculo.graph.snapshot import Snapshot

__all__ = ["GraphArrays", "GraphIndex", "GraphStats", "Snapshot", "warm_up"]
