"""What the ranking reads of the members' profiles, as arrays (`ProfileIndex`): each member's
time at organizations and schools, each place's members, each member's sector and location; and
the places two members share. Pure: numpy and the kernels' array layout."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

import numpy as np
import numpy.typing as npt

from vinculo.graph.kernels import readonly
from vinculo.suggestions.kernels import ProfileArrays

Kind = Literal["organization", "school"]
KINDS: tuple[Kind, Kind] = ("organization", "school")

IntArray = npt.NDArray[np.int64]
_NO_IDS = np.empty(0, np.int64)


@dataclass(frozen=True)
class SharedPlace:
    """A place two members were at in overlapping years: `years` of them in common, from
    `first_year` to `last_year`."""

    place: int
    kind: Kind
    first_year: int
    last_year: int
    years: int


class ProfileIndex:
    """What the ranking reads of the members' profiles, as arrays: each member's affiliations
    (organizations and schools, with years), each place's members, each member's sector and
    location. Immutable; rebuild it when profiles change."""

    def __init__(self, size: int, arrays: ProfileArrays, places: list[tuple[int, int]]) -> None:
        self.size = size
        # Read-only, as the kernels take them: one signature for every profile index.
        self.arrays = ProfileArrays._make(readonly(array, array.dtype.type) for array in arrays)
        self._places = places  # dense place -> (kind, place id)

    @classmethod
    def build(
        cls,
        size: int,
        affiliations: Iterable[tuple[int, int, str, int, int | None]],
        sectors: Mapping[int, int],
        locations: Mapping[int, int],
        *,
        current_year: int | None = None,
    ) -> ProfileIndex:
        """Build from affiliations `(member, place, kind, start year, end year or None while
        current)`, with kind "organization" or "school", and each member's sector and location
        (small integers; 0 or missing is unknown). Members are ids from 0 to `size - 1`. A
        member's stretches at one place that overlap or touch are joined into one."""
        year = current_year if current_year is not None else datetime.now(UTC).year
        dense: dict[tuple[int, int], int] = {}
        spans: dict[tuple[int, int], list[tuple[int, int]]] = {}
        for member, place, kind, start, end in affiliations:
            _check_member(member, size)
            if kind not in KINDS:
                raise ValueError(f"an affiliation's kind is organization or school, not {kind!r}")
            last = year if end is None else end
            if last < start:
                raise ValueError(f"member {member} ends at place {place} before starting there")
            at = dense.setdefault((KINDS.index(kind), place), len(dense))
            spans.setdefault((member, at), []).append((start, last))
        rows: list[tuple[int, int, int, int]] = []
        for (member, at), stretches in spans.items():
            stretches.sort()
            first, last = stretches[0]
            for start, end in stretches[1:]:
                if start > last + 1:
                    rows.append((member, at, first, last))
                    first = start
                last = max(last, end)
            rows.append((member, at, first, last))
        table = np.array(rows, np.int64).reshape(-1, 4)
        owner, where, began, ended = table.T

        by_member = np.lexsort((began, where, owner))
        # Each place: its kind, the log of how many members it has, its members by start year.
        count = len(dense)
        kinds = np.zeros(count, np.int64)
        for (kind_code, _), at in dense.items():
            kinds[at] = kind_code
        distinct = np.bincount(np.array([at for _, at in spans], np.int64), minlength=count)
        by_place = np.lexsort((owner, began, where))

        sector = _attribute(sectors, size)
        location = _attribute(locations, size)
        local_of, local_offsets, local_members = _local(sector, location)
        arrays = ProfileArrays(
            affiliation_offsets=_offsets(owner, size),
            affiliation_place=where[by_member],
            affiliation_start=began[by_member],
            affiliation_end=ended[by_member],
            place_kind=kinds,
            place_log_size=np.log(np.maximum(distinct, 1)).astype(np.float64),
            place_offsets=_offsets(where, count),
            place_members=owner[by_place],
            place_start=began[by_place],
            place_end=ended[by_place],
            sector=sector,
            location=location,
            local_of=local_of,
            local_offsets=local_offsets,
            local_members=local_members,
        )
        places = [(0, 0)] * count
        for (kind_code, place_id), at in dense.items():
            places[at] = (kind_code, place_id)
        return cls(size, arrays, places)

    @classmethod
    def empty(cls, size: int = 0) -> ProfileIndex:
        return cls.build(size, (), {}, {})

    def shared_places(self, a: int, b: int) -> tuple[SharedPlace, ...]:
        """The places a and b were at in overlapping years, most years in common first."""
        if not (0 <= a < self.size and 0 <= b < self.size):
            return ()
        arrays = self.arrays
        offsets, place = arrays.affiliation_offsets, arrays.affiliation_place
        start, end = arrays.affiliation_start, arrays.affiliation_end
        mine = range(int(offsets[a]), int(offsets[a + 1]))
        theirs = range(int(offsets[b]), int(offsets[b + 1]))
        found: dict[int, tuple[int, int, int]] = {}
        for i in mine:
            for j in theirs:
                if place[i] != place[j]:
                    continue
                first, last = int(max(start[i], start[j])), int(min(end[i], end[j]))
                if first > last:
                    continue
                low, high, years = found.get(int(place[i]), (first, last, 0))
                found[int(place[i])] = (min(low, first), max(high, last), years + last - first + 1)
        shared = []
        for at, (first, last, years) in found.items():
            kind, place_id = self._places[at]
            shared.append(SharedPlace(place_id, KINDS[kind], first, last, years))
        shared.sort(key=lambda p: (-p.years, p.kind, p.place))
        return tuple(shared)


def _check_member(member: int, size: int) -> None:
    if not 0 <= member < size:
        raise ValueError(f"member {member} is outside the ids 0 to {size - 1}")


def _offsets(keys: IntArray, count: int) -> IntArray:
    offsets = np.zeros(count + 1, np.int64)
    np.cumsum(np.bincount(keys, minlength=count), out=offsets[1:])
    return offsets


def _attribute(values: Mapping[int, int], size: int) -> IntArray:
    out = np.zeros(size, np.int64)
    for member, value in values.items():
        _check_member(member, size)
        out[member] = max(int(value), 0)
    return out


def _local(sector: IntArray, location: IntArray) -> tuple[IntArray, IntArray, IntArray]:
    """The members with the same known sector and location, as groups: each member's group (-1
    when either is unknown) and each group's members, newest (highest id) first."""
    known = np.flatnonzero((sector > 0) & (location > 0))
    local_of = np.full(len(sector), -1, np.int64)
    if not len(known):
        return local_of, np.zeros(1, np.int64), _NO_IDS
    pairs = np.stack((sector[known], location[known]), axis=1)
    _, key = np.unique(pairs, axis=0, return_inverse=True)
    key = key.reshape(-1)
    local_of[known] = key
    order = np.lexsort((-known, key))
    return local_of, _offsets(key, int(key.max()) + 1), known[order].astype(np.int64)
