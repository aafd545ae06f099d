"""``calibrator-on-qdq``: a calibrator or calibration cache given to an explicitly quantized (Q/DQ) build.

The words are those of the lint rule of the same id (``trtdiag/lint/rules/calibrator.py``): one text whether
the finding comes from ``trtdiag lint`` with a build log or from ``analyze``. Here it also fires without the
model, when the log itself shows the Q/DQ network ("Calibrator won't be used in explicit precision mode",
Q/DQ parser lines).
"""

from __future__ import annotations

from trtdiag.findings import Finding
from trtdiag.fixes import explicit_build_commands
from trtdiag.lint.rules.calibrator import RULE as LINT_RULE
from trtdiag.rules.base import ContextKind, Rule, Scope
from trtdiag.rules.build_traits import model_name
from trtdiag.rules.context import BuildContext
from trtdiag.rules.evidence import evidence


def check(ctx: BuildContext) -> Finding | None:
    if not ctx.explicit_quantization:
        return None
    f = ctx.facts
    b = f.build
    told = next((e for e in f.calibration.events if e.kind == "explicit-precision"), None)
    if not (ctx.calibrator_used or told):
        return None
    lines = [x for x in (told.line if told else None, b.evidence.get("calibrator"),
                         b.evidence.get("calibration_cache_read"), f.calibration.started_line) if x]
    notes = [f"{e.source}: {e.text}" for e in ctx.quantization_mode.evidence[:3]]
    if ctx.cache_check is not None:
        notes.append(f"calibration cache given to trtdiag: {ctx.cache_check.cache.path}")
    return RULE.finding(
        evidence=evidence(lines=list(dict.fromkeys(lines)), notes=notes),
        commands=explicit_build_commands(b.tensorrt_version, quantized=model_name(ctx)),
        mac_share=ctx.finding_share([]),
    )


RULE = Rule[BuildContext](
    id=LINT_RULE.id,
    kind=ContextKind.BUILD,
    severity=LINT_RULE.severity,
    title=LINT_RULE.title,
    summary="a calibrator or calibration cache given to a Q/DQ (explicitly quantized) build: it is ignored",
    explanation=LINT_RULE.explanation,
    fix=LINT_RULE.fix,
    check=check,
    scope=Scope.ANY,
    scope_reason="speaks about explicit builds only (its check requires one)",
)
