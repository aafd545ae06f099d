"""Diagnosis rules: each root cause is one small function with a stable id, its evidence and its fix.

To add a rule: write a function ``(ctx: Context) -> Finding | None`` decorated with :func:`rule`
and list it in :data:`RULES`. Rules read plain data (:class:`Context`) and never print or log.
Each finding names the GEMM/Conv nodes it keeps out of INT8, so its cost is a share of the
model's multiply-accumulates (see :mod:`trtdiag.onnx.compute`).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

from trtdiag.calib.cache import CacheCheck
from trtdiag.findings import Evidence, Finding
from trtdiag.fixes import (
    SensitiveNodes,
    calibration_data_snippet,
    explicit_build_commands,
    layer_precision_commands,
    modelopt_command,
    sensitive_nodes,
)
from trtdiag.log.facts import LogFacts
from trtdiag.naming import (
    ACTIVATION,
    GRAPH_INPUT,
    PARSER_HELPER,
    UNKNOWN,
    UNNAMED_LAYER,
    WEIGHT,
    MappedTensor,
    MappingSummary,
)
from trtdiag.onnx.compute import GEMM_OPS, ComputeProfile
from trtdiag.onnx.graph import GraphIndex

SEVERITIES = ("error", "warning", "info")
_MAX_EVIDENCE = 25
_STANDARD_DOMAINS = ("", "ai.onnx", "ai.onnx.ml")






@dataclass(frozen=True)
class Context:
    """Everything a rule may look at."""

    facts: LogFacts
    graph: GraphIndex | None
    mapping: MappingSummary
    model_path: str | None = None
    compute: ComputeProfile | None = None
    cache_check: CacheCheck | None = None

    @property
    def tensors(self) -> tuple[MappedTensor, ...]:
        return self.mapping.tensors

    @cached_property
    def sensitive(self) -> SensitiveNodes | None:
        return sensitive_nodes(self.graph) if self.graph is not None else None

    def gemms_touched(self, tensors: list[MappedTensor] | tuple[MappedTensor, ...]) -> list[str]:
        """GEMM/Conv nodes that produce or consume the tensors (the warning's own words: "any layer
        consuming or producing given tensor" falls back)."""
        g = self.graph
        if g is None:
            return []
        found: dict[str, None] = {}
        for t in tensors:
            names: list[str] = []
            if t.onnx_node:
                names.append(t.onnx_node)
            names.extend(t.onnx_consumers)
            if t.onnx_tensor is None and t.onnx_node:  # helper of a node: its consumers too
                node = g.node(t.onnx_node)
                if node is not None:
                    for out in node.outputs:
                        names.extend(c.name for c in g.consumers_of(out))
            for n in names:
                node = g.node(n)
                if node is not None and node.op_type in GEMM_OPS:
                    found.setdefault(n, None)
        return list(found)

    def share(self, nodes: list[str]) -> float | None:
        if self.compute is None or not self.compute.total_macs:
            return None
        return self.compute.share(nodes)


@dataclass(frozen=True)
class Rule:
    id: str
    severity: str
    title: str
    check: Callable[[Context], Finding | None] = field(repr=False)


def rule(rule_id: str, severity: str, title: str) -> Callable[[Callable[[Context], Finding | None]], Rule]:
    """Wrap a check function into a :class:`Rule` carrying its stable id and title."""
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


def _finding(ctx: Context, r: Rule, *, explanation: str, evidence: Evidence, fix: str,
             commands: tuple[str, ...] | list[str] = (), gemms: list[str] | None = None,
             severity: str | None = None, title: str | None = None) -> Finding:
    gemms = gemms or []
    return Finding(
        id=r.id, severity=severity or r.severity, title=title or r.title, explanation=explanation,
        evidence=evidence, fix=fix, commands=tuple(commands), gemm_nodes=tuple(gemms),
        mac_share=ctx.share(gemms) if gemms else (0.0 if ctx.compute and ctx.compute.total_macs else None),
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


def _feeds_gemm(ctx: Context, t: MappedTensor) -> bool:
    return bool(ctx.gemms_touched([t]))


def _is_benign(ctx: Context, t: MappedTensor) -> bool:
    """Integer tensors never run in INT8; weights and constants feeding elementwise ops or LayerNorm
    (biases, LN weights) cost nothing. A constant feeding a MatMul is not benign: the MatMul falls back."""
    if t.is_integer:
        return True
    if t.weight_path or t.cls == WEIGHT:
        return not _feeds_gemm(ctx, t)
    return False


def _is_implicit_int8(ctx: Context) -> bool:
    f = ctx.facts
    if not f.has_int8_build or f.trt11:
        return False
    return not (ctx.graph is not None and ctx.graph.qdq_nodes)


def _looks_like_transformer_from_names(ctx: Context) -> bool:
    names = [t.tensor for t in ctx.tensors] + [n.name for n in ctx.facts.parsed_nodes]
    keys = ("attention", "LayerNorm", "layer_norm", "self_attn", "Softmax", "encoder/layer")
    return sum(1 for n in names if any(k in n for k in keys)) >= 3


def _pct(share: float | None) -> str:
    return "an unknown share" if share is None else f"{share * 100:.0f}%"


def _blocks(tensors: list[MappedTensor]) -> str:
    blocks = sorted({t.block for t in tensors if t.block is not None})
    if not blocks:
        return ""
    if len(blocks) > 8:
        return f" in {len(blocks)} blocks ({blocks[0]}-{blocks[-1]})"
    return " in block" + ("s " if len(blocks) > 1 else " ") + ", ".join(map(str, blocks))


# --- rules -----------------------------------------------------------------------------------


@rule("model-log-mismatch", "error", "The ONNX model given is not the one this log was built from")
def model_log_mismatch(ctx: Context) -> Finding | None:
    m = ctx.mapping
    if not m.mismatch:
        return None
    unmapped = [t for t in ctx.tensors if not t.mapped and t.cls not in (PARSER_HELPER, UNNAMED_LAYER)]
    return _finding(
        ctx, model_log_mismatch,
        explanation=(
            f"{m.mismatch_reason}. Every mapping below (ONNX nodes, blocks, sub-modules, compute shares) is "
            "therefore unreliable. Pass the exact .onnx file the engine was built from (after any "
            "simplification or re-export)."
        ),
        evidence=_evidence(unmapped, lines=[t.first_line for t in unmapped]),
        fix="Re-run trtdiag with the ONNX file named in the build command (trtexec --onnx=..., or the path "
        "your script passed to the ONNX parser).",
        commands=(f"trtdiag analyze BUILD.log {_q(_model_name(ctx))} -o report.html",),
    )


@rule("trt11-implicit-int8-removed", "error", "TensorRT 11 removed implicit INT8 (calibrators, INT8/FP16 flags)")
def trt11_implicit_int8_removed(ctx: Context) -> Finding | None:
    events = ctx.facts.trt11
    if not events:
        return None
    model = _model_name(ctx)
    return _finding(
        ctx, trt11_implicit_int8_removed,
        explanation=(
            "The build uses APIs that TensorRT 11 removed: the IInt8Calibrator family, CalibrationAlgoType, "
            "BuilderFlag.INT8/FP16, set_dynamic_range and trtexec --int8/--fp16/--best/--calib. TensorRT 11 "
            "networks are strongly typed: INT8 comes only from explicit QuantizeLinear/DequantizeLinear (Q/DQ) "
            "nodes in the ONNX model, FP16 from the model's own dtypes (ModelOpt AutoCast)."
        ),
        evidence=_evidence(lines=[e.line for e in events], notes=[e.text for e in events[:5]]),
        fix="Quantize the ONNX model with NVIDIA ModelOpt (explicit Q/DQ, sensitive layers kept in FP16), then "
        "build it; remove calibrator code and INT8/FP16 builder flags.",
        commands=(
            "pip install 'nvidia-modelopt[onnx]'",
            calibration_data_snippet(ctx.graph),
            modelopt_command(model, ctx.graph, ctx.sensitive),
            *explicit_build_commands("11.0"),
        ),
    )


@rule("int8-without-fp16", "error", "INT8 was enabled without FP16: every fallback layer runs in FP32")
def int8_without_fp16(ctx: Context) -> Finding | None:
    b = ctx.facts.build
    if not b.int8 or b.fp16 is not False or b.strongly_typed or ctx.facts.trt11:
        return None  # (on TensorRT 11 the build never ran: trt11-implicit-int8-removed says why)
    lines = [b.evidence[k] for k in ("fp16", "precision", "fp32_int8_notice", "command") if k in b.evidence]
    fallback = [t for t in ctx.tensors if not _is_benign(ctx, t)]
    gemms = ctx.gemms_touched(fallback)
    if ctx.graph is not None and ctx.graph.transformer.is_transformer and _is_implicit_int8(ctx):
        # Attention/FFN GEMMs fused into Myelin do not run INT8 either; with INT8-only they run FP32.
        gemms = list(dict.fromkeys([*gemms, *_block_gemms(ctx)]))
    producer = b.producer
    if producer == "polygraphy":
        fix_cmd = f"polygraphy convert {_q(_model_name(ctx))} --int8 --fp16 --calibration-cache CACHE -o model.plan"
    elif producer in ("python-api", "ort-trt-ep", "deepstream", "torch-tensorrt", "samples"):
        fix_cmd = "config.set_flag(trt.BuilderFlag.FP16)  # next to config.set_flag(trt.BuilderFlag.INT8)"
    else:
        fix_cmd = f"trtexec --onnx={_q(_model_name(ctx))} --int8 --fp16  # keep your other flags; or --best"
    share = ctx.share(gemms)
    explained = (
        "The builder was allowed INT8 and FP32 only. Every layer that cannot run in INT8 - because a tensor "
        "lacks a scale, or because no INT8 kernel exists for it (LayerNorm, Softmax, GELU, most of an "
        "attention block) - runs in FP32, not FP16. That is why such an 'INT8' engine is slower than an FP16 "
        "engine and its outputs match FP32."
    )
    if gemms:
        explained += f" {len(gemms)} GEMM/Conv nodes ({_pct(share)} of the model's MACs) fall back to FP32."
    return _finding(
        ctx, int8_without_fp16, severity="error" if ctx.tensors or gemms else "warning",
        explanation=explained,
        evidence=_evidence(fallback, nodes=gemms, lines=lines + [t.first_line for t in fallback[:5]]),
        fix="Enable FP16 together with INT8 so that layers without INT8 fall back to FP16, not FP32. This is "
        "necessary but not sufficient for a transformer: see implicit-int8-transformer.",
        commands=(fix_cmd,), gemms=gemms,
    )


def _block_gemms(ctx: Context) -> list[str]:
    g = ctx.graph
    if g is None:
        return []
    out = []
    for n in g.nodes:
        if n.op_type in GEMM_OPS:
            m = g.module_of_node(n.name)
            if m is not None and m.block is not None:
                out.append(n.name)
    return out


@rule("implicit-int8-transformer", "error",
      "Implicit INT8 calibration on a transformer: attention, LayerNorm and GEMMs stay out of INT8")
def implicit_int8_transformer(ctx: Context) -> Finding | None:
    if not _is_implicit_int8(ctx):
        return None
    g = ctx.graph
    if g is not None:
        if not g.transformer.is_transformer:
            return None
        nodes = list(g.transformer.softmax_nodes)
        why = (f"the model has {g.transformer.attention_patterns} attention patterns (MatMul-Softmax-MatMul), "
               f"{g.transformer.layernorms} LayerNorms and {g.transformer.blocks} encoder blocks, and no Q/DQ "
               "nodes")
    else:
        if not _looks_like_transformer_from_names(ctx):
            return None
        nodes = []
        why = "the tensor and node names in the log are those of a transformer (attention, LayerNorm)"
    b = ctx.facts.build
    lines = [b.evidence[k] for k in ("int8", "calibrator", "calibration_cache_read") if k in b.evidence]
    lines += [t.first_line for t in ctx.tensors[:5]]
    model = _model_name(ctx)
    gemms = _block_gemms(ctx)
    share = ctx.share(gemms)
    sens = ctx.sensitive
    keep = sens.all() if sens else []
    notes = []
    if sens:
        notes.append("kept in FP16: " + ", ".join(f"{v} {k}" for k, v in sens.counts().items() if v))
    commands = [
        "pip install 'nvidia-modelopt[onnx]'",
        calibration_data_snippet(g),
        modelopt_command(model, g, sens),
        *explicit_build_commands(b.tensorrt_version),
    ]
    ver = b.tensorrt_version or ""
    if not ver.startswith("11") and keep:
        commands.append("# TensorRT 8.4-10.x only, a stop-gap without Q/DQ: keep the sensitive layers in FP16")
        commands.extend(layer_precision_commands(model, keep, b.calibration_cache_read))
    return _finding(
        ctx, implicit_int8_transformer,
        explanation=(
            f"This is an implicit-INT8 (calibration) build and {why}. TensorRT fuses attention, LayerNorm and "
            "the surrounding GEMMs into Myelin regions that implicit INT8 does not quantize, so "
            f"{len(gemms) or 'the'} encoder GEMMs ({_pct(share)} of the MACs) fall back to FP16/FP32 whatever "
            "the calibrator (MinMax, Entropy) or cache. NVIDIA's answer for BERT-like models is explicit "
            "quantization. Implicit INT8 is deprecated since TensorRT 10.1 and removed in 11."
        ),
        evidence=_evidence(list(ctx.tensors), nodes=nodes + gemms, lines=lines, notes=notes),
        fix="Insert Q/DQ nodes with NVIDIA ModelOpt ONNX PTQ (calibration data as an .npz keyed by input name), "
        "keep LayerNorm, Softmax, residual Adds, embeddings and integer paths in FP16 (--nodes_to_exclude below, "
        "derived from the model), then build the quantized model with FP16 enabled (8.6-10.x) or strongly typed "
        "(10.x; the only mode in 11).",
        commands=commands, gemms=gemms,
    )


@rule("activations-missing-scales", "error", "Activations that feed MatMul/Gemm/Conv lack INT8 scales")
def activations_missing_scales(ctx: Context) -> Finding | None:
    acts = [t for t in ctx.tensors if t.cls in (ACTIVATION, GRAPH_INPUT) and not t.is_integer
            and not t.weight_path and _feeds_gemm(ctx, t)]
    if not acts:
        return None
    gemms = ctx.gemms_touched(acts)
    share = ctx.share(gemms)
    return _finding(
        ctx, activations_missing_scales,
        explanation=(
            f"{len(acts)} activation tensors{_blocks(acts)} that feed or leave MatMul/Gemm/Conv nodes have no "
            f"INT8 scale, so those {len(gemms)} GEMMs ({_pct(share)} of the MACs) run in FP16/FP32. The "
            "calibrator never saw these tensors (a cache from another export, calibration data that does not "
            "exercise them) or they were renamed."
        ),
        evidence=_evidence(acts, nodes=gemms, lines=[t.first_line for t in acts]),
        fix="Recalibrate against this exact ONNX file (delete the old cache first) with data that covers every "
        "input; for a transformer, quantize explicitly with ModelOpt instead (see implicit-int8-transformer).",
        commands=(f"rm -f {_q(ctx.facts.build.calibration_cache_read or 'calib.cache')}  # then rebuild",),
        gemms=gemms,
    )


@rule("stale-calibration-cache", "error", "The calibration cache does not belong to this model or build")
def stale_calibration_cache(ctx: Context) -> Finding | None:
    b = ctx.facts.build
    check = ctx.cache_check
    notes: list[str] = []
    lines: list[int] = []
    reason = None
    if check is not None and check.stale:
        reason = check.stale_reason
        notes.extend(f"not in the model: {n}" for n in check.absent_from_model[:5])
        notes.extend(f"not in the cache: {n}" for n in check.gemm_inputs_missing[:5])
    cache_used = bool(b.calibration_cache_read) or any(
        e.kind in ("cache-read", "scales-from-cache") for e in ctx.facts.calibration.events)
    act_like = [t for t in ctx.tensors if t.cls in (ACTIVATION, UNKNOWN) and not t.is_integer and not t.weight_path]
    if reason is None and cache_used and ctx.facts.calibration.started_line is None and len(act_like) >= 3:
        total = len(ctx.tensors)
        denominator = None
        if ctx.graph is not None:
            denominator = sum(1 for n in ctx.graph.nodes if n.op_type not in ("Constant", "Shape")
                              and n.outputs and ctx.graph.dtype_of(n.outputs[0]) in ("FLOAT", "FLOAT16", None))
        threshold = 0.5 * (denominator if denominator else total)
        if len(act_like) >= threshold:
            reason = (f"the log reads a calibration cache and then warns about {len(act_like)} activation tensors"
                      + (f" out of {denominator} float activations in the model" if denominator else "")
                      + ": the cache was made for another model or export")
    if reason is None:
        return None
    lines += [b.evidence[k] for k in ("calibration_cache_read",) if k in b.evidence]
    lines += [e.line for e in ctx.facts.calibration.events if e.kind in ("cache-read", "scales-from-cache")]
    gemms = ctx.gemms_touched(act_like)
    cache_name = b.calibration_cache_read or (check.cache.path if check else "calib.cache")
    return _finding(
        ctx, stale_calibration_cache,
        explanation=(f"The calibration cache is stale: {reason}. TensorRT takes scales only for tensor names it "
                     "finds in the cache and silently leaves the rest without scales."),
        evidence=_evidence(act_like, nodes=gemms, lines=lines + [t.first_line for t in act_like[:5]], notes=notes),
        fix="Delete the cache and calibrate again with this exact model and TensorRT version (a cache is tied to "
        "tensor names, the export, the algorithm and the TensorRT version).",
        commands=(f"rm -f {_q(cache_name)}",), gemms=gemms,
    )


@rule("no-calibration", "warning", "INT8 without real calibration, or calibration on a network that ignores it")
def no_calibration(ctx: Context) -> Finding | None:
    f = ctx.facts
    b = f.build
    kinds = {e.kind: e for e in f.calibration.events}
    model = _model_name(ctx)
    if "explicit-precision" in kinds or (ctx.graph is not None and ctx.graph.qdq_nodes and (
            b.calibrator or b.calibration_cache_read or f.calibration.started_line)):
        line = kinds["explicit-precision"].line if "explicit-precision" in kinds else b.evidence.get("calibrator")
        return _finding(
            ctx, no_calibration, severity="warning",
            title="A calibrator was given to an explicitly quantized (Q/DQ) network and is ignored",
            explanation=("The network has QuantizeLinear/DequantizeLinear nodes, so TensorRT uses their scales "
                         "(explicit quantization) and ignores the calibrator and cache. Mixing both is a sign the "
                         "wrong model or build script is in use."),
            evidence=_evidence(lines=[x for x in [line] if x], notes=[
                f"{ctx.graph.qdq_nodes} Q/DQ nodes in the model" if ctx.graph and ctx.graph.qdq_nodes else ""]),
            fix="Drop the calibrator/cache and build the Q/DQ model directly.",
            commands=tuple(explicit_build_commands(b.tensorrt_version, quantized=model)),
        )
    if not b.int8:
        return None
    dynamic = "calibration-dynamic" in kinds or b.calibration_dynamic
    not_used = "calibrator-not-used" in kinds
    has_calib = b.calibrator or b.calibration_cache_read or f.calibration.started_line or b.calibration_cache_written
    if not (dynamic or (not_used and not has_calib)):
        return None
    line = (kinds.get("calibration-dynamic") or kinds.get("calibrator-not-used"))
    return _finding(
        ctx, no_calibration, severity="warning",
        title="INT8 is enabled with neither a calibrator nor a calibration cache",
        explanation=("trtexec --int8 without --calib sets placeholder dynamic ranges on every tensor "
                     "('Calibration: Dynamic'): the engine shows INT8 speed but its accuracy is meaningless. "
                     "With the API, no calibrator and no set_dynamic_range means every tensor lacks a scale."),
        evidence=_evidence(lines=[x for x in [line.line if line else None, b.evidence.get("precision")] if x]),
        fix="Calibrate (trtexec --calib=CACHE from a calibrator run, or Polygraphy's calibrator with your data), "
        "or better, quantize explicitly with ModelOpt.",
        commands=(f"polygraphy convert {_q(model)} --int8 --fp16 --data-loader-script data_loader.py "
                  "--calibration-cache calib.cache -o model.plan",
                  modelopt_command(model, ctx.graph, ctx.sensitive)),
    )


@rule("calibration-profile", "warning", "Dynamic shapes were calibrated on a default optimization profile")
def calibration_profile(ctx: Context) -> Finding | None:
    events = [e for e in ctx.facts.calibration.events if e.kind == "profile-not-defined"]
    if not events:
        return None
    return _finding(
        ctx, calibration_profile,
        explanation=("'Calibration Profile is not defined. Calibrating with Profile 0': the network has dynamic "
                     "shapes and no calibration profile was set, so calibration ran with profile 0's opt shapes. "
                     "If those are not the shapes your data has (batch, sequence length), scales are collected on "
                     "the wrong activations and some tensors may get none."),
        evidence=_evidence(lines=[e.line for e in events]),
        fix="Set the calibration profile explicitly to shapes matching the calibration data.",
        commands=("config.set_calibration_profile(profile)  # Python API, TensorRT 8.x-10.x",
                  "trtexec ... --calibProfile=0 --optShapes=input_ids:16x128,attention_mask:16x128"),
    )


@rule("plugin-without-int8", "warning", "Plugin or custom layers on the warned path have no INT8 implementation")
def plugin_without_int8(ctx: Context) -> Finding | None:
    g = ctx.graph
    plugin_nodes: list[str] = []
    warned: list[MappedTensor] = []
    if g is not None:
        custom = {n.name for n in g.nodes if n.domain not in _STANDARD_DOMAINS or _is_unknown_op(n.op_type)}
        for t in ctx.tensors:
            touched = ({t.onnx_node} if t.onnx_node else set()) | set(t.onnx_consumers)
            if touched & custom:
                warned.append(t)
                plugin_nodes.extend(sorted(touched & custom))
    events = list(ctx.facts.plugins)
    if not warned and g is None:
        names = {e.text for e in events}
        warned = [t for t in ctx.tensors if re.search(r"(?i)plugin", t.tensor) or any(t.tensor in n for n in names)]
    if not warned:
        return None
    return _finding(
        ctx, plugin_without_int8,
        explanation=(f"{len(warned)} warned tensors are produced or consumed by plugin/custom layers. A plugin runs "
                     "in INT8 only if it declares INT8 I/O formats in supportsFormatCombination and gets scales "
                     "for its tensors; otherwise TensorRT inserts reformats and runs it in FP32/FP16."),
        evidence=_evidence(warned, nodes=plugin_nodes, lines=[t.first_line for t in warned] + [e.line for e in events]),
        fix="Give the plugin INT8 support (formats and scales) or surround it with Q/DQ nodes so its neighbours "
        "stay INT8; otherwise keep it in FP16.",
    )


def _is_unknown_op(op: str) -> bool:
    try:
        import onnx.defs

        return not onnx.defs.has(op)
    except Exception:
        return False


@rule("integer-inputs", "info", "Integer inputs and shape tensors lack scales (harmless)")
def integer_inputs(ctx: Context) -> Finding | None:
    ints = [t for t in ctx.tensors if t.is_integer]
    if not ints:
        return None
    return _finding(
        ctx, integer_inputs,
        explanation=(f"{len(ints)} warned tensors are INT32/INT64/BOOL: token ids, attention masks, position ids "
                     "and shape arithmetic. INT8 applies to floating-point activations only, so these tensors "
                     "never get a scale and the layers using them (Gather, Shape, Cast) run as they would anyway."),
        evidence=_evidence(ints, lines=[t.first_line for t in ints]),
        fix="Nothing to fix; trtdiag's CI helpers ignore these by default.",
    )


@rule("implicit-int8-deprecated", "warning", "Implicit INT8 is deprecated (TensorRT 10.1) and removed in 11")
def implicit_int8_deprecated(ctx: Context) -> Finding | None:
    if not _is_implicit_int8(ctx):
        return None
    ver = ctx.facts.build.tensorrt_version
    mm = re.match(r"(\d+)\.(\d+)", ver or "")
    newer = mm is not None and (int(mm.group(1)), int(mm.group(2))) >= (10, 1)
    if not newer and not ctx.facts.deprecations:
        return None
    b = ctx.facts.build
    return _finding(
        ctx, implicit_int8_deprecated,
        explanation=(f"This build (TensorRT {ver or 'version not stated'}) uses implicit quantization: a calibrator, "
                     "a calibration cache or per-tensor dynamic ranges. These APIs are deprecated since 10.1 and "
                     "removed in TensorRT 11, where this build script will fail."),
        evidence=_evidence(lines=[x for x in [b.evidence.get("tensorrt_version"), b.evidence.get("int8")] if x]
                           + [e.line for e in ctx.facts.deprecations],
                           notes=[e.text for e in ctx.facts.deprecations[:3]]),
        fix="Migrate now: ModelOpt explicit Q/DQ for INT8, ModelOpt AutoCast for FP16, strongly typed builds.",
        commands=(modelopt_command(_model_name(ctx), ctx.graph, ctx.sensitive),
                  "python -m modelopt.onnx.autocast --onnx_path model.onnx  # FP16 without builder flags"),
    )


@rule("benign-warnings-only", "info", "Only integer inputs, shape tensors and weights lack scales")
def benign_warnings_only(ctx: Context) -> Finding | None:
    tensors = ctx.tensors
    if not tensors or not all(_is_benign(ctx, t) for t in tensors):
        return None
    weights = [t for t in tensors if t.weight_path]
    ints = [t for t in tensors if t.is_integer and not t.weight_path]
    return _finding(
        ctx, benign_warnings_only,
        title="Only integer inputs, shape tensors and weights lack scales: the warnings themselves are harmless",
        explanation=(
            f"All {len(tensors)} warned tensors are integer tensors ({len(ints)}: inputs such as token ids and "
            f"shape arithmetic, which never run in INT8) or weights/constants and their parser broadcasts "
            f"({len(weights)}) that feed elementwise or normalization layers, not GEMMs. None of the tensors at a "
            "MatMul/Gemm/Conv is missing a scale. If the engine is still slow, the cause is elsewhere (fusion, "
            "missing FP16, plugins)."
        ),
        evidence=_evidence(list(tensors), lines=[t.first_line for t in tensors[:10]]),
        fix="Nothing to fix for these warnings. To silence them in CI, ignore integer/weight tensors "
        "(trtdiag's assertion helpers do so by default).",
    )


#: Every rule, most fundamental first. Adding a rule: write it above and list it here.
RULES: tuple[Rule, ...] = (
    model_log_mismatch,
    trt11_implicit_int8_removed,
    int8_without_fp16,
    implicit_int8_transformer,
    stale_calibration_cache,
    activations_missing_scales,
    no_calibration,
    calibration_profile,
    plugin_without_int8,
    implicit_int8_deprecated,
    benign_warnings_only,
    integer_inputs,
)

_SEVERITY_RANK = {s: i for i, s in enumerate(SEVERITIES)}


def run_rules(ctx: Context, rules: tuple[Rule, ...] = RULES) -> tuple[Finding, ...]:
    """Run every rule; errors first, then by rule order."""
    found = [f for r in rules if (f := r.check(ctx)) is not None]
    return tuple(sorted(found, key=lambda f: _SEVERITY_RANK[f.severity]))


def verdict_failures(findings: tuple[Finding, ...] | list[Finding], fail_on: str) -> list[str]:
    """Findings at or above the ``fail_on`` severity (``error``, ``warning``; ``never`` fails on nothing)."""
    if fail_on == "never":
        return []
    if fail_on not in _SEVERITY_RANK:
        raise ValueError(f"fail_on must be error, warning or never, not {fail_on!r}")
    limit = _SEVERITY_RANK[fail_on]
    return [f"{f.severity} {f.id}" for f in findings if _SEVERITY_RANK[f.severity] <= limit]


def rule_ids(rules: tuple[Rule, ...] = RULES) -> list[str]:
    return [r.id for r in rules]
