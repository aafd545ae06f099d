"""TensorRT 11 signatures: the errors users hit after the removal of implicit INT8, and strong typing.

TensorRT 11 removed implicit INT8 (BuilderFlag.INT8/FP16, IInt8Calibrator*, CalibrationAlgoType,
trtexec --int8/--fp16/--best/--calib); strongly typed networks take their precisions from the
model. A build that states strong typing is recorded in the build configuration.
"""

from __future__ import annotations

import re

from trtdiag.io.prefix import Line
from trtdiag.log.facts import Event
from trtdiag.log.state import FactsDraft, LogState, add_event

TRT11_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "python-attribute-removed",
        re.compile(
            r"has no attribute '(?P<a>CalibrationAlgoType|IInt8\w*|int8_calibrator|"
            r"set_calibration_profile|get_calibration_profile|INT8|FP16|BF16|FP8|INT4|"
            r"OBEY_PRECISION_CONSTRAINTS|PREFER_PRECISION_CONSTRAINTS|set_dynamic_range|dynamic_range)'"
        ),
    ),
    ("fp16-strongly-typed", re.compile(r"BuilderFlag::k\w+ is not compatible with a strongly typed network")),
    ("best-strongly-typed", re.compile(r"--best is incompatible with --stronglyTyped")),
    (
        "polygraphy-unavailable",
        # bounded: an unbounded \S* backtracks over a whole line of repeated "int8" (quadratic)
        re.compile(r"(?:int8|fp16|calibrator)\S{0,200} in \w{1,200} is not available on TensorRT version 1[1-9]"),
    ),
    ("trtexec-unknown-option", re.compile(r"Unknown option:?\s*--(?:int8|fp16|best|calib|bf16|fp8|int4)")),
)


def trt11_kind(msg: str) -> str | None:
    """The TensorRT 11 signature a message matches, if any."""
    for kind, pattern in TRT11_PATTERNS:
        if pattern.search(msg):
            return kind
    return None


class Trt11Handler:
    keywords = (b"has no attribute", b"trongly", b"not available on TensorRT", b"Unknown option")

    def __init__(self) -> None:
        self._events: list[Event] = []

    def feed(self, line: Line, state: LogState) -> bool:
        msg = line.message
        if "trongly" in msg and ("--stronglyTyped" in msg or "STRONGLY_TYPED" in msg):
            state.config.set("strongly_typed", True, line.number)
        kind = trt11_kind(msg)
        if kind is not None:
            add_event(self._events, kind, line)
        return False

    def contribute(self, draft: FactsDraft) -> None:
        draft.trt11 = tuple(self._events)
