"""``qdq-residual-add``: a residual Add whose Q/DQ placement keeps TensorRT from fusing it into the INT8
epilogue of the convolution/GEMM before it.

Two causes: a Q/DQ pair between the GEMM and the Add (the GEMM writes INT8, a separate layer dequantizes
and adds), and a residual input left in float while the Add's result is quantized again (TensorRT cannot
fuse the Add with a float residual into an INT8 kernel, so the GEMM writes float and the Add runs alone).
"""

from __future__ import annotations

from trtdiag.findings import Finding, Severity
from trtdiag.lint.knowledge import EPILOGUE_OPS, WEIGHTED_OPS
from trtdiag.lint.model import Q_OP, QdqView
from trtdiag.lint.rules.base import LintContext, LintRule, finding
from trtdiag.onnx.graph import NodeInfo


def gemm_output(view: QdqView, tensor: str) -> NodeInfo | None:
    """The GEMM/Conv writing ``tensor``, directly or through its bias Add."""
    p = view.graph.producer_of(tensor)
    if p is None:
        return None
    if p.op_type in WEIGHTED_OPS:
        return p
    if p.op_type == "Add" and len(p.inputs) == 2 and any(view.is_constant(t) for t in p.inputs):
        other = next(t for t in p.inputs if not view.is_constant(t))
        q = view.graph.producer_of(other)
        return q if q is not None and q.op_type in WEIGHTED_OPS else None
    return None


def requantized(view: QdqView, tensor: str, hops: int = 3) -> bool:
    """Whether a tensor reaches a QuantizeLinear, through epilogue activations (ReLU...)."""
    frontier = [tensor]
    for _ in range(hops):
        nxt: list[str] = []
        for t in frontier:
            for c in view.real_consumers(t):
                if c.op_type == Q_OP:
                    return True
                if c.op_type in EPILOGUE_OPS:
                    nxt.extend(c.outputs)
        frontier = nxt
    return False


def residual_adds(view: QdqView) -> list[NodeInfo]:
    """Adds of two activations (not bias Adds)."""
    return [n for n in view.graph.nodes if n.op_type == "Add" and len(n.inputs) == 2
            and not any(view.is_constant(t) for t in n.inputs)]


def check(ctx: LintContext, rule: LintRule) -> list[Finding]:
    view = ctx.view
    split: list[tuple[NodeInfo, list[str], str]] = []  # (Add, [Q, DQ, GEMM], tensor)
    floating: list[tuple[NodeInfo, NodeInfo, str]] = []  # (Add, GEMM, float residual)
    for add in residual_adds(view):
        for t in add.inputs:
            dq = view.by_output.get(t)
            q = view.q_of(dq) if dq is not None and dq.kind == "DQ" else None
            g = gemm_output(view, q.input) if q is not None else None
            if g is not None and q is not None and dq is not None:
                split.append((add, [q.name, dq.name, g.name], q.input))
        g0, g1 = (gemm_output(view, t) for t in add.inputs)
        if (g0 is None) == (g1 is None) or not requantized(view, add.outputs[0]):
            continue
        gemm, residual = (g0, add.inputs[1]) if g0 is not None else (g1, add.inputs[0])
        if gemm is not None and view.source_dq(residual) is None:
            floating.append((add, gemm, residual))
    out = []
    if split:
        out.append(finding(
            rule, ctx, nodes=[n for add, names, _ in split for n in (add.name, *names)],
            tensors=[t for _, _, t in split], gemms=[names[2] for _, names, _ in split],
            title="Q/DQ between a GEMM/Conv and the residual Add that follows it",
            explanation="An extra Q/DQ pair on the GEMM/Conv output separates it from the Add: TensorRT writes the "
                        "GEMM result in INT8, then runs a standalone dequantize + Add layer instead of fusing the Add "
                        "into the GEMM epilogue (the residual pattern of TensorRT issue #3270).",
            fix="Remove the listed QuantizeLinear/DequantizeLinear pair from the GEMM output and put a pair with the "
                "same scale on the Add's other (residual) input instead."))
    if floating:
        out.append(finding(
            rule, ctx, nodes=[n for add, g, _ in floating for n in (add.name, g.name)],
            tensors=[r for _, _, r in floating], gemms=[g.name for _, g, _ in floating],
            fix="Insert a QuantizeLinear/DequantizeLinear pair on each listed residual tensor, with the scale of the "
                "QuantizeLinear that follows the Add, so that TensorRT fuses the Add into the INT8 epilogue."))
    return out


RULE = LintRule(
    id="qdq-residual-add",
    severity=Severity.WARNING,
    title="Residual Add quantized on one branch only",
    explanation="The Add's result is quantized again, but its residual input stays float: TensorRT cannot fuse an "
                "Add with a float input into the preceding INT8 convolution/GEMM, so that layer writes float and the "
                "Add, the quantization and a reformat run as separate layers.",
    fix="Quantize the residual input of the skip connection (a Q/DQ pair with the scale of the Q after the Add).",
    facts=("quantize-residual", "no-output-quantization"),
    check=check,
)
