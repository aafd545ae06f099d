"""``gemm-input-not-quantized``: a MatMul/Gemm/Conv with only one of its two inputs dequantized.

TensorRT picks an INT8 GEMM kernel only when both operands are INT8; with one float operand the layer runs
in FP16/FP32 and the DQ on the other operand is pure overhead. The two attention MatMuls (Q.K^T and
softmax.V) are the usual case: quantizers that handle Linear layers only leave them in float.
"""

from __future__ import annotations

from trtdiag.findings import Finding, Severity
from trtdiag.lint.rules.base import LintContext, LintRule, finding, requantize_command
from trtdiag.onnx.graph import NodeInfo


def half_quantized(ctx: LintContext) -> list[tuple[NodeInfo, str]]:
    """(GEMM, its operand that is not dequantized) for GEMMs with exactly one dequantized operand."""
    out = []
    for g in ctx.view.gemm_nodes():
        operands = [t for t in g.inputs[:2] if t]
        if len(operands) < 2:
            continue
        plain = [t for t in operands if ctx.view.source_dq(t) is None]
        if len(plain) == 1:
            out.append((g, plain[0]))
    return out


def check(ctx: LintContext, rule: LintRule) -> list[Finding]:
    attention = set(ctx.view.graph.transformer.attention_matmuls)
    groups: dict[bool, list[tuple[NodeInfo, str]]] = {True: [], False: []}
    for g, t in half_quantized(ctx):
        groups[g.name in attention].append((g, t))
    out = []
    for is_attention, items in groups.items():
        if not items:
            continue
        gemms = [g.name for g, _ in items]
        notes = [f"{g.name}: input {t!r} is not dequantized" for g, t in items]
        if is_attention:
            out.append(finding(
                rule, ctx, nodes=gemms, tensors=[t for _, t in items], gemms=gemms, notes=notes,
                title="Attention MatMuls (Q.K^T, softmax.V) with only one input quantized",
                fix="Quantize both inputs of the attention MatMuls: ModelOpt's ONNX PTQ does unless "
                    "--disable_mha_qdq is given (command); by hand, insert a QuantizeLinear/DequantizeLinear pair "
                    "(symmetric, per tensor) on each listed input.",
                commands=(requantize_command(ctx),)))
        else:
            out.append(finding(rule, ctx, nodes=gemms, tensors=[t for _, t in items], gemms=gemms, notes=notes,
                               commands=(requantize_command(ctx),)))
    return out


RULE = LintRule(
    id="gemm-input-not-quantized",
    severity=Severity.WARNING,
    title="GEMM/Conv layers with only one of their two inputs quantized",
    explanation="TensorRT runs a GEMM or convolution in INT8 only when both its data input and its weights are "
                "dequantized; with one float input the layer runs FP16/FP32 and the DequantizeLinear on the other "
                "input becomes a standalone layer (extra reformat, no speed-up).",
    fix="Insert a QuantizeLinear/DequantizeLinear pair (symmetric, per tensor for activations, per channel for "
        "weights) on the listed input of each node, or re-run ModelOpt's ONNX PTQ, which quantizes both inputs "
        "of every GEMM (command).",
    facts=("quantize-weighted-inputs",),
    check=check,
)
