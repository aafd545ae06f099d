"""``trt11-implicit-int8-removed``: the build uses implicit-INT8 APIs that TensorRT 11 removed."""

from __future__ import annotations

from trtdiag.findings import Finding, Severity
from trtdiag.fixes import calibration_data_snippet, explicit_build_commands, modelopt_command
from trtdiag.rules.base import ContextKind, Rule, Scope
from trtdiag.rules.build_traits import model_name, user_command
from trtdiag.rules.context import BuildContext
from trtdiag.rules.evidence import evidence


def check(ctx: BuildContext) -> Finding | None:
    events = ctx.facts.trt11
    if not events:
        return None
    return RULE.finding(
        evidence=evidence(lines=[e.line for e in events], notes=[e.text for e in events[:5]]),
        commands=(
            "pip install 'nvidia-modelopt[onnx]'",
            calibration_data_snippet(ctx.graph),
            modelopt_command(model_name(ctx), ctx.graph, ctx.sensitive),
            *explicit_build_commands("11.0", base=user_command(ctx)),
        ),
        mac_share=ctx.finding_share([]),
    )


RULE = Rule[BuildContext](
    id="trt11-implicit-int8-removed",
    kind=ContextKind.BUILD,
    severity=Severity.ERROR,
    title="TensorRT 11 removed implicit INT8 (calibrators, INT8/FP16 flags)",
    summary="TensorRT 11 errors: calibrators and INT8/FP16 flags are gone; migrate to explicit Q/DQ",
    explanation=(
        "The build uses APIs that TensorRT 11 removed: the IInt8Calibrator family, CalibrationAlgoType, "
        "BuilderFlag.INT8/FP16, set_dynamic_range and trtexec --int8/--fp16/--best/--calib. TensorRT 11 "
        "networks are strongly typed: INT8 comes only from explicit QuantizeLinear/DequantizeLinear (Q/DQ) "
        "nodes in the ONNX model, FP16 from the model's own dtypes (ModelOpt AutoCast)."
    ),
    fix="Quantize the ONNX model with NVIDIA ModelOpt (explicit Q/DQ, sensitive layers kept in FP16), then "
    "build it; remove calibrator code and INT8/FP16 builder flags.",
    check=check,
    scope=Scope.ANY,
    scope_reason='TensorRT 11 rejects calibrators and INT8/FP16 flags even when the model has Q/DQ',
)
