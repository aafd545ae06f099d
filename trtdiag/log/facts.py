"""What a build log states, as plain frozen data: the stage boundary between reading a log and
diagnosing it (naming, rules, documents only ever see these classes)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from trtdiag.enums import StrEnum
from trtdiag.io.scan import ReadStats
from trtdiag.io.sniff import TextSignals
from trtdiag.log.tables import MissingScale

__all__ = ["BuildConfig", "BuildOutcome", "BuildSegment", "CalibrationSummary", "Event", "Int8Evidence", "LogFacts",
           "MissingScale", "Outcome", "ParsedNode", "Registration"]


@dataclass(frozen=True)
class Registration:
    """One ``Registering layer`` line of the verbose ONNX parser."""

    layer: str
    node: str | None  # the node named in "for ONNX node: N"; None for helpers and constants
    kind: str  # "node", "helper" (required by ONNX-TRT), "constant"
    owner: str | None  # the node whose parse block the line sits in (authoritative for helpers)
    line: int


@dataclass(frozen=True)
class ParsedNode:
    name: str
    op_type: str
    line: int


@dataclass(frozen=True)
class Event:
    """A notable log line: kind is a stable id, text is the message as logged."""

    kind: str
    line: int
    text: str


@dataclass(frozen=True)
class BuildConfig:
    """How the build was configured, as far as the log tells. ``None`` means the log does not say."""

    tensorrt_version: str | None = None
    tensorrt_version_source: str | None = None
    producer: str = "unknown"
    int8: bool | None = None
    fp16: bool | None = None
    best: bool = False
    strongly_typed: bool = False
    precision: str | None = None
    command: str | None = None
    calibrator: str | None = None
    calibration_algorithm: str | None = None
    calibration_cache_read: str | None = None
    calibration_cache_written: str | None = None
    calibration_dynamic: bool = False
    fp32_int8_notice: bool = False
    evidence: dict[str, int] = field(default_factory=dict)  # field -> log line number


@dataclass(frozen=True)
class CalibrationSummary:
    started_line: int | None
    batch_size: int | None
    batches: int
    batch_seconds: float
    completed_seconds: float | None
    completed_line: int | None
    events: tuple[Event, ...]  # cache, not-used, explicit-precision, profile, failure ...


class Outcome(StrEnum):
    """How a build ended, as far as the log tells."""

    BUILT = "built"
    FAILED = "failed"
    CRASHED = "crashed"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class BuildOutcome:
    """The outcome of one build and the decisive line: the first failure or crash line, else the line
    that shows an engine exists. ``cause`` is a stable id of the failure (see
    :mod:`trtdiag.log.handlers.outcome`); ``built_line`` is kept even when the build later failed."""

    outcome: Outcome = Outcome.UNKNOWN
    cause: str | None = None
    line: int | None = None
    text: str | None = None
    built_line: int | None = None
    failures: tuple[Event, ...] = ()  # every failure/crash line (bounded), first first


@dataclass(frozen=True)
class Int8Evidence:
    """One kind of INT8 evidence, at its first line: ``kind`` is a stable id
    (:data:`trtdiag.log.handlers.int8_evidence.KINDS`)."""

    kind: str
    line: int
    text: str


@dataclass(frozen=True)
class BuildSegment:
    """One build of a log that holds several (CI jobs, retries, ``polygraphy debug precision``...):
    its line range and the few facts that tell the builds apart. ``index`` counts from 1."""

    index: int
    first_line: int
    last_line: int
    producer: str
    tensorrt_version: str | None
    int8: bool | None
    fp16: bool | None
    quantization: str | None  # "explicit" when Q/DQ evidence shows, else None (not known from the log)
    outcome: Outcome
    missing_scale_count: int


@dataclass(frozen=True)
class LogFacts:
    """Everything trtdiag extracted from one log."""

    read: ReadStats
    build: BuildConfig
    #: One record per warned tensor (a compact MissingScaleTable when read from a log: trtdiag/log/tables.py).
    missing_scale: Sequence[MissingScale]
    warning_order: Sequence[int]  # index into missing_scale for every warning, duplicates kept (an IndexArray)
    no_int8_impl: tuple[Event, ...]
    calibration: CalibrationSummary
    parsed_nodes: tuple[ParsedNode, ...]
    registrations: tuple[Registration, ...]
    tensor_registrations: tuple[tuple[str, str, int], ...]  # (trt tensor, onnx tensor, line)
    network_inputs: tuple[tuple[str, str, str, int], ...]  # (name, dtype, dims, line)
    network_outputs: tuple[tuple[str, str, int], ...]
    trt11: tuple[Event, ...]
    deprecations: tuple[Event, ...]
    plugins: tuple[Event, ...]
    layer_info_lines: int
    truncated: bool
    truncation_reason: str | None
    qdq_events: tuple[Event, ...] = ()  # Q/DQ optimizer passes and Q/DQ layer names (explicit quantization)
    outcome: BuildOutcome = BuildOutcome()
    int8_evidence: tuple[Int8Evidence, ...] = ()
    precision_fallback: tuple[Event, ...] = ()  # "INT8 calibration file not specified. Trying FP16 mode."
    layer_info_int8: int = 0  # Layer(...) lines with an Int8 format
    builds: tuple[BuildSegment, ...] = ()  # every build of the log, in order (one for a single build)
    build_index: int = 1  # which of ``builds`` these facts describe
    long_messages: int = 0  # lines whose message was matched on its first collector.MESSAGE_CAP characters only
    signals: TextSignals = field(default_factory=TextSignals)  # is it a TensorRT log at all (see has_tensorrt_lines)

    @property
    def has_tensorrt_lines(self) -> bool:
        """True when some line was written by TensorRT or a tool running it: a prefixed TensorRT line
        (head of the file or keyword lines), or any message the handlers understood."""
        b = self.build
        return bool(
            self.signals.tensorrt_lines
            # messages only TensorRT prints (not has_int8_build: its loose INT8 evidence, such as "QDQ" or
            # "--int8" in prose, also matches READMEs and layer-information JSON)
            or self.missing_scale
            or self.no_int8_impl
            or self.calibration.started_line is not None
            or self.trt11
            or self.layer_info_lines
            or self.parsed_nodes
            or self.registrations
            or self.network_inputs
            or self.deprecations
            or self.plugins
            or b.command
            or b.fp16 is not None
        )

    @property
    def warned_tensors(self) -> list[str]:
        """Warned tensor names in log order, duplicates kept."""
        names: Sequence[str] | None = getattr(self.missing_scale, "names", None)
        if names is None:
            names = [m.tensor for m in self.missing_scale]
        return [names[i] for i in self.warning_order]

    @property
    def node_registrations(self) -> int:
        """Count of ``Registering layer: L for ONNX node: N`` lines."""
        return sum(1 for r in self.registrations if r.kind == "node")

    @property
    def has_int8_build(self) -> bool:
        """True when anything in the log says INT8 was requested or attempted."""
        b = self.build
        return bool(
            b.int8
            or self.missing_scale
            or self.no_int8_impl
            or self.calibration.started_line is not None
            or self.calibration.events
            or b.calibrator
            or b.calibration_cache_read
            or b.calibration_cache_written
            or self.trt11
            or self.qdq_events
            or self.int8_evidence
            or self.precision_fallback
        )

