"""``implicit-int8-transformer``: implicit INT8 calibration cannot quantize a transformer's attention."""

from __future__ import annotations

from trtdiag.findings import Finding, Severity
from trtdiag.fixes import (
    calibration_data_snippet,
    explicit_build_commands,
    layer_precision_commands,
    modelopt_command,
)
from trtdiag.rules.base import ContextKind, Rule, Scope
from trtdiag.rules.build_traits import (
    block_gemms,
    is_implicit_int8,
    model_name,
    transformer_name_evidence,
    user_command,
)
from trtdiag.rules.context import BuildContext
from trtdiag.rules.evidence import evidence, pct


def _transformer_evidence(ctx: BuildContext) -> tuple[list[str], str] | None:
    """(Softmax nodes, why this is a transformer), from the model or else from the names in the log."""
    g = ctx.graph
    if g is not None:
        if not g.transformer.is_transformer:
            return None
        why = (f"the model has {g.transformer.attention_patterns} attention patterns (MatMul-Softmax-MatMul), "
               f"{g.transformer.layernorms} LayerNorms and {g.transformer.blocks} encoder blocks, and no Q/DQ "
               "nodes")
        return list(g.transformer.softmax_nodes), why
    names = transformer_name_evidence(ctx)
    if not names.convincing:
        return None
    return [], "the tensor and node names in the log are those of a transformer: " + names.describe()


def _commands(ctx: BuildContext) -> list[str]:
    """ModelOpt PTQ, its build, and (before TensorRT 11) per-layer FP16 as a stop-gap."""
    b = ctx.facts.build
    model = model_name(ctx)
    sens = ctx.sensitive
    base = user_command(ctx)
    commands = [
        "pip install 'nvidia-modelopt[onnx]'",
        calibration_data_snippet(ctx.graph),
        modelopt_command(model, ctx.graph, sens),
        *explicit_build_commands(b.tensorrt_version, base=base),
    ]
    keep = sens.all() if sens else []
    if not (b.tensorrt_version or "").startswith("11") and keep:
        commands.append("# TensorRT 8.4-10.x only, a stop-gap without Q/DQ: keep the sensitive layers in FP16")
        commands.extend(layer_precision_commands(model, keep, b.calibration_cache_read, base=base))
    return commands


def check(ctx: BuildContext) -> Finding | None:
    if not is_implicit_int8(ctx):
        return None
    found = _transformer_evidence(ctx)
    if found is None:
        return None
    nodes, why = found
    b = ctx.facts.build
    lines = [b.evidence[k] for k in ("int8", "calibrator", "calibration_cache_read") if k in b.evidence]
    lines += [t.first_line for t in ctx.tensors[:5]]
    gemms = block_gemms(ctx)
    sens = ctx.sensitive
    notes = []
    if sens:
        notes.append("kept in FP16: " + ", ".join(f"{v} {k}" for k, v in sens.counts().items() if v))
    return RULE.finding(
        fields={"why": why, "gemms": len(gemms) or "the", "share": pct(ctx.share(gemms))},
        evidence=evidence(ctx.tensors, nodes=nodes + gemms, lines=lines, notes=notes),
        commands=_commands(ctx), gemm_nodes=gemms, mac_share=ctx.finding_share(gemms),
    )


RULE = Rule[BuildContext](
    id="implicit-int8-transformer",
    kind=ContextKind.BUILD,
    severity=Severity.ERROR,
    title="Implicit INT8 calibration on a transformer: attention, LayerNorm and GEMMs stay out of INT8",
    summary="implicit calibration on an attention model; fix: ModelOpt Q/DQ, build with FP16 or strongly typed",
    explanation=(
        "This is an implicit-INT8 (calibration) build and {why}. TensorRT fuses attention, LayerNorm and "
        "the surrounding GEMMs into Myelin regions that implicit INT8 does not quantize, so "
        "{gemms} encoder GEMMs ({share} of the MACs) fall back to FP16/FP32 whatever "
        "the calibrator (MinMax, Entropy) or cache. NVIDIA's answer for BERT-like models is explicit "
        "quantization. Implicit INT8 is deprecated since TensorRT 10.1 and removed in 11."
    ),
    fix="Insert Q/DQ nodes with NVIDIA ModelOpt ONNX PTQ (calibration data as an .npz keyed by input name), "
    "keep LayerNorm, Softmax, residual Adds, embeddings and integer paths in FP16 (--nodes_to_exclude below, "
    "derived from the model), then build the quantized model with FP16 enabled (8.6-10.x) or strongly typed "
    "(10.x; the only mode in 11).",
    check=check,
    scope=Scope.IMPLICIT_ONLY,
    scope_reason='about calibration failing on attention; a Q/DQ model is linted instead',
)
