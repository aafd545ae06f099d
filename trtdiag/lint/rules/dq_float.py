"""``dq-feeds-non-int8-op``: a DequantizeLinear whose consumers can only run in float.

Such a DQ is not absorbed into an INT8 layer: TensorRT keeps it as a standalone layer (a reformat from INT8 to
float) in front of a LayerNorm, Softmax, GELU... A DQ that feeds only such ops makes its whole Q/DQ pair
overhead (warning); one that also feeds a GEMM costs just the extra reformat (info).
"""

from __future__ import annotations

from trtdiag.findings import Finding, Severity
from trtdiag.lint.knowledge import FLOAT_ONLY_OPS, WEIGHTED_OPS
from trtdiag.lint.model import QdqNode, QdqView
from trtdiag.lint.rules.base import LintContext, LintRule, finding
from trtdiag.onnx.graph import NodeInfo


def next_gemm(view: QdqView, node: NodeInfo, hops: int = 16) -> NodeInfo | None:
    """The first GEMM/Conv downstream of ``node``: where the Q/DQ pair belongs instead."""
    frontier = list(node.outputs)
    seen: set[str] = set(frontier)
    for _ in range(hops):
        nxt: list[str] = []
        for t in frontier:
            for c in view.graph.consumers_of(t):
                if c.op_type in WEIGHTED_OPS:
                    return c
                for o in c.outputs:
                    if o not in seen:
                        seen.add(o)
                        nxt.append(o)
        frontier = nxt
    return None


def check(ctx: LintContext, rule: LintRule) -> list[Finding]:
    only: list[tuple[QdqNode, list[NodeInfo]]] = []
    mixed: list[tuple[QdqNode, list[NodeInfo]]] = []
    for dq in ctx.view.dq_nodes():
        if ctx.view.is_constant(dq.input):
            continue
        consumers = ctx.view.real_consumers(dq.output)
        floats = [c for c in consumers if c.op_type in FLOAT_ONLY_OPS]
        if floats:
            (only if len(floats) == len(consumers) else mixed).append((dq, floats))
    out = []
    for items, severity in ((only, Severity.WARNING), (mixed, Severity.INFO)):
        if not items:
            continue
        notes = []
        for dq, floats in items:
            for c in floats:
                g = next_gemm(ctx.view, c)
                where = f"move the Q/DQ pair to the input of {g.name} ({g.op_type})" if g else "remove the Q/DQ pair"
                notes.append(f"{dq.name} -> {c.name} ({c.op_type}): {where}")
        title = rule.title if severity is Severity.WARNING else \
            "DequantizeLinear nodes that also feed float-only ops (extra reformat)"
        out.append(finding(rule, ctx, nodes=[n for dq, fl in items for n in (dq.name, *(c.name for c in fl))],
                           tensors=[dq.output for dq, _ in items], notes=notes, severity=severity, title=title))
    return out


RULE = LintRule(
    id="dq-feeds-non-int8-op",
    severity=Severity.WARNING,
    title="DequantizeLinear nodes that feed only float-only ops (LayerNorm, Softmax, GELU, Div...)",
    explanation="These ops have no INT8 implementation: TensorRT keeps the DequantizeLinear as a standalone layer and "
                "reformats the INT8 tensor to float in front of them, so the Q/DQ pair adds work and saves none.",
    fix="Move each Q/DQ pair to where an INT8 layer reads the tensor: the input of the next GEMM/Conv named in "
        "the notes (or remove it when there is none).",
    facts=("float-only-consumers", "qdq-propagation"),
    check=check,
)
