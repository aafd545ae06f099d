"""``calibration-profile``: dynamic shapes were calibrated on a default optimization profile."""

from __future__ import annotations

from trtdiag.commands import template
from trtdiag.findings import Finding, Severity
from trtdiag.rules.base import ContextKind, Rule, Scope
from trtdiag.rules.build_traits import user_command
from trtdiag.rules.context import BuildContext
from trtdiag.rules.evidence import evidence


def _trtexec(ctx: BuildContext) -> str:
    """The user's trtexec build with the calibration profile set, else a template."""
    base = user_command(ctx)
    if base is not None and base.tool == "trtexec":
        return base.with_value("--calibProfile", "0").text()
    return template("trtexec --onnx=MODEL --int8 --calib=CACHE --calibProfile=0 "
                    "--optShapes=input_ids:16x128,attention_mask:16x128",
                    "MODEL, CACHE and the opt shapes of your calibration data")


def check(ctx: BuildContext) -> Finding | None:
    events = [e for e in ctx.facts.calibration.events if e.kind == "profile-not-defined"]
    if not events:
        return None
    return RULE.finding(
        evidence=evidence(lines=[e.line for e in events]),
        commands=("config.set_calibration_profile(profile)  # Python API, TensorRT 8.x-10.x", _trtexec(ctx)),
        mac_share=ctx.finding_share([]),
    )


RULE = Rule[BuildContext](
    id="calibration-profile",
    kind=ContextKind.BUILD,
    severity=Severity.WARNING,
    title="Dynamic shapes were calibrated on a default optimization profile",
    summary="dynamic shapes calibrated on a default optimization profile",
    explanation=(
        "'Calibration Profile is not defined. Calibrating with Profile 0': the network has dynamic "
        "shapes and no calibration profile was set, so calibration ran with profile 0's opt shapes. "
        "If those are not the shapes your data has (batch, sequence length), scales are collected on "
        "the wrong activations and some tensors may get none."
    ),
    fix="Set the calibration profile explicitly to shapes matching the calibration data.",
    check=check,
    scope=Scope.IMPLICIT_ONLY,
    scope_reason='calibration does not run on a Q/DQ network',
)
