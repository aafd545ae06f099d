"""What the log handlers share: the :class:`Handler` protocol, the state several message families
write to, and the draft of :class:`~trtdiag.log.facts.LogFacts` they contribute to.

Why shared state at all: some facts have several sources. The build configuration (INT8? FP16?
which calibrator?) is stated by the trtexec header, ``Precision:`` lines, Polygraphy's ``Flags``
block, a calibration start..., and the first statement wins unless a more specific one
overwrites it. The producer (trtexec, Polygraphy, Python API...) is voted on by several
families. Keeping those in one place makes "first wins" and the evidence line numbers exact.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from trtdiag.io.prefix import Line
from trtdiag.log.facts import (
    BuildOutcome,
    CalibrationSummary,
    Event,
    Int8Evidence,
    MissingScale,
    ParsedNode,
    Registration,
)

MAX_EVENTS = 200

ConfigValue = str | bool


class ConfigBoard:
    """Build-configuration statements in log order: ``BuildConfig`` field -> value, and the line of each."""

    def __init__(self) -> None:
        self._values: dict[str, ConfigValue] = {}
        self.evidence: dict[str, int] = {}  # insertion order = order of first statement (kept in the JSON)
        self._version_rank: int | None = None

    def set(self, key: str, value: ConfigValue, line: int, *, overwrite: bool = False) -> None:
        """Record a statement; a later one only replaces an earlier one with ``overwrite``."""
        if overwrite or key not in self._values:
            self._values[key] = value
            self.evidence[key] = line

    def set_version(self, version: str, source: str, line: int, rank: int) -> None:
        """Keep the most authoritative TensorRT version signal (lower rank wins, first of a rank wins)."""
        if self._version_rank is None or rank < self._version_rank:
            self._version_rank = rank
            self.set("tensorrt_version", version, line, overwrite=True)
            self.set("tensorrt_version_source", source, line, overwrite=True)

    def get(self, key: str) -> ConfigValue | None:
        return self._values.get(key)

    def text(self, key: str) -> str | None:
        value = self._values.get(key)
        return value if isinstance(value, str) else None

    def flag(self, key: str) -> bool | None:
        value = self._values.get(key)
        return value if isinstance(value, bool) else None


class ProducerVotes:
    """Which tool wrote the log: every hint adds weight to a producer; the heaviest wins."""

    def __init__(self) -> None:
        self._votes: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self._votes)

    def vote(self, producer: str, weight: int = 1) -> None:
        self._votes[producer] = self._votes.get(producer, 0) + weight

    def add(self, other: ProducerVotes) -> None:
        """Add every vote of ``other`` (votes are counts: adding them equals casting them again)."""
        for producer, weight in other._votes.items():
            self.vote(producer, weight)

    def winner(self) -> str:
        if not self._votes:
            return "unknown"
        return max(sorted(self._votes), key=lambda k: self._votes[k])


@dataclass
class LogState:
    """State shared by the handlers of one log."""

    config: ConfigBoard = field(default_factory=ConfigBoard)
    votes: ProducerVotes = field(default_factory=ProducerVotes)
    #: Line number of a message cut short (a warning without its tail), if it was the last line
    #: fed; the collector resets it before each line. A log ending without a newline right after
    #: such a line was truncated.
    incomplete: int | None = None
    #: False when the scanner showed the current line holds none of another producer's markers
    #: (trtdiag.log.routing.FAST_BLOCKERS): the producer vote may then look at the line's start only.
    other_producer_markers: bool = True


EMPTY_CALIBRATION = CalibrationSummary(
    started_line=None, batch_size=None, batches=0, batch_seconds=0.0, completed_seconds=None, completed_line=None,
    events=(),
)


@dataclass
class FactsDraft:
    """The :class:`~trtdiag.log.facts.LogFacts` fields handlers contribute (the collector adds the rest)."""

    missing_scale: Sequence[MissingScale] = ()
    warning_order: Sequence[int] = ()
    no_int8_impl: tuple[Event, ...] = ()
    calibration: CalibrationSummary = EMPTY_CALIBRATION
    parsed_nodes: tuple[ParsedNode, ...] = ()
    registrations: tuple[Registration, ...] = ()
    tensor_registrations: tuple[tuple[str, str, int], ...] = ()
    network_inputs: tuple[tuple[str, str, str, int], ...] = ()
    network_outputs: tuple[tuple[str, str, int], ...] = ()
    trt11: tuple[Event, ...] = ()
    deprecations: tuple[Event, ...] = ()
    plugins: tuple[Event, ...] = ()
    layer_info_lines: int = 0
    qdq_events: tuple[Event, ...] = ()
    layer_info_int8: int = 0
    outcome: BuildOutcome = field(default_factory=BuildOutcome)
    int8_evidence: tuple[Int8Evidence, ...] = ()
    precision_fallback: tuple[Event, ...] = ()


class Handler(Protocol):
    """One message family of a TensorRT log.

    ``keywords``: byte strings every message of the family contains (the scanner only hands over
    lines holding a keyword of some handler, so a family without keywords sees only lines other
    families asked for). ``feed`` gets every such line, prefix stripped, in log order and in
    registry order (:data:`trtdiag.log.handlers.HANDLERS`); it returns True when the line is
    fully explained and later handlers need not look at it. ``contribute`` adds the family's
    result to the draft once the log has been read.

    A line reaches ``feed`` only if it holds one of the handler's ``triggers`` when it has that
    attribute (``None``: every line), else one of its ``keywords`` (:mod:`trtdiag.log.routing`): a
    handler that looks at lines other families bring in lists what it looks for there.
    """

    @property
    def keywords(self) -> tuple[bytes, ...]: ...

    def feed(self, line: Line, state: LogState) -> bool: ...

    def contribute(self, draft: FactsDraft) -> None: ...


def add_event(bucket: list[Event], kind: str, line: Line) -> None:
    """Record a notable line, at most :data:`MAX_EVENTS` per bucket (a broken build may repeat one forever)."""
    if len(bucket) < MAX_EVENTS:
        bucket.append(Event(kind, line.number, line.message))
