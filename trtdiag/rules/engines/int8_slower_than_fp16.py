"""``int8-slower-than-fp16``: the INT8 engine is slower than the FP16 one, with the extra time decomposed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from trtdiag.commands import template
from trtdiag.findings import Evidence, Finding, Severity
from trtdiag.fixes import modelopt_command, sensitive_nodes
from trtdiag.onnx.compute import GEMM_OPS
from trtdiag.rules.base import ContextKind, Rule
from trtdiag.rules.context import EngineContext
from trtdiag.rules.evidence import MAX_EVIDENCE, ms

if TYPE_CHECKING:
    from trtdiag.engine.summary import EngineSummary, LayerRow

_GEMM_WORDS = ("Conv", "Gemm", "MatMul", "MatrixMultiply", "gemm", "Myelin", "ForeignNode")


def _gemm_layers(ctx: EngineContext, s: EngineSummary) -> list[LayerRow]:
    """Compute layers covering a MatMul/Gemm/Conv (by the model's nodes, else by type and name)."""
    rows = [r for r in s.layers if r.kind in ("compute", "myelin")]
    if ctx.graph is None:
        return [r for r in rows if any(k in (r.layer_type or "") + r.name for k in _GEMM_WORDS)]
    gemms = {n.name for n in ctx.graph.nodes if n.op_type in GEMM_OPS}
    return [r for r in rows if set(r.nodes) & gemms]


def _attention_unfused(ctx: EngineContext) -> list[LayerRow]:
    """INT8 layers computing a Softmax on their own while the FP16 engine fused it into a Myelin region."""
    if ctx.graph is None:
        return []
    c = ctx.pair
    softmax = set(ctx.graph.transformer.softmax_nodes)
    fused16 = any(r.kind == "myelin" and set(r.nodes) & softmax for r in c.fp16.layers)
    alone8 = [r for r in c.int8.layers if r.kind == "compute" and set(r.nodes) & softmax]
    return alone8 if fused16 else []


def _extra_time(ctx: EngineContext, not_int8: list[LayerRow]) -> list[str]:
    """Where the INT8 engine spends more time than the FP16 one, one phrase per cause that costs time."""
    c = ctx.pair
    parts = [
        ("reformat layers", c.int8.reformat_ms - c.fp16.reformat_ms),
        ("layers running in FP32", c.int8.fp32_ms - c.fp16.fp32_ms),
        ("unfused Q/DQ layers", c.int8.qdq_ms),
        ("GEMM/Conv layers whose tactics are not INT8", sum(r.average_ms or 0 for r in not_int8)),
    ]
    attention = _attention_unfused(ctx)
    if attention:
        parts.append(("attention not fused (separate MatMul/Softmax layers)",
                      sum(r.average_ms or 0 for r in attention)))
    return [f"{name}: {ms(v)}" for name, v in parts if v > 0]


def _commands(ctx: EngineContext) -> tuple[str, ...]:
    """ModelOpt PTQ of the compared model (sensitive nodes excluded when the model is given), then its build."""
    model = ctx.pair.model or "model.onnx"
    sens = sensitive_nodes(ctx.graph) if ctx.graph is not None else None
    quantize = modelopt_command(model, ctx.graph, sens)
    if ctx.pair.model is None:
        quantize = template(quantize, "model.onnx: the ONNX model both engines were built from")
    return (quantize, "trtexec --onnx=model.int8.onnx --stronglyTyped --dumpProfile --separateProfileRun")


def check(ctx: EngineContext) -> Finding | None:
    t16, t8, basis = ctx.pair.totals()
    if t16 is None or t8 is None or t8 <= t16:
        return None
    not_int8 = [r for r in _gemm_layers(ctx, ctx.pair.int8) if r.precision not in ("INT8",) and r.average_ms]
    lines = _extra_time(ctx, not_int8)
    gemm_nodes = [n for r in not_int8 for n in r.nodes if ctx.graph is None or ctx.is_gemm(n)]
    return RULE.finding(
        fields={"int8": ms(t8), "fp16": ms(t16), "change": f"{(t8 / t16 - 1) * 100:+.0f}%", "basis": basis,
                "causes": "; ".join(lines) or "no single cause"},
        evidence=Evidence(nodes=tuple(gemm_nodes[:MAX_EVIDENCE]), notes=tuple(lines), total_nodes=len(gemm_nodes)),
        commands=_commands(ctx),
        gemm_nodes=gemm_nodes, mac_share=ctx.share(gemm_nodes),
    )


RULE = Rule[EngineContext](
    id="int8-slower-than-fp16",
    kind=ContextKind.ENGINE,
    severity=Severity.ERROR,
    title="The INT8 engine is slower than the FP16 engine ({int8} vs {fp16}, {change}, {basis})",
    summary="the INT8 engine is slower, decomposed into reformats, FP32 fallback, unfused Q/DQ, unfused attention, "
    "non-INT8 GEMM tactics",
    explanation=(
        "The per-layer profiles put the extra time in: {causes}. "
        "INT8 only pays off when the GEMMs run INT8 tactics and the engine does not convert "
        "between formats around them."
    ),
    fix="Quantize explicitly (ModelOpt Q/DQ) so TensorRT can fuse Q/DQ into INT8 GEMMs, build with FP16 "
    "enabled so non-INT8 layers run FP16, and keep attention fusable (ModelOpt's MHA Q/DQ placement).",
    check=check,
)
