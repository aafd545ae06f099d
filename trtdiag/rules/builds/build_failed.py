"""``build-failed``: the build failed or crashed; nothing else in the log matters before that is fixed.

The words depend on the cause of the first decisive line (:mod:`trtdiag.log.handlers.outcome`): each
cause is a variant of the rule, with what it means and its fix.
"""

from __future__ import annotations

from trtdiag.findings import Finding, Severity
from trtdiag.log.facts import Outcome
from trtdiag.rules.base import ContextKind, Rule, RuleText, Scope
from trtdiag.rules.build_traits import model_name, q
from trtdiag.rules.context import BuildContext
from trtdiag.rules.evidence import evidence

_TITLE = "The build {outcome} at line {line}: {what}"
_GENERIC_FIX = ("Fix the first error: later errors are usually its consequences. Rebuild with --verbose (trtexec) or "
                "a VERBOSE logger to see the layer it stopped at.")


def _variant(what: str, explanation: str, fix: str) -> RuleText:
    return RuleText(_TITLE.replace("{what}", what),
                    "Line {line}: \u201c{text}\u201d. " + explanation + " {more}", fix)


VARIANTS: dict[str, RuleText] = {
    "onnx-int8-weights": _variant(
        "the ONNX parser rejects INT8 weights",
        "The model stores quantized weights as INT8 initializers (a QAT export with folded weight Q/DQ). "
        "TensorRT before 8.0 has no INT8 weights in its parser, and any TensorRT rejects INT8 weights that "
        "are not followed by a DequantizeLinear, so parsing stops and no engine is built.",
        "Upgrade to TensorRT >= 8.0 (explicit quantization) and export the weights in FP32 with a "
        "QuantizeLinear/DequantizeLinear pair on each weight (pytorch-quantization or ModelOpt export, weight "
        "folding off), then build with --int8 (--fp16 too) or --stronglyTyped."),
    "onnx-parse": _variant(
        "the ONNX parser failed",
        "The ONNX parser stopped on a node it cannot import, so no network and no engine were made.",
        "Read the parser error above the failure line (the node and the reason). Common fixes: export with an "
        "opset TensorRT supports, run onnxsim/polygraphy surgeon sanitize --fold-constants, upgrade TensorRT."),
    "network-validation": _variant(
        "network validation failed",
        "TensorRT found the network invalid before building (a type or shape conflict, often a precision "
        "constraint that cannot be met).",
        "Read the error lines just above; remove conflicting --layerPrecisions/--precisionConstraints or give the "
        "network consistent input shapes (--minShapes/--optShapes/--maxShapes)."),
    "no-implementation": _variant(
        "no implementation was found for a layer",
        "The builder found no kernel (tactic) for a layer in the precisions it was allowed. In an INT8 build this "
        "usually means a layer with only INT8 allowed and no INT8 kernel, or too little workspace.",
        "Allow a fallback precision: enable FP16 (--fp16 or --best), or keep that layer in FP16 with "
        "--layerPrecisions=<layer>:fp16 --precisionConstraints=prefer; give more workspace "
        "(--memPoolSize=workspace:4096)."),
    "no-int8-fallback": _variant(
        "a layer has no INT8 scales and no non-INT8 implementation",
        "TensorRT (6/7) needs INT8 scales for this layer because it has no FP32/FP16 implementation; its input or "
        "output lacks a scale (see the missing-scale warnings), so the build cannot place it.",
        "Give the layer's tensors INT8 scales (calibrate with data that reaches it, or set dynamic ranges), or "
        "enable FP16 (--fp16/--best) so a fallback exists, or keep that layer in FP16 with --layerPrecisions."),
    "engine-not-created": _variant(
        "the engine could not be created",
        "The builder returned no engine; the error lines before this one say why.",
        _GENERIC_FIX),
    "builder-failed": _variant("the builder failed", "The builder stopped with an error.", _GENERIC_FIX),
    "run-failed": _variant(
        "the run ended with &&&& FAILED",
        "trtexec or the TensorRT sample reported failure: the engine was not built (or not usable).",
        _GENERIC_FIX),
    "crash": _variant(
        "the process crashed",
        "The process died (segmentation fault, abort, core dump) during the build; TensorRT 6/7 crash this way "
        "after an INT8 layer is left without scales or an implementation.",
        "Fix the errors logged before the crash first; otherwise upgrade TensorRT and rebuild with --verbose."),
    "python-exception": _variant(
        "a Python exception stopped the build",
        "The build script raised an exception before an engine was saved.",
        "Fix the exception (the traceback's last frame names the call); with TensorRT 11, INT8 flags and "
        "calibrators no longer exist: quantize with ModelOpt and build strongly typed."),
    "out-of-memory": _variant(
        "the build ran out of memory",
        "An allocation failed and no engine was saved afterwards.",
        "Lower the workspace or the max shapes (--memPoolSize, --maxShapes), free the GPU, or build on a larger "
        "GPU."),
}


def check(ctx: BuildContext) -> Finding | None:
    o = ctx.facts.outcome
    if o.outcome not in (Outcome.FAILED, Outcome.CRASHED) or o.line is None:
        return None
    cause = o.cause if o.cause in VARIANTS else "builder-failed"
    if cause == "python-exception" and ctx.facts.trt11:
        return None  # trt11-implicit-int8-removed names the removed API and its migration
    later = [e for e in o.failures if e.line != o.line]
    more = ""
    if later:
        more = f"{len(later)} more failure line(s) follow, first at line {later[0].line}: \u201c{later[0].text}\u201d."
    commands = []
    if cause in ("no-implementation", "no-int8-fallback"):
        commands.append(f"trtexec --onnx={q(model_name(ctx))} --int8 --fp16 --verbose")
    return RULE.finding(
        variant=cause,
        fields={"outcome": o.outcome.value, "line": o.line, "text": (o.text or "")[:300], "more": more},
        evidence=evidence(lines=[o.line, *(e.line for e in later)]),
        commands=commands,
    )


RULE = Rule[BuildContext](
    id="build-failed",
    kind=ContextKind.BUILD,
    severity=Severity.ERROR,
    title="The build {outcome} at line {line}",
    summary="the build failed or crashed (parser error, no implementation, crash, out of memory...); the first "
    "decisive line and its fix",
    explanation="Line {line}: \u201c{text}\u201d. {more}",
    fix=_GENERIC_FIX,
    check=check,
    variants=VARIANTS,
    scope=Scope.ANY,
    scope_reason='a build that failed is a failure whatever the INT8 mode',
)
