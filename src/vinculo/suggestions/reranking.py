"""The second look at the best candidates: a reranker fitted on the community's own network.

`ranking.rank` scores every candidate with the additive points of `ranking.points`, cheap
enough for thousands of candidates and easy to put into words. The best `DEPTH` of them are then
looked at again with what is too costly to compute for all (paths of three steps, the
connections among the mutual connections, the classic indices) and ordered by a `Reranker`, a
linear model over those and the first score's own inputs. Its weights are fitted on the
community's own connections (`vinculo.suggestions.fitting`), because what predicts a connection
in a college of a thousand members is not what predicts it in a university of twenty thousand;
see docs/adr/0007-suggestions-ranking.md.

So once a community has a fitted reranker, the reranker decides the order of the best `DEPTH`
candidates, and the first score's points only choose those candidates and the reasons shown.
Each of its inputs is a named column (`NAMES`, `column`): a signal's weight is
`reranker.weight(name)`.

Pure: numpy and the compiled kernels.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from vinculo.suggestions import kernels

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

DEPTH = 200  # the candidates looked at again


@dataclass(frozen=True)
class _Candidates:
    """What the columns are made of, for some candidates: the mutual term of their first score
    (`ranking.mutual_term`), their first-stage features (`kernels.collect`) and what the graph
    says of them (`kernels.structure`)."""

    mutual: FloatArray
    features: FloatArray
    structure: FloatArray

    def feature(self, at: int) -> FloatArray:
        return self.features[:, at]

    def graph(self, at: int) -> FloatArray:
        return self.structure[:, at]

    @property
    def connections(self) -> FloatArray:
        """The candidates' numbers of connections, at least 1."""
        return np.maximum(self.feature(kernels.CONNECTIONS), 1.0)

    @property
    def link_density(self) -> FloatArray:
        """The connections among the mutual connections, over how many there could be."""
        common = self.graph(kernels.COMMON)
        return self.graph(kernels.LINKS) / np.maximum(common * (common - 1) / 2, 1.0)


# The reranker's columns, in order: each with its name and how it is made.
_MADE: tuple[tuple[str, Callable[[_Candidates], FloatArray]], ...] = (
    ("mutual_term", lambda c: c.mutual),
    ("organizations_shared", lambda c: c.feature(kernels.PLACES)),
    ("organization_log_sizes", lambda c: c.feature(kernels.PLACES + 1)),
    ("organization_log_years", lambda c: c.feature(kernels.PLACES + 2)),
    ("schools_shared", lambda c: c.feature(kernels.PLACES + 3)),
    ("school_log_sizes", lambda c: c.feature(kernels.PLACES + 4)),
    ("school_log_years", lambda c: c.feature(kernels.PLACES + 5)),
    ("same_sector", lambda c: c.feature(kernels.SAME_SECTOR)),
    ("same_location", lambda c: c.feature(kernels.SAME_LOCATION)),
    ("shared_groups", lambda c: c.feature(kernels.SHARED_GROUPS)),
    ("log_common", lambda c: np.log1p(c.graph(kernels.COMMON))),
    ("log_adamic_adar", lambda c: np.log1p(c.graph(kernels.ADAMIC_ADAR))),
    ("log_resource", lambda c: np.log1p(100.0 * c.graph(kernels.RESOURCE))),
    ("log_connections", lambda c: np.log(c.connections)),
    ("log_three_steps", lambda c: np.log1p(c.graph(kernels.THREE_STEPS))),
    ("log_links", lambda c: np.log1p(c.graph(kernels.LINKS))),
    ("log_link_weight", lambda c: np.log1p(10.0 * c.graph(kernels.LINK_WEIGHT))),
    ("link_density", lambda c: c.link_density),
    (
        "log_link_weight_per_connection",
        lambda c: np.log1p(10.0 * c.graph(kernels.LINK_WEIGHT) / c.connections**0.25),
    ),
)
# Then a grid over the mutual term and the candidate's number of connections: one indicator per
# cell lets the model bend where the additive score is straight. Cell `cell_<i>_<j>` holds the
# candidates whose mutual term is in band i of MUTUAL_EDGES (0: below the first edge) and whose
# log(connections) is in band j of CONNECTION_EDGES. Cell 0_0 is left out: the cells add up to
# one for every candidate, which a choice among one member's candidates cannot tell from nothing.
MUTUAL_EDGES = np.array([0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 5])
CONNECTION_EDGES = np.log(np.array([20, 40, 80, 160, 320]))
CELLS = (len(MUTUAL_EDGES) + 1) * (len(CONNECTION_EDGES) + 1)
_CELL_NAMES = tuple(
    f"cell_{i}_{j}" for i in range(len(MUTUAL_EDGES) + 1) for j in range(len(CONNECTION_EDGES) + 1)
)

NAMES: tuple[str, ...] = tuple(name for name, _ in _MADE) + _CELL_NAMES[1:]
COLUMNS = len(NAMES)


