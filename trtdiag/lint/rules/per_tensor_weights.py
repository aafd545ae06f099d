"""``qdq-per-tensor-weights``: GEMM/Conv weights quantized with one scale where TensorRT expects one per
output channel.

Per-tensor weights build and run in INT8, but one scale for all output channels costs accuracy (channels
with small weights round to a few levels); per-channel scales on the output-channel axis cost nothing at
run time.
"""

from __future__ import annotations

from typing import Any

from trtdiag.findings import Finding, Severity
from trtdiag.lint.model import QdqNode, QdqView
from trtdiag.lint.rules.base import LintContext, LintRule, finding, requantize_command
from trtdiag.onnx.graph import NodeInfo


def expected_axis(view: QdqView, gemm: NodeInfo, rank: int) -> int:
    """The output-channel axis of a weight operand: Conv K (0), ConvTranspose (1), MatMul N (last),
    Gemm N (0 with transB=1, else 1)."""
    if gemm.op_type == "Conv":
        return 0
    if gemm.op_type == "ConvTranspose":
        return 1
    if gemm.op_type == "Gemm":
        return 0 if _int_attr(view, gemm, "transB") else 1
    return rank - 1


def _int_attr(view: QdqView, node: NodeInfo, name: str) -> int:
    s = view.graph.structure
    for a in s.graph.node[node.index].attribute:
        if a.name == name:
            return int(a.i)
    return 0


def weight_dims(view: QdqView, dq: QdqNode) -> tuple[int, ...] | None:
    """Dims of the constant a weight DQ reads (directly, or through its Q)."""
    tensor = dq.input
    q = view.q_of(dq)
    if q is not None:
        tensor = q.input
    init = view.graph.initializers.get(tensor)
    if init is not None:
        return init[1]
    s: Any = view.graph.structure
    i = view.graph.constant_outputs.get(tensor)
    if s is not None and i is not None:
        for a in s.graph.node[i].attribute:
            if a.name == "value":
                return tuple(a.t.dims)
    return None


def weight_operands(view: QdqView) -> list[tuple[NodeInfo, QdqNode, bool]]:
    """(GEMM, the DQ of its weight, whether the DQ feeds the GEMM directly) for every quantized weight."""
    out = []
    for g in view.gemm_nodes():
        for t in g.inputs[:2]:
            if not t or not view.is_constant(t):
                continue
            dq = view.source_dq(t)
            if dq is not None:
                out.append((g, dq, dq.output == t))
    return out


def check(ctx: LintContext, rule: LintRule) -> list[Finding]:
    per_tensor: list[tuple[NodeInfo, QdqNode]] = []
    wrong_axis: list[tuple[NodeInfo, QdqNode, int]] = []
    for g, dq, direct in weight_operands(ctx.view):
        dims = weight_dims(ctx.view, dq)
        if not dims or len(dims) < 2:
            continue
        axis = expected_axis(ctx.view, g, len(dims))
        if dq.scale_count == 1 and dims[axis] > 1:
            per_tensor.append((g, dq))
        elif dq.per_channel and direct and not dq.block_size and dq.axis % len(dims) != axis:
            wrong_axis.append((g, dq, axis))
    out = []
    if per_tensor:
        out.append(finding(
            rule, ctx, nodes=[n for g, dq in per_tensor for n in (dq.name, g.name)],
            tensors=[dq.scale_tensor for _, dq in per_tensor], gemms=[g.name for g, _ in per_tensor],
            commands=(requantize_command(ctx),)))
    if wrong_axis:
        out.append(finding(
            rule, ctx, nodes=[n for g, dq, _ in wrong_axis for n in (dq.name, g.name)],
            tensors=[dq.scale_tensor for _, dq, _ in wrong_axis], gemms=[g.name for g, _, _ in wrong_axis],
            title="Per-channel weight scales on an axis other than the output channels",
            notes=[f"{dq.name}: axis {dq.axis}, output-channel axis {a}" for _, dq, a in wrong_axis],
            explanation="TensorRT applies per-channel weight scales on the output-channel axis only; a scale vector "
                        "on another axis is rejected by the parser or forces the weights to stay in float.",
            fix="Set the DequantizeLinear (and QuantizeLinear) axis attribute to the output-channel axis listed in "
                "the notes, with the scale vector computed along it (max|W| per output channel / 127)."))
    return out


RULE = LintRule(
    id="qdq-per-tensor-weights",
    severity=Severity.WARNING,
    title="GEMM/Conv weights quantized per tensor instead of per output channel",
    explanation="TensorRT builds these layers in INT8, but one scale shared by every output channel rounds the "
                "channels with small weights to a few INT8 levels: accuracy drops where per-channel scales (on the "
                "output-channel axis) would cost nothing at run time.",
    fix="Quantize weights per channel: ModelOpt's ONNX PTQ does by default (command); ONNX Runtime needs "
        "per_channel=True; by hand, give each weight DequantizeLinear a scale vector with axis=0 for Conv, the N "
        "axis (1) for a MatMul weight [K, N], axis 0 for a Gemm weight with transB=1.",
    facts=("per-channel-weights",),
    check=check,
)
