"""Questions several build-log rules ask of a :class:`~trtdiag.rules.context.BuildContext`."""

from __future__ import annotations

import shlex

from trtdiag.commands import BuildCommand
from trtdiag.naming import WEIGHT, MappedTensor, TensorMapping, tensor_names
from trtdiag.onnx.compute import GEMM_OPS
from trtdiag.rules.context import BuildContext
from trtdiag.rules.transformer_names import NameEvidence, weigh_names


def q(text: str) -> str:
    """Quote for a copy-pasteable shell command."""
    return shlex.quote(text)


def model_name(ctx: BuildContext) -> str:
    """The model path to put in commands: the one given, else the one in the build command."""
    if ctx.model_path:
        return ctx.model_path
    if ctx.facts.build.command:
        for tok in ctx.facts.build.command.split():
            if tok.startswith("--onnx="):
                return tok.split("=", 1)[1]
            if tok.endswith(".onnx"):
                return tok
    return "model.onnx"


def user_command(ctx: BuildContext) -> BuildCommand | None:
    """The trtexec/Polygraphy command the log shows, on the model trtdiag was given (fixes edit it)."""
    cmd = BuildCommand.parse(ctx.facts.build.command)
    if cmd is None:
        return None
    return cmd.with_model(ctx.model_path) if ctx.model_path else cmd


def feeds_gemm(ctx: BuildContext, t: MappedTensor | TensorMapping) -> bool:
    return bool(ctx.gemms_touched([t]))


def is_benign(ctx: BuildContext, t: MappedTensor | TensorMapping) -> bool:
    """Integer tensors never run in INT8; weights and constants feeding elementwise ops or LayerNorm
    (biases, LN weights) cost nothing. A constant feeding a MatMul is not benign: the MatMul falls back."""
    if t.is_integer:
        return True
    if t.weight_path or t.cls == WEIGHT:
        return not feeds_gemm(ctx, t)
    return False


def is_implicit_int8(ctx: BuildContext) -> bool:
    """An INT8 build that relies on calibration: no Q/DQ in the model or the log, and not TensorRT 11 (which
    has none)."""
    f = ctx.facts
    if not f.has_int8_build or f.trt11:
        return False
    return not ctx.explicit_quantization


def transformer_name_evidence(ctx: BuildContext) -> NameEvidence:
    """Without a model: the transformer names among the warned tensors and parsed nodes (see
    :mod:`trtdiag.rules.transformer_names`)."""
    return weigh_names([*tensor_names(ctx.tensors), *(n.name for n in ctx.facts.parsed_nodes)])


def looks_like_transformer_from_names(ctx: BuildContext) -> bool:
    """Without a model: do the warned tensors and parsed nodes carry unambiguous transformer names?"""
    return transformer_name_evidence(ctx).convincing


def block_gemms(ctx: BuildContext) -> list[str]:
    """MatMul/Gemm/Conv nodes inside the encoder blocks (graph order)."""
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
