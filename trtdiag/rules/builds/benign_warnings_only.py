"""``benign-warnings-only``: only integer inputs, shape tensors and weights lack scales."""

from __future__ import annotations

from trtdiag.findings import Finding, Severity
from trtdiag.rules.base import ContextKind, Rule, Scope
from trtdiag.rules.build_traits import is_benign
from trtdiag.rules.context import BuildContext
from trtdiag.rules.evidence import evidence


def check(ctx: BuildContext) -> Finding | None:
    tensors = ctx.tensors
    if not tensors or not all(is_benign(ctx, g.mapping) for g in ctx.mapping.groups):
        return None
    weights = ctx.mapping.select(lambda m: m.weight_path)
    ints = ctx.mapping.select(lambda m: m.is_integer and not m.weight_path)
    return RULE.finding(
        fields={"total": len(tensors), "ints": len(ints), "weights": len(weights)},
        evidence=evidence(tensors, lines=[t.first_line for t in tensors[:10]]),
        mac_share=ctx.finding_share([]),
    )


RULE = Rule[BuildContext](
    id="benign-warnings-only",
    kind=ContextKind.BUILD,
    severity=Severity.INFO,
    title="Only integer inputs, shape tensors and weights lack scales: the warnings themselves are harmless",
    summary="only integer inputs, shape tensors and weights lack scales: harmless",
    explanation=(
        "All {total} warned tensors are integer tensors ({ints}: inputs such as token ids and "
        "shape arithmetic, which never run in INT8) or weights/constants and their parser broadcasts "
        "({weights}) that feed elementwise or normalization layers, not GEMMs. None of the tensors at a "
        "MatMul/Gemm/Conv is missing a scale. If the engine is still slow, the cause is elsewhere (fusion, "
        "missing FP16, plugins)."
    ),
    fix="Nothing to fix for these warnings. To silence them in CI, ignore integer/weight tensors "
    "(trtdiag's assertion helpers do so by default).",
    check=check,
    scope=Scope.ANY,
    scope_reason='says missing-scale warnings are harmless, true in either mode',
)
