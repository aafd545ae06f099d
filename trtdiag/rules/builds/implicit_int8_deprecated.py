"""``implicit-int8-deprecated``: implicit INT8 on TensorRT 10.1 or later, where it is deprecated."""

from __future__ import annotations

import re

from trtdiag.findings import Finding, Severity
from trtdiag.fixes import modelopt_command
from trtdiag.rules.base import ContextKind, Rule, Scope
from trtdiag.rules.build_traits import is_implicit_int8, model_name, q
from trtdiag.rules.context import BuildContext
from trtdiag.rules.evidence import evidence


def _at_least_10_1(version: str | None) -> bool:
    mm = re.match(r"(\d+)\.(\d+)", version or "")
    return mm is not None and (int(mm.group(1)), int(mm.group(2))) >= (10, 1)


def check(ctx: BuildContext) -> Finding | None:
    if not is_implicit_int8(ctx):
        return None
    b = ctx.facts.build
    deprecations = ctx.facts.deprecations
    if not _at_least_10_1(b.tensorrt_version) and not deprecations:
        return None
    lines = [x for x in [b.evidence.get("tensorrt_version"), b.evidence.get("int8")] if x]
    return RULE.finding(
        fields={"version": b.tensorrt_version or "version not stated"},
        evidence=evidence(lines=lines + [e.line for e in deprecations], notes=[e.text for e in deprecations[:3]]),
        commands=(modelopt_command(model_name(ctx), ctx.graph, ctx.sensitive),
                  f"python -m modelopt.onnx.autocast --onnx_path {q(model_name(ctx))}  # FP16 without builder flags"),
        mac_share=ctx.finding_share([]),
    )


RULE = Rule[BuildContext](
    id="implicit-int8-deprecated",
    kind=ContextKind.BUILD,
    severity=Severity.WARNING,
    title="Implicit INT8 is deprecated (TensorRT 10.1) and removed in 11",
    summary="implicit INT8 on TensorRT ≥ 10.1: the migration path before 11",
    explanation=(
        "This build (TensorRT {version}) uses implicit quantization: a calibrator, "
        "a calibration cache or per-tensor dynamic ranges. These APIs are deprecated since 10.1 and "
        "removed in TensorRT 11, where this build script will fail."
    ),
    fix="Migrate now: ModelOpt explicit Q/DQ for INT8, ModelOpt AutoCast for FP16, strongly typed builds.",
    check=check,
    scope=Scope.IMPLICIT_ONLY,
    scope_reason='explicit quantization is the migration target, not deprecated',
)
