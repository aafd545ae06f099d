"""``calibration-range-overflow``: calibration-cache entries whose dynamic range is so large that the tensor's
INT8 range is meaningless (one INT8 step over 500; see :data:`trtdiag.rules.cache_check.RANGE_OVERFLOW`).

The typical case is the additive attention mask of a TorchScript transformer export, ``(1 - mask) *
finfo(float32).min``: calibration records a range of 3.4e38 (a TensorRT scale of 2.7e36) for it and for what
it flows into, and TensorRT quantizes those tensors to nothing. Read from TensorRT caches and ONNX Runtime
tables alike (:func:`trtdiag.rules.cache_check.range_overflows`); infinite and zero scales are reported by
the cache check's ``bad_values`` instead.
"""

from __future__ import annotations

from trtdiag.calib.cache import CacheFormat
from trtdiag.findings import Evidence, Finding, Severity
from trtdiag.rules.base import ContextKind, Rule, Scope
from trtdiag.rules.cache_check import dynamic_range, range_overflows
from trtdiag.rules.context import BuildContext
from trtdiag.rules.evidence import MAX_EVIDENCE

_SHOWN = 8


def _producer_note(ctx: BuildContext, tensor: str) -> str:
    node = ctx.graph.producer_of(tensor) if ctx.graph is not None else None
    return f", produced by {node.name} ({node.op_type})" if node is not None else ""


def check(ctx: BuildContext) -> Finding | None:
    cc = ctx.cache_check
    if cc is None:
        return None
    hits = range_overflows(cc.cache)
    if not hits:
        return None
    notes = [f"{e.name}: {'scale' if cc.cache.format is CacheFormat.TENSORRT else 'range'} {e.value:.3g} "
             f"(dynamic range {dynamic_range(cc.cache, e.value):.3g}, cache line {e.line})"
             + _producer_note(ctx, e.name) for e in hits[:_SHOWN]]
    producers = [ctx.graph.producer_of(e.name) for e in hits] if ctx.graph is not None else []
    nodes = list(dict.fromkeys(n.name for n in producers if n is not None))
    return RULE.finding(
        fields={"count": len(hits), "cache": cc.cache.path, "peak": max(dynamic_range(cc.cache, e.value)
                                                                       for e in hits)},
        evidence=Evidence(tensors=tuple(e.name for e in hits[:MAX_EVIDENCE]), nodes=tuple(nodes[:MAX_EVIDENCE]),
                          notes=tuple(notes), total_tensors=len(hits), total_nodes=len(nodes)),
        mac_share=ctx.finding_share([]),
    )


RULE = Rule[BuildContext](
    id="calibration-range-overflow",
    kind=ContextKind.BUILD,
    severity=Severity.WARNING,
    title="Calibration cache ranges so large that INT8 is meaningless for {count} tensor(s) (the attention mask path)",
    summary="calibration-cache scales so large (e.g. 2.7e36 on the attention-mask path) that the tensor's INT8 "
    "range is meaningless",
    explanation=(
        "{count} entry(ies) of {cache} have a dynamic range above 65504 (largest: {peak:.3g}). One INT8 step is then "
        "wider than any ordinary activation, so every value of these tensors quantizes to 0. Such ranges come "
        "from the finfo(float32).min attention mask, (1 - mask) * -3.4e38, being calibrated along with what it "
        "flows into."
    ),
    fix="Exclude the mask path from INT8: keep those layers in FP32/FP16 (--precisionConstraints=obey "
    "--layerPrecisions=<layer>:fp32) or delete their cache entries, or clamp the mask constant before export "
    "(e.g. -1e4 or torch.finfo(torch.float16).min) and recalibrate; with explicit quantization (ModelOpt), "
    "leave the mask Mul/Add unquantized.",
    check=check,
    scope=Scope.ANY,
    scope_reason='an absurd cache range is wrong in either mode (explicit builds: see calibrator-on-qdq)',
)
