"""``qdq-scale-mismatch``: tensors joined by Concat/Add whose quantization scales differ.

TensorRT keeps a Concat (or an Add fused into a kernel) in INT8 without extra work only when its quantized
inputs share one scale; different scales force a requantization of all but one input.
"""

from __future__ import annotations

import math

from trtdiag.findings import Finding, Severity
from trtdiag.lint.knowledge import JOIN_OPS
from trtdiag.lint.model import QdqNode
from trtdiag.lint.rules.base import LintContext, LintRule, finding, gemm_consumers
from trtdiag.onnx.graph import NodeInfo

REL_TOL = 1e-3


def mismatched_joins(ctx: LintContext) -> list[tuple[NodeInfo, list[QdqNode]]]:
    """Joins with at least two dequantized per-tensor inputs whose scales differ."""
    out = []
    for n in ctx.view.graph.nodes:
        if n.op_type not in JOIN_OPS:
            continue
        dqs = [dq for t in n.inputs if t and not ctx.view.is_constant(t)
               for dq in [ctx.view.source_dq(t)] if dq is not None and dq.scale and len(dq.scale) == 1]
        if len(dqs) < 2:
            continue
        first = dqs[0].scale[0] if dqs[0].scale else 0.0
        if any(not math.isclose(d.scale[0] if d.scale else 0.0, first, rel_tol=REL_TOL) for d in dqs[1:]):
            out.append((n, dqs))
    return out


def check(ctx: LintContext, rule: LintRule) -> list[Finding]:
    joins = mismatched_joins(ctx)
    if not joins:
        return []
    notes = [f"{n.name} ({n.op_type}): scales " + ", ".join(f"{d.scale[0]:.6g}" for d in dqs if d.scale)
             for n, dqs in joins]
    return [finding(rule, ctx, nodes=[x for n, dqs in joins for x in (n.name, *(d.name for d in dqs))],
                    tensors=[d.scale_tensor for _, dqs in joins for d in dqs],
                    gemms=gemm_consumers(ctx, [o for n, _ in joins for o in n.outputs]), notes=notes)]


RULE = LintRule(
    id="qdq-scale-mismatch",
    severity=Severity.WARNING,
    title="Concat/Add inputs quantized with different scales",
    explanation="TensorRT runs the join in INT8 without rescaling only when its quantized inputs share a scale; "
                "here they differ, so all but one input are requantized (an extra scale or reformat layer each).",
    fix="Give the listed inputs one scale (the largest of them, or one calibrated on the joined tensor): ModelOpt's "
        "ONNX PTQ unifies the scales of Concat inputs; by hand, point the listed QuantizeLinear/DequantizeLinear "
        "nodes at one shared scale initializer.",
    facts=("requantize-on-scale-change",),
    check=check,
)
