"""``qdq-unfused``: an explicitly quantized INT8 engine kept Q/DQ layers, reformats or float GEMMs apart.

The layers come from :func:`trtdiag.engine.qdq_fusion.unfused_layers`; with a Q/DQ model, the comparison links
each one to the lint finding on the same ONNX node (``linked_lint`` in the comparison document), which says
which Q/DQ placement caused it.
"""

from __future__ import annotations

from trtdiag.engine.qdq_fusion import UnfusedKind, unfused_layers
from trtdiag.findings import Evidence, Finding, Severity
from trtdiag.rules.base import ContextKind, Rule, Scope
from trtdiag.rules.context import EngineContext
from trtdiag.rules.evidence import MAX_EVIDENCE, ms

GEMM_SHARE = 0.05  # float GEMMs above 5% of the MACs (or of the INT8 engine's time) make it a warning


def _words(counts: dict[str, int]) -> str:
    names = {UnfusedKind.QDQ: "unfused Q/DQ layer", UnfusedKind.REFORMAT: "reformat next to Q/DQ",
             UnfusedKind.GEMM: "GEMM/Conv layer still in FP16/FP32"}
    parts = []
    for kind, n in counts.items():
        if n:
            word = names[kind]
            plural = word.replace("layer", "layers", 1) if "layer" in word else word.replace("reformat", "reformats")
            parts.append(f"{n} {word if n == 1 else plural}")
    return ", ".join(parts)


def check(ctx: EngineContext) -> Finding | None:
    items = unfused_layers(ctx.pair.int8, ctx.graph)
    if not items:
        return None
    kinds = (UnfusedKind.QDQ, UnfusedKind.REFORMAT, UnfusedKind.GEMM)
    counts = {k: sum(1 for i in items if i.kind == k) for k in kinds}
    gemm_nodes = [n for i in items if i.kind == UnfusedKind.GEMM for n in i.nodes if ctx.is_gemm(n)]
    share = ctx.share(gemm_nodes)
    total = sum(r.average_ms or 0 for r in ctx.pair.int8.layers)
    gemm_ms = sum(i.average_ms or 0 for i in items if i.kind == UnfusedKind.GEMM)
    by_time = total > 0 and gemm_ms / total >= GEMM_SHARE
    heavy = (share is not None and share >= GEMM_SHARE) or (share is None and by_time)
    severity = Severity.WARNING if counts[UnfusedKind.QDQ] or counts[UnfusedKind.REFORMAT] or heavy else Severity.INFO
    nodes = [n for i in items for n in i.nodes]
    notes = [f"{i.kind}: {i.layer[:160]} ({i.precision or 'precision unknown'}"
             f"{', ' + ms(i.average_ms) if i.average_ms is not None else ''})" for i in items[:10]]
    return RULE.finding(
        severity=severity, fields={"what": _words(counts)},
        evidence=Evidence(nodes=tuple(dict.fromkeys(nodes))[:MAX_EVIDENCE], notes=tuple(notes),
                          total_nodes=len(set(nodes))),
        commands=("trtdiag lint MODEL.qdq.onnx -o lint.html  # which Q/DQ placement keeps these apart",),
        gemm_nodes=gemm_nodes, mac_share=share,
    )


RULE = Rule[EngineContext](
    id="qdq-unfused",
    kind=ContextKind.ENGINE,
    severity=Severity.WARNING,
    title="Explicit INT8 engine: {what}",
    summary="explicit (Q/DQ) INT8 engine: unfused Q/DQ layers, reformats next to them, GEMM/Conv layers in "
    "FP16/FP32",
    explanation=(
        "TensorRT fuses a DequantizeLinear into the GEMM/Conv that consumes it and a QuantizeLinear into the layer "
        "that produces its input. A Q/DQ left as its own layer (a Quantize/Dequantize or scale layer, or a reformat "
        "of QDQ origin) costs a memory pass and usually a reformat; a GEMM/Conv whose inputs are not both "
        "dequantized runs in FP16/FP32. The Q/DQ placement in the model decides both."
    ),
    fix="Place Q/DQ where TensorRT fuses them: on both inputs of every GEMM/Conv, not in front of float-only ops, "
    "not between a GEMM and its residual Add (ModelOpt's ONNX PTQ does this). Run trtdiag lint on the model: with "
    "--model, each layer here is linked to the lint finding on the same ONNX node.",
    check=check,
    scope=Scope.ANY,
    scope_reason="speaks about explicit engines only (implicit engines have no Q/DQ layers)",
)
