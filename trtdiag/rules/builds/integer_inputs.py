"""``integer-inputs``: integer inputs and shape tensors lack scales, which is harmless."""

from __future__ import annotations

from trtdiag.findings import Finding, Severity
from trtdiag.rules.base import ContextKind, Rule, Scope
from trtdiag.rules.context import BuildContext
from trtdiag.rules.evidence import evidence, first_lines


def check(ctx: BuildContext) -> Finding | None:
    ints = ctx.mapping.select(lambda m: m.is_integer)
    if not ints:
        return None
    return RULE.finding(
        fields={"count": len(ints)},
        evidence=evidence(ints, lines=first_lines(ints)),
        mac_share=ctx.finding_share([]),
    )


RULE = Rule[BuildContext](
    id="integer-inputs",
    kind=ContextKind.BUILD,
    severity=Severity.INFO,
    title="Integer inputs and shape tensors lack scales (harmless)",
    summary="integer inputs (token ids, masks) and shape tensors lack scales: harmless",
    explanation=(
        "{count} warned tensors are INT32/INT64/BOOL: token ids, attention masks, position ids "
        "and shape arithmetic. INT8 applies to floating-point activations only, so these tensors "
        "never get a scale and the layers using them (Gather, Shape, Cast) run as they would anyway."
    ),
    fix="Nothing to fix; trtdiag's CI helpers ignore these by default.",
    check=check,
    scope=Scope.ANY,
    scope_reason='integer inputs never run in INT8 in either mode',
)
