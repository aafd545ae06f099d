"""``gemm-not-int8``: a Gemm/MatMul/Conv layer of the INT8 engine ran in FP16/BF16/FP32.

Why its own rule: the point of an INT8 build is its matrix multiplies. A GEMM left in FP16 is not an
error of TensorRT (it picks the fastest tactic it may use), but a GEMM without an INT8 option usually
means its inputs had no scale, or a Q/DQ pair is missing around it; the MAC share says what it costs.
Myelin regions are left to ``foreign-node-not-int8``, which explains why Myelin keeps them out of
INT8. Explicitly quantized (Q/DQ) networks are left alone: there a GEMM without Q/DQ nodes runs in
float by the model's design, and where the Q/DQ nodes go is ``trtdiag lint``'s subject. This rule
needs the INT8 engine only, so ``trtdiag analyze`` runs it on the listing printed in the build log.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from trtdiag.engine.summary import is_gemm_layer, shows_qdq
from trtdiag.findings import Evidence, Finding, Severity
from trtdiag.rules.base import ContextKind, Rule
from trtdiag.rules.context import EngineContext
from trtdiag.rules.evidence import MAX_EVIDENCE, ms_or_na, pct

if TYPE_CHECKING:
    from trtdiag.engine.summary import LayerRow

_NOT_INT8 = ("FP16", "BF16", "FP32")
#: Above this share of the model's GEMM/Conv MACs outside INT8 the finding is an error.
ERROR_SHARE = 0.10


def _is_gemm_layer(ctx: EngineContext, r: LayerRow) -> bool:
    """With a model: the layer covers a MatMul/Gemm/Conv node; without: its type or name says so."""
    gemms = {n for n in r.nodes if ctx.is_gemm(n)} if ctx.graph is not None else None
    return is_gemm_layer(r, gemms)


def check(ctx: EngineContext) -> Finding | None:
    if (ctx.graph is not None and ctx.graph.qdq_nodes) or shows_qdq(ctx.int8):
        return None  # explicit quantization: a GEMM without Q/DQ runs in float by the model's own design
    rows = [r for r in ctx.int8.layers if r.kind == "compute" and r.precision in _NOT_INT8 and _is_gemm_layer(ctx, r)]
    if not rows:
        return None
    gemms = list(dict.fromkeys(n for r in rows for n in r.nodes if ctx.graph is None or ctx.is_gemm(n)))
    share = ctx.share(gemms) if ctx.graph is not None else None
    severity = Severity.ERROR if share is not None and share >= ERROR_SHARE else Severity.WARNING
    precisions = "/".join(sorted({r.precision or "?" for r in rows}))
    plural = len(rows) != 1
    return RULE.finding(
        severity=severity,
        fields={"count": len(rows), "layers": "layers" if plural else "layer", "precisions": precisions,
                "share": pct(share) if share is not None else "an unknown share",
                "time": ms_or_na([r.average_ms for r in rows])},
        evidence=Evidence(nodes=tuple(gemms[:MAX_EVIDENCE]),
                          notes=tuple(f"{r.name[:160]} [{r.layer_type or '?'}] {r.precision}" for r in rows[:10]),
                          total_nodes=len(gemms)),
        commands=("trtexec --onnx=model.onnx --int8 --fp16 --calib=<cache> --verbose --dumpLayerInfo",),
        gemm_nodes=gemms if ctx.graph is not None else (),
        mac_share=share,
    )


RULE = Rule[EngineContext](
    id="gemm-not-int8",
    kind=ContextKind.ENGINE,
    severity=Severity.WARNING,
    title="{count} GEMM/Conv {layers} of the INT8 engine ran in {precisions}",
    summary="a Gemm/MatMul/Conv layer ran in FP16/FP32 in an INT8 build",
    explanation=(
        "These matrix-multiply layers did not run in INT8: {share} of the model's GEMM/Conv MACs "
        "(layer time: {time}). TensorRT runs a GEMM in INT8 only when its inputs (and weights) have INT8 "
        "scales, from calibration or Q/DQ nodes, and an INT8 tactic is faster; a GEMM whose input lacked "
        "a scale falls back to FP16/FP32."
    ),
    fix="Give every GEMM input a scale (calibrate with the cache covering these tensors, or place Q/DQ "
    "pairs on both inputs of each MatMul/Gemm/Conv), then check the layer precisions again.",
    check=check,
)
