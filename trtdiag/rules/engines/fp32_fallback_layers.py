"""``fp32-fallback-layers``: compute layers of the INT8 engine run in FP32."""

from __future__ import annotations

import shlex

from trtdiag.commands import template
from trtdiag.findings import Evidence, Finding, Severity
from trtdiag.rules.base import ContextKind, Rule
from trtdiag.rules.context import EngineContext
from trtdiag.rules.evidence import MAX_EVIDENCE, ms_or_na


def _model(ctx: EngineContext) -> str | None:
    """The model path: the comparison's, or the graph's when the INT8 engine is judged alone."""
    if ctx.comparison is not None and ctx.comparison.model:
        return ctx.comparison.model
    return ctx.graph.path if ctx.graph is not None else None


def check(ctx: EngineContext) -> Finding | None:
    # a layer reading only integers (mask/index casts) computes nothing in FP32 that could be INT8
    rows = [r for r in ctx.int8.layers if r.kind in ("compute", "myelin") and r.precision == "FP32"
            and not r.integer_inputs]
    if not rows:
        return None
    time = sum(r.average_ms or 0 for r in rows)  # 0 without a profile: a warning, timed as n/a
    nodes = [n for r in rows for n in r.nodes]
    gemms = [n for n in nodes if ctx.is_gemm(n)]
    plural = len(rows) != 1
    return RULE.finding(
        severity=Severity.WARNING if time == 0 else Severity.ERROR,
        fields={"count": len(rows), "layers": "layers" if plural else "layer", "run": "run" if plural else "runs",
                "time": ms_or_na([r.average_ms for r in rows]).replace("n/a", "no per-layer profile")},
        evidence=Evidence(nodes=tuple(nodes[:MAX_EVIDENCE]), notes=tuple(r.name[:160] for r in rows[:10]),
                          total_nodes=len(nodes)),
        commands=(template(f"trtexec --onnx={shlex.quote(_model(ctx) or 'model.onnx')} --int8 --fp16 "
                           "--calib=CACHE", "CACHE and the rest of the INT8 build's options (shapes, "
                           "--saveEngine): the engine artifacts do not record its command"),),
        gemm_nodes=gemms, mac_share=ctx.share(gemms),
    )


RULE = Rule[EngineContext](
    id="fp32-fallback-layers",
    kind=ContextKind.ENGINE,
    severity=Severity.ERROR,
    title="{count} {layers} of the INT8 engine {run} in FP32 ({time})",
    summary="layers of the INT8 engine running in FP32 (no FP16 fallback, or inputs without scales)",
    explanation=(
        "These layers consume FP32 tensors: INT8 was enabled without FP16 (fallbacks go to FP32) or "
        "their inputs had no scale. FP32 is the slowest path on tensor-core GPUs."
    ),
    fix="Build with --fp16 (or BuilderFlag.FP16) in addition to INT8.",
    check=check,
)
