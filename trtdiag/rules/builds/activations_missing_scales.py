"""``activations-missing-scales``: activations at MatMul/Gemm/Conv nodes have no INT8 scale."""

from __future__ import annotations

from trtdiag.findings import Finding, Severity
from trtdiag.naming import ACTIVATION, GRAPH_INPUT
from trtdiag.rules.base import ContextKind, Rule, Scope
from trtdiag.rules.build_traits import feeds_gemm, q
from trtdiag.rules.context import BuildContext
from trtdiag.rules.evidence import blocks_phrase, evidence, first_lines, pct


def check(ctx: BuildContext) -> Finding | None:
    acts = ctx.mapping.select(lambda m: m.cls in (ACTIVATION, GRAPH_INPUT) and not m.is_integer
                              and not m.weight_path and feeds_gemm(ctx, m))
    if not acts:
        return None
    gemms = ctx.gemms_touched(acts)
    return RULE.finding(
        fields={"count": len(acts), "blocks": blocks_phrase(acts), "gemms": len(gemms),
                "share": pct(ctx.share(gemms))},
        evidence=evidence(acts, nodes=gemms, lines=first_lines(acts)),
        commands=(f"rm -f {q(ctx.facts.build.calibration_cache_read or 'calib.cache')}  # then rebuild",),
        gemm_nodes=gemms, mac_share=ctx.finding_share(gemms),
    )


RULE = Rule[BuildContext](
    id="activations-missing-scales",
    kind=ContextKind.BUILD,
    severity=Severity.ERROR,
    title="Activations that feed MatMul/Gemm/Conv lack INT8 scales",
    summary="activations at MatMul/Gemm/Conv lack scales: which, in which blocks",
    explanation=(
        "{count} activation tensors{blocks} that feed or leave MatMul/Gemm/Conv nodes have no "
        "INT8 scale, so those {gemms} GEMMs ({share} of the MACs) run in FP16/FP32. The "
        "calibrator never saw these tensors (a cache from another export, calibration data that does not "
        "exercise them) or they were renamed."
    ),
    fix="Recalibrate against this exact ONNX file (delete the old cache first) with data that covers every "
    "input; for a transformer, quantize explicitly with ModelOpt instead (see implicit-int8-transformer).",
    check=check,
    scope=Scope.IMPLICIT_ONLY,
    scope_reason="its fix is recalibration; Q/DQ gaps are the lint's gemm-input-not-quantized",
)
