"""``fp16-overflow-constant``: the build runs layers in FP16 and the model has constants FP16 cannot hold
(the ``finfo(float32).min`` attention mask of TorchScript transformer exports) feeding a Mul/Add.

The check itself reads the model only (:mod:`trtdiag.accuracy.hazards`, shared with ``trtdiag accuracy`` and
``trtdiag lint``); the build log decides whether it applies: without FP16 (``--fp16``/``--best``) TensorRT
keeps that Mul in FP32 and the constant is harmless.
"""

from __future__ import annotations

from dataclasses import replace

from trtdiag.accuracy.hazards import EXPLANATION, FIX, HAZARD_ID, TITLE, fp16_overflow_constants
from trtdiag.findings import Finding, Severity
from trtdiag.rules.base import ContextKind, Rule, Scope
from trtdiag.rules.context import BuildContext


def check(ctx: BuildContext) -> Finding | None:
    b = ctx.facts.build
    if ctx.graph is None or not (b.fp16 or b.best) or b.strongly_typed:
        return None  # strongly typed builds follow the model's own (FP32) types for that Mul
    found = fp16_overflow_constants(ctx.graph)
    if found is None:
        return None
    lines = tuple(b.evidence[k] for k in ("fp16", "precision") if k in b.evidence)
    return RULE.finding(evidence=replace(found.evidence, lines=tuple(dict.fromkeys(lines))),
                        fields={"tensors": found.evidence.total_tensors, "nodes": found.evidence.total_nodes},
                        commands=found.commands, mac_share=ctx.finding_share([]))


RULE = Rule[BuildContext](
    id=HAZARD_ID,
    kind=ContextKind.BUILD,
    severity=Severity.WARNING,
    title=TITLE,
    summary="FP16 build of a model whose constants exceed the FP16 range and feed Mul/Add (the finfo.min "
    "attention mask becomes -inf, then NaN)",
    explanation=EXPLANATION,
    fix=FIX,
    check=check,
    scope=Scope.ANY,
    scope_reason='an FP16 overflow of a constant NaNs the network whatever the INT8 mode',
)
