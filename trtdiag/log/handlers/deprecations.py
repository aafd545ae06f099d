"""Deprecation warnings of the INT8 APIs (weak typing, calibrators, flags, dynamic ranges)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from trtdiag.io.prefix import Line
from trtdiag.log.facts import Event
from trtdiag.log.state import FactsDraft, LogState, add_event


@dataclass(frozen=True)
class Then:
    """``first``, then ``then`` anywhere after it: what the regex ``first.*then`` matches, without its
    cost. ``re.search`` retries ``first.*then`` at every occurrence of ``first`` and rescans the rest
    of the line each time (quadratic on a line of repeated prefixes); only the leftmost ``first``
    matters, so two linear searches decide."""

    first: re.Pattern[str]
    then: re.Pattern[str]

    def search(self, text: str) -> bool:
        m = self.first.search(text)
        return m is not None and self.then.search(text, m.end()) is not None


DEPRECATION_PATTERNS: tuple[tuple[str, re.Pattern[str] | Then], ...] = (
    ("weakly-typed-deprecated", re.compile(r"Weakly-typed networks have been deprecated")),
    (
        "calibrator-deprecated",
        re.compile(r"'?IInt8\w*'? is deprecated|Calibrat\w* (?:API )?(?:is|are|has been) deprecated"),
    ),
    ("flag-deprecated", Then(re.compile(r"--(?:int8|fp16|best|calib)\b"),
                             re.compile(r"deprecated|superseded by strong typing"))),
    ("dynamic-range-deprecated", Then(re.compile(r"(?:setDynamicRange|set_dynamic_range|dynamic_range)\b"),
                                      re.compile(r"[Dd]eprecated"))),
)


class DeprecationHandler:
    #: Its facts are read only for the build that is returned: its lines may be held back (trtdiag/log/deferred.py).
    deferrable = True
    keywords = (b"eprecat",)

    def __init__(self) -> None:
        self._events: list[Event] = []

    def feed(self, line: Line, state: LogState) -> bool:
        msg = line.message
        if "eprecat" in msg:
            for kind, pattern in DEPRECATION_PATTERNS:
                if pattern.search(msg):
                    add_event(self._events, kind, line)
                    break
        return False

    def contribute(self, draft: FactsDraft) -> None:
        draft.deprecations = tuple(self._events)
