"""Per-engine results of a comparison: what was read for an engine, its layers as mapped, its totals,
and the per-node and per-block rows that pair two engines.

Why a module of plain frozen dataclasses: the rules (:mod:`trtdiag.rules.engines`), the
comparison document and the report read these; keeping them free of pipeline code lets those
import them without importing the comparison pipeline.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from functools import cached_property

from trtdiag.engine.mapping import LayerKind, MapMethod
from trtdiag.engine.model import EngineLayers, EngineProfile, InferenceTimes, PerfSummary


@dataclass(frozen=True)
class EngineArtifacts:
    """Everything read for one engine. Any part may be missing."""

    label: str
    layers: EngineLayers | None
    profile: EngineProfile | None
    perf: PerfSummary | None
    times: InferenceTimes | None
    sources: tuple[str, ...]
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class LayerRow:
    """One engine layer as mapped: its kind, precision, covered ONNX nodes, time and block."""

    name: str
    kind: LayerKind
    layer_type: str | None
    precision: str | None
    output_precision: str | None
    nodes: tuple[str, ...]
    method: MapMethod
    average_ms: float | None
    block: str
    reason: str | None = None
    integer_inputs: bool = False  # every data input is an integer/bool tensor (a mask or index cast to float)


#: A layer whose type (or, without a type, whose first fused atom) says it multiplies matrices.
_GEMM_TYPE = re.compile(r"(?i)conv|gemm|matmul|matrixmultiply|fullyconnected|i8816|cudnn")
_MYELIN_GEMM_WORDS = ("MatMul", "Gemm", "gemm", "matmul", "ForeignNode")


def is_gemm_layer(r: LayerRow, gemm_nodes: Collection[str] | None) -> bool:
    """Does an engine layer compute a MatMul/Gemm/Conv?

    With a model (``gemm_nodes``: its MatMul/Gemm/Conv node names) the nodes the layer covers decide;
    without, its type, or for an untyped listing the first atom of its fused name (``Conv_3 + Relu_4``;
    a pointwise ``PWN(...)`` or a reformat never counts). A Myelin region counts when its names say GEMM.
    """
    if gemm_nodes is not None:
        return any(n in gemm_nodes for n in r.nodes)
    if r.kind == LayerKind.MYELIN:
        text = " ".join((r.layer_type or "", r.name, *r.nodes))
        return (r.layer_type or "").lower() in ("gemm", "myelin") or any(k in text for k in _MYELIN_GEMM_WORDS)
    if r.layer_type:
        return _GEMM_TYPE.search(r.layer_type) is not None
    first = r.name.split(" + ", 1)[0]
    return _GEMM_TYPE.search(first) is not None and not first.startswith(("PWN(", "Reformatting"))


_QDQ_WORDS = ("QuantizeLinear", "DequantizeLinear", "_quantize_scale_node", "_dequantize_scale_node")


#: Myelin kernels that quantize (``__myl_TranReshQuan_myl0_5``): Myelin emits them only for Q/DQ graphs.
_MYELIN_QUANT = re.compile(r"^__myl_\w*(?:Quan|Dequan)\w*_myl")


def shows_qdq(s: EngineSummary) -> bool:
    """Was this engine built from a Q/DQ (explicitly quantized) network, judging by its layers alone: a
    Q/DQ layer, a layer covering a QuantizeLinear/DequantizeLinear node (Metadata, fused names), or a
    quantizing Myelin kernel."""
    return any(r.kind == LayerKind.QDQ or _MYELIN_QUANT.match(r.name) is not None
               or any(w in n for n in (r.name, *r.nodes) for w in _QDQ_WORDS)
               for r in s.layers)


@dataclass(frozen=True)
class EngineSummary:
    """One engine's layers and its time totals by kind and precision."""

    label: str
    layers: tuple[LayerRow, ...]
    profile_total_ms: float | None
    gpu_compute_median_ms: float | None
    latency_median_ms: float | None
    throughput_qps: float | None
    reformat_ms: float
    qdq_ms: float
    fp32_ms: float
    int8_ms: float
    precision_counts: dict[str, int]
    node_coverage: float | None  # share of the model's (non-Constant) nodes covered by some layer
    mac_coverage: float | None
    int8_mac_share: float | None  # MACs of GEMM/Conv nodes whose layer runs INT8
    int8_time_share: float | None
    unmapped: tuple[tuple[str, str], ...]
    sources: tuple[str, ...]
    notes: tuple[str, ...] = ()
    explicit_quantization: bool = False  # the engine's layers name Q/DQ nodes (whatever model was given)

    @cached_property
    def timed(self) -> bool:
        """Does anything time this engine's layers (a per-layer profile)? Without, per-layer and
        per-kind times are unknown, not zero."""
        return self.profile_total_ms is not None or any(r.average_ms is not None for r in self.layers)

    @property
    def total_ms(self) -> float | None:
        """Engine time used for comparisons: the per-layer profile sum, else the GPU compute median."""
        return self.profile_total_ms if self.profile_total_ms is not None else self.gpu_compute_median_ms


@dataclass(frozen=True)
class UnitRow:
    """One row of the per-node table: an ONNX node (or, without common names, an aligned layer pair)."""

    unit: str
    op_type: str | None
    block: str
    submodule: str | None
    macs: int | None
    fp16_layer: str | None
    fp16_precision: str | None
    fp16_ms: float | None
    int8_layer: str | None
    int8_precision: str | None
    int8_ms: float | None

    @property
    def delta_ms(self) -> float | None:
        if self.fp16_ms is None or self.int8_ms is None:
            return None
        return self.int8_ms - self.fp16_ms


@dataclass(frozen=True)
class BlockRow:
    """Latency and precision counts of one block (an encoder layer, "outside blocks" or "(no model)")."""

    block: str
    fp16_ms: float
    int8_ms: float
    fp16_reformat_ms: float
    int8_reformat_ms: float
    fp16_precisions: dict[str, int]
    int8_precisions: dict[str, int]

    @property
    def delta_ms(self) -> float:
        return (self.int8_ms + self.int8_reformat_ms) - (self.fp16_ms + self.fp16_reformat_ms)
