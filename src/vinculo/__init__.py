"""Vínculo: a self-hostable professional network of real, working relationships."""

__version__ = "0.1.0"
