"""What a build log states, as plain frozen data: the stage boundary between reading a log and
diagnosing it (naming, rules, documents only ever see these classes)."""

from __future__ import annotations

from dataclasses import dataclass, field

from trtdiag.io.scan import ReadStats


@dataclass(frozen=True)
class MissingScale:
    """All warnings about one tensor, in the order of their first appearance."""

    tensor: str
    count: int
    first_line: int
    lines: tuple[int, ...]
    wording: str  # "scale-and-zero-point" (TRT 8-10), "dynamic-range" (TRT 6/7), "nbspatialdims"


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


@dataclass(frozen=True)
class LogFacts:
    """Everything trtdiag extracted from one log."""

    read: ReadStats
    build: BuildConfig
    missing_scale: tuple[MissingScale, ...]
    warning_order: tuple[int, ...]  # index into missing_scale for every warning, duplicates kept
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
    long_messages: int = 0  # lines whose message was matched on its first collector.MESSAGE_CAP characters only

    @property
    def warned_tensors(self) -> list[str]:
        """Warned tensor names in log order, duplicates kept."""
        return [self.missing_scale[i].tensor for i in self.warning_order]

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
        )

