"""``calibrator-on-qdq``: a calibrator or calibration cache given with a Q/DQ network is ignored.

Known only with a build log (``analyze``); ``trtdiag lint`` on a model alone never sets the flag.
"""

from __future__ import annotations

from trtdiag.findings import Finding, Severity
from trtdiag.lint.rules.base import LintContext, LintRule, finding


def check(ctx: LintContext, rule: LintRule) -> list[Finding]:
    if not ctx.calibrator_used or not ctx.view.has_qdq:
        return []
    qs = ctx.view.q_nodes()
    return [finding(rule, ctx, nodes=[q.name for q in qs], tensors=[q.scale_tensor for q in qs],
                    notes=[f"{len(ctx.view.nodes)} Q/DQ nodes carry the scales TensorRT uses"])]


RULE = LintRule(
    id="calibrator-on-qdq",
    severity=Severity.INFO,
    title="Calibrator or calibration cache given with an explicitly quantized (Q/DQ) model",
    explanation="A network with Q/DQ nodes is built with explicit quantization: TensorRT takes every scale from the "
                "Q/DQ nodes and ignores the calibrator and the calibration cache (TensorRT 10+ warns and skips it).",
    fix="Drop --calib/--int8 calibration options from the build (trtexec: keep --onnx and --stronglyTyped, or "
        "--fp16 --int8 without --calib); to change scales, re-run the quantizer that wrote the Q/DQ nodes.",
    facts=("explicit-mode",),
    check=check,
)
