"""An immutable compressed adjacency (CSR): for member v, its connections are
`targets[offsets[v]:offsets[v + 1]]`, sorted ascending. Each connection is stored twice, once per
side, as 4-byte ids: 8 bytes a connection, plus 8 bytes a member for the offsets."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from vinculo.graph import kernels

IdArray = npt.NDArray[np.int32]
EMPTY: IdArray = np.empty(0, dtype=np.int32)
EMPTY.setflags(write=False)


@dataclass(frozen=True)
class Snapshot:
    offsets: npt.NDArray[np.int64]
    targets: IdArray

    @property
    def size(self) -> int:
        """How many member ids the snapshot covers (0 to size - 1)."""
        return len(self.offsets) - 1

    @property
    def connections(self) -> int:
        return len(self.targets) // 2

    @property
    def nbytes(self) -> int:
        return int(self.offsets.nbytes + self.targets.nbytes)

    @classmethod
    def empty(cls) -> Snapshot:
        return cls.from_pairs(np.empty(0, np.int64), np.empty(0, np.int64))

    @classmethod
    def from_pairs(cls, a: npt.ArrayLike, b: npt.ArrayLike, *, size: int | None = None) -> Snapshot:
        """Build from undirected pairs (a[i], b[i]); duplicates and self-pairs are dropped."""
        first = np.ascontiguousarray(a, dtype=np.int64)
        second = np.ascontiguousarray(b, dtype=np.int64)
        if first.ndim != 1 or first.shape != second.shape:
            raise ValueError("the two ends of the pairs differ in length")
        if len(first) and min(first.min(), second.min()) < 0:
            raise ValueError("member ids must not be negative")
        top = int(max(first.max(), second.max())) + 1 if len(first) else 0
        offsets, targets = kernels.adjacency(first, second, max(size or 0, top))
        snapshot = cls(offsets=offsets, targets=targets)
        snapshot.offsets.setflags(write=False)
        snapshot.targets.setflags(write=False)
        return snapshot

    def neighbours(self, member: int) -> IdArray:
        if member < 0 or member >= self.size:
            return EMPTY
        return self.targets[self.offsets[member] : self.offsets[member + 1]]

    def pairs(self) -> tuple[IdArray, IdArray]:
        """Every connection once, as (low, high) arrays."""
        sources = np.repeat(np.arange(self.size, dtype=np.int32), np.diff(self.offsets))
        keep = sources < self.targets
        return sources[keep], self.targets[keep]
