"""Missing INT8 scales: the warnings that name tensors without a scale, and layers left without INT8.

Patterns are matched on the message after the prefix; each names the versions it was seen in.
"""

from __future__ import annotations

import re
from array import array

from trtdiag.io.prefix import Line
from trtdiag.log.facts import Event, MissingScale
from trtdiag.log.state import FactsDraft, LogState

#: TRT 8.0-10.x "Missing scale and zero-point", TRT 6/7 "Missing dynamic range" (may end with ".").
#: Tensor names contain spaces, brackets and commas: match lazily up to ", expect fall back".
MISSING_RE = re.compile(
    r"Missing (?P<kind>scale and zero-point|dynamic range) for tensor (?P<t>.+?), expect fall back to non-int8"
)
NBSPATIAL_RE = re.compile(r"Dynamic range would not be set for tensor (?P<t>.+?) for nbSpatialDims")
NO_NON_INT8_RE = re.compile(r"No non-int8 implementation of layer (?P<l>.+?) is supported")

MAX_LINES_PER_TENSOR = 20


class MissingScaleHandler:
    """One entry per tensor (first appearance order), every warning's index kept in ``warning_order``.

    Verbose logs repeat a warning per tactic and per layer: the state is column lists, not objects.
    """

    keywords = (b"Missing ", b"Dynamic range would", b"No non-int8")

    def __init__(self) -> None:
        self._index: dict[str, int] = {}
        self._names: list[str] = []
        self._count: list[int] = []
        self._first: list[int] = []
        self._lines: list[list[int]] = []
        self._wording: list[str] = []
        self._order = array("I")
        self._no_int8: list[Event] = []

    def feed(self, line: Line, state: LogState) -> bool:
        msg = line.message
        n = line.number
        if "Missing " in msg:
            m = MISSING_RE.search(msg)
            if m:
                wording = "dynamic-range" if m.group("kind") == "dynamic range" else "scale-and-zero-point"
                self._missing(m.group("t"), n, wording)
                return True
            # A warning cut short (no ", expect fall back" tail) marks a truncated log if it is last.
            state.incomplete = n
        if "Dynamic range would" in msg:
            m = NBSPATIAL_RE.search(msg)
            if m:
                self._missing(m.group("t"), n, "nbspatialdims")
                return True
        if "No non-int8" in msg:
            m = NO_NON_INT8_RE.search(msg)
            if m:
                self._no_int8.append(Event("no-non-int8-implementation", n, m.group("l")))
                return True
        return False

    def _missing(self, tensor: str, n: int, wording: str) -> None:
        idx = self._index.get(tensor)
        if idx is None:
            idx = len(self._names)
            self._index[tensor] = idx
            self._names.append(tensor)
            self._count.append(0)
            self._first.append(n)
            self._lines.append([])
            self._wording.append(wording)
        self._count[idx] += 1
        if len(self._lines[idx]) < MAX_LINES_PER_TENSOR:
            self._lines[idx].append(n)
        self._order.append(idx)

    def contribute(self, draft: FactsDraft) -> None:
        draft.missing_scale = tuple(
            MissingScale(
                tensor=name,
                count=self._count[i],
                first_line=self._first[i],
                lines=tuple(self._lines[i]),
                wording=self._wording[i],
            )
            for i, name in enumerate(self._names)
        )
        draft.warning_order = tuple(self._order)
        draft.no_int8_impl = tuple(self._no_int8)
