"""Missing INT8 scales: the warnings that name tensors without a scale, and layers left without INT8.

Patterns are matched on the message after the prefix; each names the versions it was seen in.
"""

from __future__ import annotations

from array import array

from trtdiag.io.prefix import Line
from trtdiag.log.facts import Event
from trtdiag.log.state import FactsDraft, LogState
from trtdiag.log.tables import WORDINGS, IndexArray, MissingScaleTable

#: TRT 8.0-10.x "Missing scale and zero-point", TRT 6/7 "Missing dynamic range" (may end with ".").
#: Tensor names contain spaces, brackets and commas, so the name runs up to the first
#: ", expect fall back" after the prefix. Found with ``str.find`` rather than a lazy regex group:
#: a regex ``search`` restarts at every occurrence of the prefix and rescans the rest of the line,
#: quadratic on a line of repeated prefixes; two ``find`` calls are linear.
MISSING_PREFIXES = (
    ("Missing scale and zero-point for tensor ", "scale-and-zero-point"),
    ("Missing dynamic range for tensor ", "dynamic-range"),
)
MISSING_SUFFIX = ", expect fall back to non-int8"
NBSPATIAL = ("Dynamic range would not be set for tensor ", " for nbSpatialDims")
NO_NON_INT8 = ("No non-int8 implementation of layer ", " is supported")


def between(msg: str, prefix: str, suffix: str) -> str | None:
    """The text between the first ``prefix`` and the first ``suffix`` after it (at least one
    character), as the lazy regex ``prefix(.+?)suffix`` would find it; linear in the line length."""
    start = msg.find(prefix)
    if start < 0:
        return None
    start += len(prefix)
    end = msg.find(suffix, start + 1)
    return msg[start:end] if end >= 0 else None


def missing_tensor(msg: str) -> tuple[str, str] | None:
    """(tensor, wording) of a "Missing scale/dynamic range" warning; the earliest prefix wins."""
    best: tuple[int, str, str] | None = None
    for prefix, wording in MISSING_PREFIXES:
        pos = msg.find(prefix)
        if pos >= 0 and (best is None or pos < best[0]):
            best = (pos, prefix, wording)
    if best is None:
        return None
    tensor = between(msg[best[0]:], best[1], MISSING_SUFFIX)
    return (tensor, best[2]) if tensor is not None else None


MAX_LINES_PER_TENSOR = 20


class MissingScaleHandler:
    """One entry per tensor (first appearance order), every warning's index kept in ``warning_order``.

    Verbose logs repeat a warning per tactic and per layer, and a large model warns about a million
    distinct tensors: the state is typed arrays and one copy of each name, not objects
    (:mod:`trtdiag.log.tables`). Lines after the first are kept only for tensors warned more than once
    (``_more``, at most MAX_LINES_PER_TENSOR per tensor).
    """

    keywords = (b"Missing ", b"Dynamic range would", b"No non-int8")

    def __init__(self) -> None:
        self._index: dict[str, int] = {}
        self._count = array("Q")
        self._first = array("Q")
        self._more: dict[int, array[int]] = {}
        self._wording = bytearray()  # index into tables.WORDINGS
        self._order = array("I")
        self._no_int8: list[Event] = []

    def feed(self, line: Line, state: LogState) -> bool:
        msg = line.message
        n = line.number
        if "Missing " in msg:
            found = missing_tensor(msg)
            if found is not None:
                self.add(found[0], n, found[1])
                return True
            # A warning cut short (no ", expect fall back" tail) marks a truncated log if it is last.
            state.incomplete = n
        if "Dynamic range would" in msg:
            tensor = between(msg, *NBSPATIAL)
            if tensor is not None:
                self.add(tensor, n, "nbspatialdims")
                return True
        if "No non-int8" in msg:
            layer = between(msg, *NO_NON_INT8)
            if layer is not None:
                self._no_int8.append(Event("no-non-int8-implementation", n, layer))
                return True
        return False

    def add(self, tensor: str, n: int, wording: str) -> None:
        """One warning about ``tensor`` at line ``n`` (also the collector's fast path: trtdiag/log/routing.py)."""
        idx = self._index.get(tensor)
        if idx is None:
            idx = len(self._index)  # the dict's keys, in insertion order, are the names in order of appearance
            self._index[tensor] = idx  # the one copy of the name: this dict dedupes (sys.intern would add a table)
            self._count.append(1)
            self._first.append(n)
            self._wording.append(WORDINGS.index(wording))
        else:
            self._count[idx] += 1
            more = self._more.get(idx)
            if more is None:
                more = self._more[idx] = array("Q")
            if len(more) < MAX_LINES_PER_TENSOR - 1:
                more.append(n)
        self._order.append(idx)

    def contribute(self, draft: FactsDraft) -> None:
        draft.missing_scale = MissingScaleTable(list(self._index), self._count, self._first, self._more,
                                                bytes(self._wording))
        draft.warning_order = IndexArray(self._order)
        draft.no_int8_impl = tuple(self._no_int8)
