"""The engine data model: layers with their tensors, per-layer timings and performance summaries.

Every engine artifact format (``trtdiag/engine/formats``) reads into these classes; mapping and
comparison only ever see them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from trtdiag.enums import StrEnum


class FormatId(StrEnum):
    """Every engine artifact format trtdiag reads; one module of ``trtdiag/engine/formats`` each.

    The values name the format family; :attr:`EngineLayers.format` and friends keep the finer,
    version-specific variant (``layer-info-text-86``, ``dump-profile-7``...).
    """

    LAYERS_JSON = "layers-json"  # trtexec --exportLayerInfo / IEngineInspector JSON
    LAYER_LINES = "layer-info-text"  # "Engine Layer Information" Layer(...) lines of a verbose log
    LAYER_DETAILED = "dump-layer-info-detailed"  # --dumpLayerInfo "Name: ..., LayerType: ..." lines
    GPU_LISTING = "gpu-layers"  # "Layers running on GPU" (TRT 7) / [GpuLayer] (8.5+) INFO listings
    POLYGRAPHY = "polygraphy"  # polygraphy inspect model --show layers
    PROFILE_JSON = "profile-json"  # trtexec --exportProfile
    DUMP_PROFILE = "dump-profile"  # trtexec --dumpProfile tables
    PERF_SUMMARY = "perf-summary"  # trtexec "Performance summary" (8.x+) / TRT 7 "Host Latency" blocks
    TREX_METADATA = "trex-metadata"  # TREx *.metadata.json
    TIMES_JSON = "times-json"  # trtexec --exportTimes


@dataclass(frozen=True)
class TensorInfo:
    """One input or output of an engine layer (or an engine I/O tensor).

    ``dtype`` is normalised so that engines printed by different TensorRT versions compare equal;
    ``format`` keeps the text as printed, because the vectorisation (``Thirty-two wide channel
    vectorized``, ``32:8``) matters when explaining reformat layers.
    """

    name: str
    dtype: str | None  # "FP32","FP16","BF16","INT8","FP8","INT4","FP4","INT32","INT64","BOOL","UINT8" or None
    format: str | None
    dims: tuple[int, ...] | None


@dataclass(frozen=True)
class EngineLayer:
    """One layer of a built engine, whatever the source it was read from.

    ``index`` is the position in :attr:`EngineLayers.layers` (0-based, source order; Polygraphy
    restarts its own numbering per profile, this index does not). ``tactic`` is the tactic *name*
    where the source gives one (detailed JSON/text: it reveals the kernel's precision, e.g.
    ``i8i8_i8i32``), otherwise the tactic value as printed (``0x...`` or, up to 8.2, decimal).
    ``metadata`` lists the ONNX nodes the layer covers, from ``[ONNX Layer: x]`` entries (TRT 8.6+
    with detailed verbosity; for names-only logs from the verbose ``ForeignNode ... metadata:``
    line of the same build). ``origin`` is ``QDQ``/``REFORMAT`` etc.; Polygraphy's ``Unknown``
    becomes None. ``line`` is the 1-based line of the layer in a text source, None for JSON.
    """

    index: int
    name: str
    profile: int | None
    layer_type: str | None
    inputs: tuple[TensorInfo, ...]
    outputs: tuple[TensorInfo, ...]
    tactic: str | None
    metadata: tuple[str, ...]
    origin: str | None
    line: int | None


@dataclass(frozen=True)
class EngineLayers:
    """The layers of one engine as read from one artifact.

    ``profile`` of each layer is None when the source does not distinguish optimisation profiles
    (a single-profile engine); otherwise 0, 1, ... . ``io_tensors`` are the engine's bindings:
    names only for 8.x/10.x ``Bindings``, with types for 11.x ``I/O Tensors`` and Polygraphy.
    """

    source: str
    format: str
    tensorrt_version: str | None
    layers: tuple[EngineLayer, ...]
    io_tensors: tuple[TensorInfo, ...]
    read_note: str | None = None  # why the source may be incomplete (cut short, size cap)


@dataclass(frozen=True)
class LayerTiming:
    """Time spent in one engine layer.

    ``time_ms`` is the total over all profiled iterations where the source gives it;
    ``average_ms`` is per iteration and is what comparisons should use. ``percentage`` is of the
    summed layer time (not of end-to-end latency), as trtexec computes it.
    """

    name: str
    profile: int | None
    time_ms: float | None
    average_ms: float
    median_ms: float | None
    percentage: float | None


@dataclass(frozen=True)
class EngineProfile:
    """Per-layer timings of one profiling run.

    ``runs`` is the number of arrays (JSON) or ``=== Profile`` tables (text) found; ``layers``,
    ``iterations`` and ``total_ms`` come from the **last** run, the one a file or log ends with
    (a wrapper that appends runs leaves several arrays in one file). ``total_ms`` is per iteration: the ``Total``
    row's average when the table has one, otherwise the sum of the layers' averages.
    """

    source: str
    format: str
    iterations: int | None
    runs: int
    layers: tuple[LayerTiming, ...]
    total_ms: float | None
    dropped_timings: int = 0  # rows whose time was NaN, infinite, negative or not a number
    read_note: str | None = None  # why the source may be incomplete (cut short, size cap)


@dataclass(frozen=True)
class PerfSummary:
    """trtexec's performance summary of one run.

    ``latency_ms`` is the host latency (``Latency``, TRT 7 ``Host Latency``: H2D + compute + D2H),
    not the end-to-end latency. Keys of the stat dicts: ``min``, ``max``, ``mean``, ``median`` and
    ``p<N>`` for each printed percentile (``p99``; ``p90``, ``p95``, ``p99`` from 8.6 on); a key is
    absent when the source does not print it (TRT 7 ``Enqueue Time`` has no mean).
    """

    source: str
    format: str
    throughput_qps: float | None
    latency_ms: dict[str, float] = field(default_factory=dict)
    gpu_compute_ms: dict[str, float] = field(default_factory=dict)
    enqueue_ms: dict[str, float] = field(default_factory=dict)
    total_gpu_compute_s: float | None = None
    unstable_cov_percent: float | None = None


@dataclass(frozen=True)
class InferenceTimes:
    """Statistics of a ``--exportTimes`` trace (one record per inference).

    Keys: ``mean``, ``median``, ``min``, ``max``, ``p99`` of ``latencyMs`` and the same with a
    ``compute_`` prefix for ``computeMs``. Median and percentile follow trtexec's own definitions
    (``sampleReporting.cpp``: even counts average the two middle values; the 99th percentile is
    the element after excluding ``int(0.01 * n)`` from the top), so the numbers agree with what
    trtexec printed for the same trace.
    """

    source: str
    count: int
    latency_ms: dict[str, float]

