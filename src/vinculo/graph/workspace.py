"""The scratch arrays of the compiled searches, one entry per member id, and the epoch numbers that
mark members in them: the one place that knows when marks wrap around and how they are cleared."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Generic, TypeVar

import numpy as np
import numpy.typing as npt

# Marks are int32: after this many epochs every mark array is cleared and counting starts again.
LAST_EPOCH = 2**31 - 1

ScalarT = TypeVar("ScalarT", bound=np.generic)


class Workspace:
    """Arrays a search reuses from query to query instead of allocating or clearing them.

    A search marks the members it reaches with an epoch number no member carries yet
    (`next_epoch`), so nothing is cleared between queries. A user declares its arrays in its own
    `__init__`: `marks()` for an array of epoch marks, `scratch(dtype)` for any other (values that
    are only read where the marks say they were written)."""

    def __init__(self, size: int) -> None:
        self.size = size  # member ids 0 to size - 1 fit
        self.epoch = 0
        self._marks: list[npt.NDArray[np.int32]] = []

    def marks(self) -> npt.NDArray[np.int32]:
        """A new array of epoch marks, one per member, cleared whenever the epochs wrap around."""
        array = np.zeros(self.size, np.int32)
        self._marks.append(array)
        return array

    def scratch(self, dtype: type[ScalarT], length: int | None = None) -> npt.NDArray[ScalarT]:
        """A new array of `dtype`, one entry per member unless `length` says otherwise."""
        return np.zeros(self.size if length is None else length, dtype)

    def next_epoch(self, span: int = 1) -> int:
        """A fresh mark, or the first of `span` consecutive ones, that no member carries yet."""
        if self.epoch + span >= LAST_EPOCH:
            for marks in self._marks:
                marks[:] = 0
            self.epoch = 0
        first = self.epoch + 1
        self.epoch += span
        return first


WorkspaceT = TypeVar("WorkspaceT", bound=Workspace)


class WorkspacePool(Generic[WorkspaceT]):
    """Workspaces for callers that run at once (the compiled searches release the GIL): each call
    takes one no other thread is using, and gives it back for the next."""

    def __init__(self, make: Callable[[int], WorkspaceT], *, keep: int = 8) -> None:
        self._make = make
        self._keep = keep  # more exist at once only while more threads search at once
        self._free: list[WorkspaceT] = []
        self._lock = threading.Lock()

    @contextmanager
    def taken(self, size: int) -> Iterator[WorkspaceT]:
        """A workspace of at least `size` entries, for the length of the `with` block."""
        with self._lock:
            work = next((spare for spare in self._free if spare.size >= size), None)
            if work is not None:
                self._free.remove(work)
        if work is None:
            work = self._make(size)
        try:
            yield work
        finally:
            with self._lock:
                self._free.append(work)
                if len(self._free) > self._keep:
                    self._free.remove(min(self._free, key=lambda spare: spare.size))
