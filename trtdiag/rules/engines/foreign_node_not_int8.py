"""``foreign-node-not-int8``: Myelin regions covering the attention/FFN GEMMs stayed FP16/FP32 in the INT8 engine."""

from __future__ import annotations

from typing import TYPE_CHECKING

from trtdiag.findings import Evidence, Finding, Severity
from trtdiag.rules.base import ContextKind, Rule
from trtdiag.rules.context import EngineContext
from trtdiag.rules.evidence import MAX_EVIDENCE, ms_or_na

if TYPE_CHECKING:
    from trtdiag.engine.summary import LayerRow

_GEMM_WORDS = ("MatMul", "Gemm", "gemm", "matmul", "ForeignNode")


def _covers_gemm(ctx: EngineContext, r: LayerRow) -> bool:
    """Does a Myelin layer compute a GEMM? With a model: one of its nodes is a MatMul/Gemm/Conv; without,
    its type or its (ONNX or TensorRT) names say so - a LayerNorm or GELU kernel does not count."""
    if ctx.graph is not None:
        return any(ctx.is_gemm(n) for n in r.nodes)
    text = " ".join((r.layer_type or "", r.name, *r.nodes))
    return (r.layer_type or "").lower() in ("gemm", "myelin") or any(k in text for k in _GEMM_WORDS)


def _time_sentence(regions: list[LayerRow]) -> str:
    """How long the regions take, or that it is unknown (no per-layer profile): never ``0.000 ms``."""
    time = ms_or_na([r.average_ms for r in regions])
    if time == "n/a":
        return "Their time is not known (no per-layer profile was given)."
    return f"They take {time} of the INT8 engine's layer time."


def check(ctx: EngineContext) -> Finding | None:
    regions = [r for r in ctx.int8.layers if r.kind == "myelin" and r.precision in ("FP16", "FP32", "BF16")
               and _covers_gemm(ctx, r)]
    if not regions:
        return None
    nodes = [n for r in regions for n in r.nodes if ctx.graph is None or ctx.is_gemm(n)]
    return RULE.finding(
        fields={"regions": len(regions), "precisions": "/".join(sorted({r.precision or "?" for r in regions})),
                "time": _time_sentence(regions)},
        evidence=Evidence(nodes=tuple(nodes[:MAX_EVIDENCE]), notes=tuple(r.name[:200] for r in regions[:5]),
                          total_nodes=len(nodes)),
        gemm_nodes=nodes if ctx.graph is not None else (),
        mac_share=ctx.share(nodes) if ctx.graph is not None else None,
    )


RULE = Rule[EngineContext](
    id="foreign-node-not-int8",
    kind=ContextKind.ENGINE,
    severity=Severity.ERROR,
    title="{regions} Myelin region(s) covering the attention/FFN GEMMs stayed {precisions} in the INT8 engine",
    summary="a Myelin region covering the attention/FFN GEMMs stayed FP16/FP32",
    explanation=(
        "TensorRT handed these regions ({{ForeignNode[...]}} / Myelin kernels) to Myelin, which does not "
        "apply implicit INT8 scales: every GEMM inside runs in FP16/FP32. {time}"
    ),
    fix="Use explicit quantization (Q/DQ inside the region lets Myelin pick INT8 GEMMs), built with FP16.",
    check=check,
)
