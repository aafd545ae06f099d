"""``int8-without-fp16``: INT8 was enabled without FP16, so every fallback layer runs in FP32."""

from __future__ import annotations

from trtdiag.commands import template
from trtdiag.findings import Finding, Severity
from trtdiag.rules.base import ContextKind, Rule, Scope
from trtdiag.rules.build_traits import block_gemms, is_benign, is_implicit_int8, model_name, q, user_command
from trtdiag.rules.context import BuildContext
from trtdiag.rules.evidence import evidence, pct

_API_PRODUCERS = ("python-api", "ort-trt-ep", "deepstream", "torch-tensorrt", "samples")


def _fix_command(ctx: BuildContext) -> str:
    """Enabling FP16 where this build was configured: Polygraphy, the builder API, else trtexec."""
    producer = ctx.facts.build.producer
    base = user_command(ctx)
    if base is not None:
        return base.with_flags("--fp16").text()
    if producer == "polygraphy":
        return template(f"polygraphy convert {q(model_name(ctx))} --int8 --fp16 --calibration-cache CACHE "
                        "-o model.plan",
                        "CACHE: your calibration cache; add your shapes and other options")
    if producer in _API_PRODUCERS:
        return "config.set_flag(trt.BuilderFlag.FP16)  # next to config.set_flag(trt.BuilderFlag.INT8)"
    return template(f"trtexec --onnx={q(model_name(ctx))} --int8 --fp16",
                    "add the rest of your build's options (shapes, --calib, --saveEngine): the log shows no command")


def check(ctx: BuildContext) -> Finding | None:
    b = ctx.facts.build
    if not b.int8 or b.fp16 is not False or b.strongly_typed or ctx.facts.trt11:
        return None  # (on TensorRT 11 the build never ran: trt11-implicit-int8-removed says why)
    lines = [b.evidence[k] for k in ("fp16", "precision", "fp32_int8_notice", "command") if k in b.evidence]
    fallback = ctx.mapping.select(lambda m: not is_benign(ctx, m))
    gemms = ctx.gemms_touched(fallback)
    if ctx.graph is not None and ctx.graph.transformer.is_transformer and is_implicit_int8(ctx):
        # Attention/FFN GEMMs fused into Myelin do not run INT8 either; with INT8-only they run FP32.
        gemms = list(dict.fromkeys([*gemms, *block_gemms(ctx)]))
    note = f" {len(gemms)} GEMM/Conv nodes ({pct(ctx.share(gemms))} of the model's MACs) fall back to FP32." \
        if gemms else ""
    return RULE.finding(
        severity=Severity.ERROR if ctx.tensors or gemms else Severity.WARNING,
        fields={"gemm_note": note},
        evidence=evidence(fallback, nodes=gemms, lines=lines + [t.first_line for t in fallback[:5]]),
        commands=(_fix_command(ctx),), gemm_nodes=gemms, mac_share=ctx.finding_share(gemms),
    )


RULE = Rule[BuildContext](
    id="int8-without-fp16",
    kind=ContextKind.BUILD,
    severity=Severity.ERROR,
    title="INT8 was enabled without FP16: every fallback layer runs in FP32",
    summary="INT8 without FP16: every fallback layer runs in FP32 (why INT8 is slower than FP16 and matches FP32)",
    explanation=(
        "The builder was allowed INT8 and FP32 only. Every layer that cannot run in INT8 - because a tensor "
        "lacks a scale, or because no INT8 kernel exists for it (LayerNorm, Softmax, GELU, most of an "
        "attention block) - runs in FP32, not FP16. That is why such an 'INT8' engine is slower than an FP16 "
        "engine and its outputs match FP32.{gemm_note}"
    ),
    fix="Enable FP16 together with INT8 so that layers without INT8 fall back to FP16, not FP32. This is "
    "necessary but not sufficient for a transformer: see implicit-int8-transformer.",
    check=check,
    scope=Scope.ANY,
    scope_reason='in a weakly typed explicit build too, layers outside Q/DQ fall back to FP32 without FP16',
)
