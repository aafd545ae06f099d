"""``int8-requested-not-used``: the configuration asked for INT8 but the engine has no INT8 layer.

Two ways this shows in a log: DeepStream (nvinfer) says "INT8 calibration file not specified. Trying
FP16 mode." and quietly builds FP16; or the engine's layer information, printed in the log, lists
layers and none runs in Int8. Either way the INT8 engine the user expects does not exist.
"""

from __future__ import annotations

from trtdiag.findings import Finding, Severity
from trtdiag.log.facts import Outcome
from trtdiag.rules.base import ContextKind, Rule, Scope
from trtdiag.rules.context import BuildContext
from trtdiag.rules.evidence import evidence


def check(ctx: BuildContext) -> Finding | None:
    f = ctx.facts
    if f.outcome.outcome in (Outcome.FAILED, Outcome.CRASHED):
        return None  # build-failed says it first
    if f.precision_fallback:
        first = f.precision_fallback[0]
        why = f"the log says \u201c{first.text}\u201d (line {first.line})"
        lines = [e.line for e in f.precision_fallback]
    elif f.build.int8 and f.layer_info_lines and not f.layer_info_int8:
        why = f"the engine layer information in the log lists {f.layer_info_lines} layers and none runs in Int8"
        lines = [ln for ln in (f.build.evidence.get("int8"),) if ln]
    else:
        return None
    return RULE.finding(fields={"why": why}, evidence=evidence(lines=lines))


RULE = Rule[BuildContext](
    id="int8-requested-not-used",
    kind=ContextKind.BUILD,
    severity=Severity.ERROR,
    title="INT8 was requested but the engine has no INT8 layer",
    summary="INT8 asked for, but the engine runs without it (DeepStream fell back to FP16, no Int8 layer in the "
    "engine); fix: give the calibration file or Q/DQ model",
    explanation="The configuration asked for INT8, but {why}. The engine runs in FP16/FP32, so any INT8 "
    "speed-up or accuracy measured on it is not INT8's.",
    fix="Give the builder INT8 scales: DeepStream needs int8-calib-file=<calibration cache> next to network-mode=1; "
    "trtexec needs --calib=<cache> or a Q/DQ (explicitly quantized) model. Then check the engine's layer "
    "information (--dumpLayerInfo --profilingVerbosity=detailed) for Int8 layers.",
    check=check,
    scope=Scope.ANY,
    scope_reason='INT8 asked for and absent from the engine is wrong in either mode',
)
