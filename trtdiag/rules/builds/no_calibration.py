"""``no-calibration``: INT8 with placeholder scales (``Calibration: Dynamic`` with no calibrator or cache).

A calibrator given to a Q/DQ network is ``calibrator-on-qdq`` (``trtdiag/rules/builds/calibrator_on_qdq.py``):
this rule is implicit-only, since a Q/DQ network takes its scales from the Q/DQ nodes whatever trtexec prints.
"""

from __future__ import annotations

from trtdiag.commands import polygraphy_shapes, template
from trtdiag.findings import Finding, Severity
from trtdiag.fixes import modelopt_command
from trtdiag.log.facts import Event
from trtdiag.rules.base import ContextKind, Rule, Scope
from trtdiag.rules.build_traits import model_name, q, user_command
from trtdiag.rules.context import BuildContext
from trtdiag.rules.evidence import evidence


def _placeholder_scales(ctx: BuildContext, kinds: dict[str, Event]) -> Finding | None:
    f = ctx.facts
    b = f.build
    if not b.int8:
        return None
    dynamic = "calibration-dynamic" in kinds or b.calibration_dynamic
    not_used = "calibrator-not-used" in kinds
    has_calib = b.calibrator or b.calibration_cache_read or f.calibration.started_line or b.calibration_cache_written
    # "Calibrator is not being used. Users must provide dynamic range..." is what an application that sets its
    # own ranges (set_dynamic_range, sampleINT8API) prints too: a problem only when tensors then lack a scale.
    if not (dynamic or (not_used and not has_calib and ctx.tensors)):
        return None
    event = kinds.get("calibration-dynamic") or kinds.get("calibrator-not-used")
    model = model_name(ctx)
    return RULE.finding(
        evidence=evidence(lines=[x for x in [event.line if event else None, b.evidence.get("precision")] if x]),
        commands=(template(f"polygraphy convert {q(model)} --int8 --fp16 --data-loader-script data_loader.py "
                           f"--calibration-cache calib.cache {_shapes(ctx)}-o model.plan",
                           "data_loader.py: a script whose load_data() yields feed dicts of your data"),
                  modelopt_command(model, ctx.graph, ctx.sensitive)),
        mac_share=ctx.finding_share([]),
    )


def _shapes(ctx: BuildContext) -> str:
    """The build's own shapes as Polygraphy arguments (with a trailing space), or nothing."""
    args = polygraphy_shapes(user_command(ctx))
    return " ".join(q(a) for a in args) + " " if args else ""


def check(ctx: BuildContext) -> Finding | None:
    kinds = {e.kind: e for e in ctx.facts.calibration.events}
    return _placeholder_scales(ctx, kinds)


RULE = Rule[BuildContext](
    id="no-calibration",
    kind=ContextKind.BUILD,
    severity=Severity.WARNING,
    title="INT8 is enabled with neither a calibrator nor a calibration cache",
    summary="INT8 with placeholder scales (`Calibration: Dynamic`, no calibrator or cache)",
    explanation=(
        "trtexec --int8 without --calib sets placeholder dynamic ranges on every tensor "
        "('Calibration: Dynamic'): the engine shows INT8 speed but its accuracy is meaningless. "
        "With the API, no calibrator and no set_dynamic_range means every tensor lacks a scale."
    ),
    fix="Calibrate (trtexec --calib=CACHE from a calibrator run, or Polygraphy's calibrator with your data), "
    "or better, quantize explicitly with ModelOpt.",
    check=check,
    scope=Scope.IMPLICIT_ONLY,
    scope_reason="trtexec prints 'Calibration: Dynamic' for Q/DQ builds too, whose scales come from the Q/DQ nodes",
)
