"""``qdq-nonzero-zero-point``: TensorRT accepts symmetric quantization only (zero-point 0).

ONNX Runtime's default ``quantize_static`` writes asymmetric activations (non-zero zero-points),
which the TensorRT ONNX parser rejects, so the build fails before any layer is chosen.
"""

from __future__ import annotations

from trtdiag.findings import Finding, Severity
from trtdiag.lint.rules.base import LintContext, LintRule, finding, gemm_consumers, requantize_command

ORT_SYMMETRIC = (
    "quantize_static(model_in, model_out, reader, quant_format=QuantFormat.QDQ, "
    "activation_type=QuantType.QInt8, weight_type=QuantType.QInt8, per_channel=True, "
    "extra_options={'ActivationSymmetric': True, 'WeightSymmetric': True})"
)


def check(ctx: LintContext, rule: LintRule) -> list[Finding]:
    bad = [n for n in ctx.view.nodes.values() if n.nonzero_zero_point]
    if not bad:
        return []
    tensors = sorted({n.zero_point_tensor or "" for n in bad})
    dtypes = sorted({n.zero_point_dtype or "?" for n in bad})
    values = sorted({v for n in bad for v in (n.zero_point or ()) if v != 0})
    notes = [f"zero-point dtype(s): {', '.join(dtypes)}; non-zero values: {', '.join(f'{v:g}' for v in values[:8])}"]
    dequantized = [n.output for n in bad if n.kind == "DQ"]
    return [finding(rule, ctx, nodes=[n.name for n in bad], tensors=tensors, gemms=gemm_consumers(ctx, dequantized),
                    notes=notes, commands=(ORT_SYMMETRIC, requantize_command(ctx)))]


RULE = LintRule(
    id="qdq-nonzero-zero-point",
    severity=Severity.ERROR,
    title="Q/DQ nodes with a non-zero zero-point (asymmetric quantization)",
    explanation="TensorRT supports symmetric quantization only: the ONNX parser rejects these nodes "
                "(\"TRT only supports symmetric quantization - zeroPt must be all zeros\") and the build fails.",
    fix="Re-quantize symmetrically (zero-point 0, INT8): with ONNX Runtime pass ActivationSymmetric/WeightSymmetric "
        "and QInt8 types (the first command), or use ModelOpt's ONNX PTQ, which is symmetric (the second command).",
    facts=("symmetric-only",),
    check=check,
)
