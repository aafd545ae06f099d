"""What an explicitly quantized INT8 engine left unfused: Q/DQ layers of their own, reformats next to them, and
GEMM/Conv layers that still run in FP16/FP32.

Why: TensorRT fuses a DequantizeLinear into the GEMM/Conv that consumes it and a QuantizeLinear into the layer
that produces its input (developer guide, "Explicit Quantization" / "Q/DQ Layer-Placement Recommendations").
Where the placement prevents that, the engine shows it: a standalone Quantize/Dequantize (TensorRT 8.0 printed
them as Scale layers named ``*_quantize_scale_node``), a reformat next to it, or a GEMM whose tactic is not INT8.
These are read from the mapped layer rows only, so the comparison rule and the link to the lint agree.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from trtdiag.engine.mapping import LayerKind
from trtdiag.engine.model import EngineLayer
from trtdiag.engine.summary import EngineSummary, LayerRow
from trtdiag.onnx.compute import GEMM_OPS
from trtdiag.onnx.graph import GraphIndex

_QDQ_NAME = re.compile(r"(?:Quantize|Dequantize)Linear|_(?:de)?quantize_scale_node|_(?:input|weight)_quantizer")
_QDQ_TYPES = ("quantize", "dequantize")
_GEMM_TYPES = re.compile(r"(?i)^(?:convolution|matrixmultiply|fullyconnected|gemm|caskconvolution|caskgemm"
                         r"|cudnnconvolution)")
_GEMM_NAME = re.compile(r"(?:^|[/_.])(?:MatMul|Gemm|Conv)(?:_\d+)?(?:$|[ +/])")
FLOAT_PRECISIONS = ("FP16", "FP32", "BF16")


class UnfusedKind:
    QDQ = "qdq-layer"
    REFORMAT = "reformat-next-to-qdq"
    GEMM = "gemm-not-int8"


@dataclass(frozen=True)
class UnfusedLayer:
    """One engine layer the Q/DQ placement left unfused: its kind (:class:`UnfusedKind`), precision, the ONNX
    nodes it covers (mapped through the model when given, else the names TensorRT printed) and its time."""

    layer: str
    kind: str
    precision: str | None
    nodes: tuple[str, ...]
    average_ms: float | None


def is_qdq_layer(r: LayerRow) -> bool:
    """A Q/DQ that survived as its own layer (a reformat of QDQ origin, a Quantize/Dequantize, a scale node)."""
    if r.kind == LayerKind.QDQ:
        return True
    ltype = (r.layer_type or "").lower()
    if ltype in _QDQ_TYPES:
        return True
    return ltype == "scale" and _QDQ_NAME.search(r.name) is not None


def names_qdq(layers: Iterable[EngineLayer]) -> bool:
    """Do the engine's layers name Q/DQ nodes (in their names or ``[ONNX Layer: x]`` metadata)? Read from the raw
    layers, so that the answer does not depend on whether (or which) model was given."""
    return any(_QDQ_NAME.search(x) for la in layers for x in (la.name, *la.metadata))


def is_explicit_engine(s: EngineSummary, graph: GraphIndex | None) -> bool:
    """An explicitly quantized engine: the model has Q/DQ nodes, or the engine's layers name Q/DQ nodes."""
    if s.explicit_quantization or (graph is not None and graph.qdq_nodes):
        return True
    return any(is_qdq_layer(r) or any(_QDQ_NAME.search(n) for n in r.nodes) for r in s.layers)


def _is_gemm(r: LayerRow, graph: GraphIndex | None) -> bool:
    if r.kind not in (LayerKind.COMPUTE, LayerKind.MYELIN):
        return False
    if graph is not None and r.nodes:
        return any((n := graph.node(x)) is not None and n.op_type in GEMM_OPS for x in r.nodes)
    return bool(_GEMM_TYPES.match(r.layer_type or "") or _GEMM_NAME.search(r.name))


def unfused_layers(s: EngineSummary, graph: GraphIndex | None) -> list[UnfusedLayer]:
    """Every unfused Q/DQ layer, reformat next to one, and GEMM/Conv layer in float of an explicit engine
    (empty for an implicitly quantized engine), in engine order."""
    if not is_explicit_engine(s, graph):
        return []
    rows = list(s.layers)
    qdq_at = {i for i, r in enumerate(rows) if is_qdq_layer(r)}
    qdq_names = {rows[i].name for i in qdq_at}
    out: list[UnfusedLayer] = []
    for i, r in enumerate(rows):
        kind = None
        if i in qdq_at:
            kind = UnfusedKind.QDQ
        elif r.kind == LayerKind.REFORMAT and ({i - 1, i + 1} & qdq_at or any(q in r.name for q in qdq_names)):
            kind = UnfusedKind.REFORMAT
        elif r.precision in FLOAT_PRECISIONS and _is_gemm(r, graph):
            kind = UnfusedKind.GEMM
        if kind is not None:
            out.append(UnfusedLayer(r.name, kind, r.precision, r.nodes, r.average_ms))
    return out
