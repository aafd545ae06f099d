"""``qdq-orphan``: a QuantizeLinear without a DequantizeLinear, a DequantizeLinear without a QuantizeLinear (on an
activation), and Q->DQ pairs whose output nothing reads."""

from __future__ import annotations

from trtdiag.findings import Finding, Severity
from trtdiag.lint.knowledge import COMMUTING_OPS
from trtdiag.lint.model import DQ_OP, Q_OP, QdqNode, QdqView
from trtdiag.lint.rules.base import LintContext, LintRule, finding


def lone_q(view: QdqView) -> list[QdqNode]:
    """Q nodes read by something other than a DQ (or by nothing, unless they write a graph output)."""
    out = []
    for q in view.q_nodes():
        consumers = view.real_consumers(q.output)
        if (not consumers and not view.feeds_output(q.output)) or any(c.op_type != DQ_OP for c in consumers):
            out.append(q)
    return out


def _from_q(view: QdqView, tensor: str) -> bool:
    for _ in range(8):
        p = view.graph.producer_of(tensor)
        if p is None:
            return False
        if p.op_type == Q_OP:
            return True
        if p.op_type not in COMMUTING_OPS or not p.inputs:
            return False
        tensor = p.inputs[0]
    return False


def lone_dq(view: QdqView) -> list[QdqNode]:
    """DQ nodes on an activation that no Q produced (pre-quantized weights and graph inputs are fine)."""
    return [dq for dq in view.dq_nodes() if not view.is_constant(dq.input) and dq.input not in view.graph.inputs
            and not _from_q(view, dq.input)]


def unused_pairs(view: QdqView) -> list[QdqNode]:
    """DQ nodes whose output nothing reads (and that do not write a graph output)."""
    return [dq for dq in view.dq_nodes() if not view.real_consumers(dq.output) and not view.feeds_output(dq.output)]


def check(ctx: LintContext, rule: LintRule) -> list[Finding]:
    out = []
    qs = lone_q(ctx.view)
    if qs:
        out.append(finding(rule, ctx, nodes=[q.name for q in qs], tensors=[q.output for q in qs],
                           title="QuantizeLinear nodes without a DequantizeLinear",
                           fix="Add the missing DequantizeLinear (same scale and zero-point) after each listed "
                               "QuantizeLinear, or remove the QuantizeLinear."))
    dqs = lone_dq(ctx.view)
    if dqs:
        out.append(finding(rule, ctx, nodes=[d.name for d in dqs], tensors=[d.input for d in dqs],
                           title="DequantizeLinear nodes on activations that no QuantizeLinear produced",
                           fix="Insert the matching QuantizeLinear in front of each listed DequantizeLinear, or "
                               "remove the DequantizeLinear."))
    unused = unused_pairs(ctx.view)
    if unused:
        pairs = [(ctx.view.q_of(d), d) for d in unused]
        nodes = [n for q, d in pairs for n in ((q.name,) if q is not None else ()) + (d.name,)]
        out.append(finding(rule, ctx, nodes=nodes, tensors=[d.output for d in unused],
                           title="Q/DQ pairs whose output nothing reads",
                           fix="Delete the listed Q/DQ nodes (then run onnx.checker and the lint again)."))
    return out


RULE = LintRule(
    id="qdq-orphan",
    severity=Severity.WARNING,
    title="Q/DQ nodes without their partner",
    explanation="TensorRT expects QuantizeLinear and DequantizeLinear in pairs: a lone node is rejected by the parser "
                "or becomes a standalone scale layer, and a pair that feeds nothing is dead work left in the model.",
    fix="Complete or remove the listed nodes.",
    facts=("q-dq-pairs",),
    check=check,
)
