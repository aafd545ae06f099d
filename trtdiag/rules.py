"""Diagnosis rules: each root cause is one small function with a stable id, its evidence and its fix.

To add a rule: write a function ``(ctx: Context) -> Finding | None`` decorated with :func:`rule`
and list it in :data:`RULES`. Rules read plain data (:class:`Context`) and never print or log.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePath

from trtdiag.log_events import LogFacts
from trtdiag.naming import (
    ACTIVATION,
    GRAPH_INPUT,
    PARSER_HELPER,
    UNNAMED_LAYER,
    WEIGHT,
    MappedTensor,
    MappingSummary,
)
from trtdiag.onnx_graph import GraphIndex

SEVERITIES = ("error", "warning", "info")
_MAX_EVIDENCE = 25


@dataclass(frozen=True)
class Evidence:
    """What a finding rests on: tensors, ONNX nodes and log line numbers (capped, with totals)."""

    tensors: tuple[str, ...] = ()
    nodes: tuple[str, ...] = ()
    lines: tuple[int, ...] = ()
    notes: tuple[str, ...] = ()
    total_tensors: int = 0
    total_nodes: int = 0


@dataclass(frozen=True)
class Finding:
    id: str
    severity: str
    title: str
    explanation: str
    evidence: Evidence
    fix: str
    commands: tuple[str, ...] = ()


@dataclass(frozen=True)
class Context:
    """Everything a rule may look at."""

    facts: LogFacts
    graph: GraphIndex | None
    mapping: MappingSummary
    model_path: str | None = None

    @property
    def tensors(self) -> tuple[MappedTensor, ...]:
        return self.mapping.tensors


@dataclass(frozen=True)
class Rule:
    id: str
    severity: str
    title: str
    check: Callable[[Context], Finding | None] = field(repr=False)


def rule(rule_id: str, severity: str, title: str) -> Callable[[Callable[[Context], Finding | None]], Rule]:
    """Wrap a check function into a :class:`Rule` carrying its stable id."""
    if severity not in SEVERITIES:
        raise ValueError(severity)

    def wrap(fn: Callable[[Context], Finding | None]) -> Rule:
        return Rule(rule_id, severity, title, fn)

    return wrap


def _evidence(
    tensors: list[MappedTensor] | None = None,
    nodes: list[str] | None = None,
    lines: list[int] | None = None,
    notes: list[str] | None = None,
) -> Evidence:
    tensors = tensors or []
    node_list = list(dict.fromkeys(nodes or []))
    line_list = sorted(set(lines or []))
    return Evidence(
        tensors=tuple(t.tensor for t in tensors[:_MAX_EVIDENCE]),
        nodes=tuple(node_list[:_MAX_EVIDENCE]),
        lines=tuple(line_list[:_MAX_EVIDENCE]),
        notes=tuple(notes or ()),
        total_tensors=len(tensors),
        total_nodes=len(node_list),
    )


def _q(text: str) -> str:
    return shlex.quote(text)


def _model_name(ctx: Context) -> str:
    if ctx.model_path:
        return ctx.model_path
    if ctx.facts.build.command:
        for tok in ctx.facts.build.command.split():
            if tok.startswith("--onnx="):
                return tok.split("=", 1)[1]
            if tok.endswith(".onnx"):
                return tok
    return "model.onnx"


def _is_benign(t: MappedTensor) -> bool:
    """Integer inputs, shape tensors and weights never run in INT8 by design; their warnings are noise."""
    return t.is_integer or t.weight_path or t.cls == WEIGHT


def _looks_like_transformer_from_names(ctx: Context) -> bool:
    names = [t.tensor for t in ctx.tensors] + [n.name for n in ctx.facts.parsed_nodes]
    keys = ("attention", "LayerNorm", "layer_norm", "self_attn", "Softmax", "encoder/layer")
    return sum(1 for n in names if any(k in n for k in keys)) >= 3


# --- rules -----------------------------------------------------------------------------------


@rule("model-log-mismatch", "error", "The ONNX model given is not the one this log was built from")
def model_log_mismatch(ctx: Context) -> Finding | None:
    m = ctx.mapping
    if not m.mismatch:
        return None
    unmapped = [t for t in ctx.tensors if not t.mapped and t.cls not in (PARSER_HELPER, UNNAMED_LAYER)]
    return Finding(
        id="model-log-mismatch",
        severity="error",
        title="The ONNX model given is not the one this log was built from",
        explanation=(
            f"{m.mismatch_reason}. Every mapping below (ONNX nodes, blocks, sub-modules) is therefore "
            "unreliable. Pass the exact .onnx file the engine was built from (after any simplification "
            "or re-export)."
        ),
        evidence=_evidence(unmapped, lines=[t.first_line for t in unmapped]),
        fix="Re-run trtdiag with the ONNX file named in the build command (trtexec --onnx=..., or the "
        "path your script passed to the ONNX parser).",
        commands=(f"trtdiag analyze BUILD.log {_q(_model_name(ctx))} -o report.html",),
    )


@rule("trt11-implicit-int8-removed", "error", "TensorRT 11 removed implicit INT8 (calibrators, INT8/FP16 flags)")
def trt11_implicit_int8_removed(ctx: Context) -> Finding | None:
    events = ctx.facts.trt11
    if not events:
        return None
    model = _model_name(ctx)
    return Finding(
        id="trt11-implicit-int8-removed",
        severity="error",
        title="TensorRT 11 removed implicit INT8 (calibrators, INT8/FP16 builder flags)",
        explanation=(
            "The build uses APIs that TensorRT 11 removed: the IInt8Calibrator family, "
            "CalibrationAlgoType, BuilderFlag.INT8/FP16 and trtexec --int8/--fp16/--best/--calib. "
            "TensorRT 11 networks are strongly typed: INT8 comes only from explicit Quantize/"
            "DequantizeLinear (Q/DQ) nodes in the ONNX model, FP16 from the model's own dtypes."
        ),
        evidence=_evidence(lines=[e.line for e in events], notes=[e.text for e in events[:5]]),
        fix=(
            "Quantize the ONNX model with NVIDIA ModelOpt (explicit Q/DQ, sensitive layers kept in "
            "FP16), then build it strongly typed. Remove calibrator code and INT8/FP16 builder flags."
        ),
        commands=(
            "pip install 'nvidia-modelopt[onnx]'",
            f"python -m modelopt.onnx.quantization --onnx_path {_q(model)} --quantize_mode int8 "
            "--calibration_data_path calib.npz --output_path model.int8.onnx",
            "trtexec --onnx=model.int8.onnx --saveEngine=model.int8.plan",
        ),
    )


@rule("int8-without-fp16", "error", "INT8 was enabled without FP16: fallback layers run in FP32")
def int8_without_fp16(ctx: Context) -> Finding | None:
    b = ctx.facts.build
    if not b.int8 or b.fp16 is not False or b.strongly_typed:
        return None
    lines = [b.evidence[k] for k in ("fp16", "precision", "fp32_int8_notice", "command") if k in b.evidence]
    fallback = [t for t in ctx.tensors if not _is_benign(t)]
    severity = "error" if ctx.tensors else "warning"
    producer = b.producer
    if producer == "polygraphy":
        fix_cmd = "polygraphy convert MODEL.onnx --int8 --fp16 --calibration-cache CACHE -o model.plan"
    elif producer in ("python-api", "ort-trt-ep", "deepstream", "torch-tensorrt"):
        fix_cmd = "config.set_flag(trt.BuilderFlag.FP16)  # next to config.set_flag(trt.BuilderFlag.INT8)"
    else:
        fix_cmd = f"trtexec --onnx={_model_name(ctx)} --int8 --fp16 ...  # or --best"
    explained = (
        "The builder was allowed INT8 and FP32 only. Every layer that cannot run in INT8 - because a "
        "tensor lacks a scale, or because no INT8 kernel exists for it (LayerNorm, Softmax, GELU, "
        "most of an attention block) - runs in FP32, not FP16. That is why such an 'INT8' engine is "
        "slower than an FP16 engine and its outputs match FP32."
    )
    if fallback:
        explained += f" {len(fallback)} warned tensors are activations or other non-weight tensors."
    return Finding(
        id="int8-without-fp16",
        severity=severity,
        title="INT8 was enabled without FP16: every fallback layer runs in FP32",
        explanation=explained,
        evidence=_evidence(fallback, lines=lines + [t.first_line for t in fallback[:5]]),
        fix="Enable FP16 together with INT8 so that layers without INT8 fall back to FP16, not FP32. "
        "This is necessary but not sufficient for a transformer: see implicit-int8-transformer.",
        commands=(fix_cmd,),
    )


@rule(
    "implicit-int8-transformer",
    "error",
    "Implicit INT8 calibration on a transformer: attention, LayerNorm and GEMMs stay out of INT8",
)
def implicit_int8_transformer(ctx: Context) -> Finding | None:
    facts = ctx.facts
    if not facts.has_int8_build or facts.trt11:
        return None
    g = ctx.graph
    if g is not None:
        if g.qdq_nodes:
            return None
        if not g.transformer.is_transformer:
            return None
        nodes = list(g.transformer.softmax_nodes)
        why = (f"the model has {g.transformer.attention_patterns} attention patterns (MatMul-Softmax-MatMul), "
               f"{g.transformer.layernorms} LayerNorms and {g.transformer.blocks} encoder blocks, and no Q/DQ nodes")
    else:
        if not _looks_like_transformer_from_names(ctx):
            return None
        nodes = []
        why = "the tensor and node names in the log are those of a transformer (attention, LayerNorm)"
    b = facts.build
    lines = [b.evidence[k] for k in ("int8", "calibrator", "calibration_cache_read") if k in b.evidence]
    lines += [t.first_line for t in ctx.tensors[:5]]
    model = _model_name(ctx)
    ver = b.tensorrt_version or ""
    build_cmd = (
        "trtexec --onnx=model.int8.onnx --stronglyTyped --saveEngine=model.int8.plan"
        if ver.startswith("10.") or ver.startswith("11.")
        else "trtexec --onnx=model.int8.onnx --int8 --fp16 --saveEngine=model.int8.plan"
    )
    return Finding(
        id="implicit-int8-transformer",
        severity="error",
        title="Implicit INT8 calibration on a transformer: attention, LayerNorm and GEMMs stay out of INT8",
        explanation=(
            f"This is an implicit-INT8 (calibration) build and {why}. TensorRT fuses attention, "
            "LayerNorm and the surrounding GEMMs into Myelin regions that implicit INT8 does not "
            "quantize, so most of the model falls back to FP16/FP32 whatever the calibrator (MinMax, "
            "Entropy) or cache. NVIDIA's answer for BERT-like models is explicit quantization. "
            "Implicit INT8 is deprecated since TensorRT 10.1 and removed in 11."
        ),
        evidence=_evidence(list(ctx.tensors), nodes=nodes, lines=lines),
        fix=(
            "Insert Q/DQ nodes with NVIDIA ModelOpt ONNX PTQ (calibration data as an .npz keyed by "
            "input name), keep LayerNorm/Softmax/residual adds in FP16, then build the quantized model "
            "with FP16 enabled (TensorRT 8.6-10.x) or strongly typed (10.x, required on 11)."
        ),
        commands=(
            "pip install 'nvidia-modelopt[onnx]'",
            "python -c \"import numpy as np; np.savez('calib.npz', input_ids=IDS, attention_mask=MASK)\"",
            f"python -m modelopt.onnx.quantization --onnx_path {_q(model)} --quantize_mode int8 "
            "--calibration_data_path calib.npz --output_path model.int8.onnx",
            build_cmd,
        ),
    )


@rule("benign-warnings-only", "info", "Only integer inputs, shape tensors and weights lack scales")
def benign_warnings_only(ctx: Context) -> Finding | None:
    tensors = ctx.tensors
    if not tensors or not all(_is_benign(t) for t in tensors):
        return None
    inputs = [t for t in tensors if t.cls == GRAPH_INPUT]
    weights = [t for t in tensors if t.weight_path]
    ints = [t for t in tensors if t.is_integer and not t.weight_path]
    return Finding(
        id="benign-warnings-only",
        severity="info",
        title="Only integer inputs, shape tensors and weights lack scales: the warnings themselves are harmless",
        explanation=(
            f"All {len(tensors)} warned tensors are integer tensors ({len(ints)}: inputs such as token ids "
            f"and shape arithmetic, which never run in INT8) or weights/constants and their parser "
            f"broadcasts ({len(weights)}: weights are quantized per layer from their values, not from "
            "calibration scales). None of the activations that feed INT8 kernels is missing a scale. "
            "If the engine is still slow, the cause is elsewhere (fusion, missing FP16, plugins)."
        ),
        evidence=_evidence(list(tensors), lines=[t.first_line for t in tensors[:10]],
                           notes=[f"{len(inputs)} graph inputs"]),
        fix="Nothing to fix for these warnings. To silence them, ignore integer/weight tensors in CI "
        "(trtdiag's assertion helpers do so by default).",
    )


#: Every rule, in the order findings are listed (most fundamental first).
RULES: tuple[Rule, ...] = (
    model_log_mismatch,
    trt11_implicit_int8_removed,
    int8_without_fp16,
    implicit_int8_transformer,
    benign_warnings_only,
)

_SEVERITY_RANK = {s: i for i, s in enumerate(SEVERITIES)}


def run_rules(ctx: Context, rules: tuple[Rule, ...] = RULES) -> tuple[Finding, ...]:
    """Run every rule; findings keep rule order within a severity, errors first."""
    found = [f for r in rules if (f := r.check(ctx)) is not None]
    return tuple(sorted(found, key=lambda f: _SEVERITY_RANK[f.severity]))


def rule_ids(rules: tuple[Rule, ...] = RULES) -> list[str]:
    return [r.id for r in rules]


def model_stem(path: str | None) -> str:
    return PurePath(path).stem if path else "model"
