"""Deprecation warnings of the INT8 APIs (weak typing, calibrators, flags, dynamic ranges)."""

from __future__ import annotations

import re

from trtdiag.io.prefix import Line
from trtdiag.log.facts import Event
from trtdiag.log.state import FactsDraft, LogState, add_event

DEPRECATION_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("weakly-typed-deprecated", re.compile(r"Weakly-typed networks have been deprecated")),
    (
        "calibrator-deprecated",
        re.compile(r"'?IInt8\w*'? is deprecated|Calibrat\w* (?:API )?(?:is|are|has been) deprecated"),
    ),
    ("flag-deprecated", re.compile(r"--(?:int8|fp16|best|calib)\b.*(?:deprecated|superseded by strong typing)")),
    ("dynamic-range-deprecated", re.compile(r"(?:setDynamicRange|set_dynamic_range|dynamic_range)\b.*[Dd]eprecated")),
)


class DeprecationHandler:
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
