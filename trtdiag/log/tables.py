"""Compact per-tensor state of a log: the missing-scale warnings as arrays, read as a sequence of records.

Why: a large model warns about a million distinct tensors. As a tuple of frozen records (one object
per tensor, one tuple of line numbers each, one int object per number) the reader's result alone
took several hundred MB. Here a tensor costs its interned name, a few array slots and one byte of
wording; :class:`MissingScale` records are made on access (``for m in facts.missing_scale``,
``facts.missing_scale[i]``), so a consumer that streams them never holds them all.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar, overload

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class MissingScale:
    """All warnings about one tensor, in the order of their first appearance."""

    tensor: str
    count: int
    first_line: int
    lines: tuple[int, ...]  # the first MAX_LINES_PER_TENSOR lines (trtdiag/log/handlers/missing_scale.py)
    wording: str  # "scale-and-zero-point" (TRT 8-10), "dynamic-range" (TRT 6/7), "nbspatialdims"


#: The wordings a warning can have; a table stores each tensor's as an index into this tuple.
WORDINGS = ("scale-and-zero-point", "dynamic-range", "nbspatialdims")


class _FrozenSequence(Sequence[T]):
    """Equality and hashing of a read-only sequence, as a tuple of the same items would have them."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or isinstance(other, (str, bytes)):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __repr__(self) -> str:
        return repr(tuple(self))


class MissingScaleTable(_FrozenSequence[MissingScale]):
    """The missing-scale records of one build, first appearance first (a ``Sequence[MissingScale]``).

    ``names`` holds the tensor names (interned, in the same order) for callers that need only
    them. The table is a snapshot of a finished handler's arrays and never changes.
    """

    __slots__ = ("_counts", "_firsts", "_more", "_wordings", "names")

    def __init__(self, names: Sequence[str], counts: array[int], firsts: array[int],
                 more: Mapping[int, Sequence[int]], wordings: bytes) -> None:
        self.names = names
        self._counts = counts
        self._firsts = firsts
        self._more = more
        self._wordings = wordings

    def __len__(self) -> int:
        return len(self.names)

    def _record(self, i: int) -> MissingScale:
        first = self._firsts[i]
        more = self._more.get(i)
        return MissingScale(self.names[i], self._counts[i], first, (first, *more) if more else (first,),
                            WORDINGS[self._wordings[i]])

    @overload
    def __getitem__(self, i: int) -> MissingScale: ...

    @overload
    def __getitem__(self, i: slice) -> tuple[MissingScale, ...]: ...

    def __getitem__(self, i: int | slice) -> MissingScale | tuple[MissingScale, ...]:
        if isinstance(i, slice):
            return tuple(self._record(k) for k in range(*i.indices(len(self))))
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError("missing-scale index out of range")
        return self._record(i)

    def __iter__(self) -> Iterator[MissingScale]:
        return (self._record(i) for i in range(len(self.names)))


class IndexArray(_FrozenSequence[int]):
    """A read-only sequence of unsigned ints in an ``array`` (4 bytes an item, not a tuple of int objects)."""

    __slots__ = ("_items",)

    def __init__(self, items: array[int]) -> None:
        self._items = items

    def __len__(self) -> int:
        return len(self._items)

    @overload
    def __getitem__(self, i: int) -> int: ...

    @overload
    def __getitem__(self, i: slice) -> tuple[int, ...]: ...

    def __getitem__(self, i: int | slice) -> int | tuple[int, ...]:
        if isinstance(i, slice):
            return tuple(self._items[i])
        return self._items[i]

    def __iter__(self) -> Iterator[int]:
        return iter(self._items)
