"""The ``engine_layers`` key of the analysis document: the INT8 engine's layers by precision.

Why in the analysis: a build log often prints the engine it built (``Engine Layer Information``,
``--dumpLayerInfo``, ``--dumpProfile``). Which layers ran in INT8 is the measured answer to "did
INT8 work", where the missing-scale warnings only let it be inferred; the report shows it even when
no FP16 engine is given. Times are null where no per-layer profile was read (never 0).
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

from trtdiag.documents.common import rounded
from trtdiag.engine.mapping import LayerKind
from trtdiag.engine.summary import EngineSummary, LayerRow, is_gemm_layer
from trtdiag.onnx.compute import GEMM_OPS

if TYPE_CHECKING:
    from trtdiag.onnx.graph import GraphIndex

_PRECISION_KINDS = (LayerKind.COMPUTE, LayerKind.MYELIN, LayerKind.QDQ, LayerKind.COPY)


def _gemm_row(r: LayerRow, timed: bool) -> dict[str, Any]:
    return {"name": r.name, "kind": r.kind, "layer_type": r.layer_type, "precision": r.precision,
            "output_precision": r.output_precision, "nodes": list(r.nodes), "block": r.block,
            "average_ms": rounded(r.average_ms) if timed else None}


def engine_layers_dict(s: EngineSummary, graph: GraphIndex | None) -> dict[str, Any]:
    """Layers by precision, by block (with a model), and every GEMM/Conv layer with its precision."""
    gemm_nodes = {n.name for n in graph.nodes if n.op_type in GEMM_OPS} if graph is not None else None
    counted = [r for r in s.layers if r.kind in _PRECISION_KINDS]
    by_block: dict[str, Counter[str]] = {}
    for r in counted:
        by_block.setdefault(r.block, Counter())[r.precision or "unknown"] += 1
    gemms = [r for r in s.layers if r.kind in (LayerKind.COMPUTE, LayerKind.MYELIN) and is_gemm_layer(r, gemm_nodes)]
    gemm_precisions = Counter(r.precision or "unknown" for r in gemms)
    return {
        "sources": list(s.sources),
        "layers": len(s.layers),
        "timed": s.timed,
        "by_precision": dict(sorted(Counter(r.precision or "unknown" for r in counted).items())),
        "by_kind": dict(sorted(Counter(str(r.kind) for r in s.layers).items())),
        "by_block": [{"block": b, "precisions": dict(sorted(c.items()))} for b, c in by_block.items()],
        "gemm_layers": [_gemm_row(r, s.timed) for r in gemms],
        "gemm_by_precision": dict(sorted(gemm_precisions.items())),
        "int8_mac_share": rounded(s.int8_mac_share),
        "profile_total_ms": rounded(s.profile_total_ms),
        "gpu_compute_median_ms": rounded(s.gpu_compute_median_ms),
        "notes": list(s.notes),
    }
