"""``reformat-overhead``: reformat layers take a large share of the INT8 engine's time."""

from __future__ import annotations

from trtdiag.findings import Evidence, Finding, Severity
from trtdiag.rules.base import ContextKind, Rule
from trtdiag.rules.context import EngineContext
from trtdiag.rules.evidence import ms

REFORMAT_SHARE = 0.10  # reformats above 10% of the INT8 engine's layer time are worth a finding


def check(ctx: EngineContext) -> Finding | None:
    c = ctx.pair
    total = sum(r.average_ms or 0 for r in c.int8.layers)
    if not total or c.int8.reformat_ms / total < REFORMAT_SHARE:
        return None
    worst = sorted((r for r in c.int8.layers if r.kind == "reformat"), key=lambda r: -(r.average_ms or 0))[:10]
    return RULE.finding(
        fields={"share": f"{c.int8.reformat_ms / total * 100:.0f}%", "int8": ms(c.int8.reformat_ms),
                "fp16": ms(c.fp16.reformat_ms)},
        evidence=Evidence(notes=tuple(f"{r.name} {ms(r.average_ms or 0)}" for r in worst)),
    )


RULE = Rule[EngineContext](
    id="reformat-overhead",
    kind=ContextKind.ENGINE,
    severity=Severity.WARNING,
    title="Reformat layers take {share} of the INT8 engine's time ({int8} vs {fp16} in FP16)",
    summary=f"reformat layers ≥ {REFORMAT_SHARE:.0%} of INT8 time",
    explanation=(
        "TensorRT inserts reformat (copy) layers where neighbouring layers run in different precisions "
        "or layouts - typically at every boundary between INT8 and FP16/FP32 layers. Many small INT8 "
        "islands cost more in conversions than INT8 saves."
    ),
    fix="Make INT8 regions contiguous (Q/DQ placement from ModelOpt) or keep the islands in FP16; enable FP16 "
    "so fallbacks do not force FP32 formats.",
    check=check,
)