def column(name: str) -> int:
    """Where the column called `name` is in `design`'s rows and in a reranker's weights."""
    return NAMES.index(name)


@dataclass(frozen=True)
class Reranker:
    """A linear score over `design`'s columns, standardized by the mean and scale seen when
    fitting. `examples` is how many members it was fitted on."""

    mean: FloatArray
    scale: FloatArray
    weights: FloatArray
    examples: int

    def score(self, x: FloatArray) -> FloatArray:
        result: FloatArray = ((x - self.mean) / self.scale) @ self.weights
        return result

    def weight(self, name: str) -> float:
        """The weight of the column called `name`, per standard deviation of it."""
        return float(self.weights[column(name)])

    def to_json(self) -> dict[str, Any]:
        """What is stored of it: each column's name, mean, scale and weight, and its examples."""
        return {
            "columns": list(NAMES),
            "mean": self.mean.tolist(),
            "scale": self.scale.tolist(),
            "weights": self.weights.tolist(),
            "examples": self.examples,
        }

    @classmethod
    def from_json(cls, stored: dict[str, Any]) -> Reranker | None:
        """A stored reranker, or None when it was fitted on other columns (by another release,
        which this one's worker will fit again)."""
        if stored.get("columns") != list(NAMES):
            return None
        return cls(
            np.array(stored["mean"], np.float64),
            np.array(stored["scale"], np.float64),
            np.array(stored["weights"], np.float64),
            int(stored["examples"]),
        )


def design(mutual: FloatArray, features: FloatArray, structure: FloatArray) -> FloatArray:
    """The reranker's inputs for some candidates, the `COLUMNS` columns of `NAMES`: from the
    mutual term of their first score (`ranking.mutual_term`), their first-stage features
    (`kernels.collect`) and what `kernels.structure` says of them."""
    candidates = _Candidates(mutual, features, structure)
    band = np.searchsorted(MUTUAL_EDGES, mutual)
    cell = band * (len(CONNECTION_EDGES) + 1) + np.searchsorted(
        CONNECTION_EDGES, np.log(candidates.connections)
    )
    cells = np.zeros((len(mutual), CELLS))
    cells[np.arange(len(mutual)), cell] = 1.0
    return np.column_stack([made(candidates) for _, made in _MADE] + [cells[:, 1:]])


def conditional_logit(
    x: FloatArray, y: FloatArray, starts: IntArray, *, ridge: float = 1e-2
) -> FloatArray:
    """Weights maximizing the likelihood that each member's hidden connections are the ones
    picked among their candidates (a softmax per member, whose candidates start at `starts`),
    with a small ridge penalty, by Newton's method with step halving."""
    sizes = np.diff(np.append(starts, len(y)))
    positives = np.add.reduceat(y, starts)
    penalty = ridge * len(sizes)

    def likelihood(weights: FloatArray) -> tuple[float, FloatArray]:
        """The penalized log-likelihood, and each candidate's share of its member's softmax."""
        score = x @ weights
        top_score = np.maximum.reduceat(score, starts)
        odds = np.exp(score - np.repeat(top_score, sizes))
        total = np.add.reduceat(odds, starts)
        share = odds / np.repeat(total, sizes)
        value = float(y @ score - positives @ (np.log(total) + top_score))
        return value - penalty * float(weights @ weights) / 2, share

    def slope(weights: FloatArray, share: FloatArray) -> tuple[FloatArray, FloatArray]:
        """The gradient and the Hessian where the shares were computed; only needed at the
        points a step moves to, not at every trial of the step halving."""
        expected = np.add.reduceat(x * share[:, None], starts)
        gradient = x.T @ y - positives @ expected
        hessian = (x * (share * np.repeat(positives, sizes))[:, None]).T @ x - (
            expected * positives[:, None]
        ).T @ expected
        return gradient - penalty * weights, hessian + penalty * np.eye(len(weights))

    weights = np.zeros(x.shape[1])
    value, share = likelihood(weights)
    gradient, hessian = slope(weights, share)
    for _ in range(100):
        step = np.linalg.solve(hessian, gradient)
        for _ in range(30):
            trial, share = likelihood(weights + step)
            if trial >= value:
                break
            step /= 2
        else:
            break
        weights = weights + step
        value = trial
        gradient, hessian = slope(weights, share)
        if np.abs(step).max() < 1e-6:
            break
    return weights


def fitted(x: FloatArray, y: FloatArray, starts: IntArray) -> Reranker:
    """A reranker fitted on candidates `x` of several members (each member's rows starting at
    `starts`, `y` marking the connections to find)."""
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-9] = 1.0  # a column that never varies gets no weight, whatever its scale
    weights = conditional_logit((x - mean) / scale, y, starts)
    return Reranker(mean, scale, weights, len(starts))


__all__ = [
    "COLUMNS",
    "DEPTH",
    "NAMES",
    "Reranker",
    "column",
    "conditional_logit",
    "design",
    "fitted",
]
