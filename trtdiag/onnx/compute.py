"""Compute weighting: multiply-accumulates (MACs) per MatMul/Gemm/Conv from shape inference.

Why: "62 tensors lacked scales" says little; "94% of the matrix-multiply work cannot run in INT8"
says what it costs. The shapes the MACs are computed from come from :mod:`trtdiag.onnx.shapes`:
ONNX Runtime's symbolic shape inference when installed (it resolves every GEMM of the TorchScript
opset 11-17 exports at batch 1); ONNX's inference with its two workarounds otherwise, or when the
symbolic one leaves more GEMMs unresolved.

``onnx`` is imported inside :func:`_infer_macs` only: it is a heavy import that ``import trtdiag``
should not pay for.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

from trtdiag.onnx.graph import InputDims
from trtdiag.onnx.shapes import ShapeInference, Shapes, concrete_shapes, infer_shapes, with_input_shapes

# parse_shapes lives in trtdiag.onnx.shapes; the pipelines import it from here with the MACs they feed.
from trtdiag.onnx.shapes import parse_shapes as parse_shapes

if TYPE_CHECKING:
    from onnx import ModelProto

GEMM_OPS = frozenset({"MatMul", "Gemm", "Conv", "ConvTranspose", "MatMulInteger", "QLinearMatMul", "QLinearConv"})


class ShapesSource(str, Enum):
    """Where the input shapes of a :class:`ComputeProfile` came from. A ``str`` enum: documents keep the word."""

    USER = "user"  # --shapes
    DEFAULTS = "defaults"  # batch-like dims 1, other symbolic dims 128 (see trtdiag.onnx.shapes)

    def __str__(self) -> str:
        return self.value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)


@dataclass(frozen=True)
class ComputeProfile:
    """MACs of every GEMM-like node, with the shapes that were assumed to get them."""

    input_shapes: dict[str, tuple[int, ...]]
    shapes_source: ShapesSource
    macs: dict[str, int]  # node name -> MACs (only nodes whose shapes were resolved)
    unresolved: tuple[str, ...]  # GEMM-like nodes whose shapes could not be inferred
    total_macs: int
    notes: tuple[str, ...]

    def share(self, nodes: set[str] | list[str] | tuple[str, ...]) -> float:
        """Fraction of the model's GEMM/Conv MACs covered by ``nodes`` (0 when nothing is known)."""
        if not self.total_macs:
            return 0.0
        return sum(self.macs.get(n, 0) for n in set(nodes)) / self.total_macs




@dataclass(frozen=True)
class _MacsRun:
    """One shape-inference run: MACs of the resolved GEMM-like nodes, the unresolved ones, any failure."""

    macs: dict[str, int]
    unresolved: list[str]
    failure: str | None = None


def compute_profile(model: ModelProto | str | os.PathLike[str], inputs: InputDims,
                    shapes: Shapes | None = None) -> ComputeProfile:
    """Infer shapes with concrete input dims and return MACs per GEMM-like node.

    ``model`` is a path or an ``onnx.ModelProto`` (best: ``GraphIndex.structure``, the model without
    its weights, which is copied for each inference run instead of re-reading the file).
    """
    concrete, notes = concrete_shapes(inputs, shapes)
    run = _infer_macs(model, concrete, engine=ShapeInference.ONNXRUNTIME)
    if run.failure or run.unresolved:  # onnxruntime absent or failing, or some GEMM left unknown
        onnx_notes: list[str] = []
        fallback = _onnx_inference_runs(model, concrete, onnx_notes)
        if run.failure or len(fallback.unresolved) < len(run.unresolved):
            run = fallback
            notes.extend(onnx_notes)
    if run.unresolved:
        notes.append(f"{len(run.unresolved)} GEMM/Conv nodes have shapes that inference could not resolve; "
                     "their MACs are not counted")
    return ComputeProfile(
        input_shapes=concrete, shapes_source=ShapesSource.USER if shapes else ShapesSource.DEFAULTS, macs=run.macs,
        unresolved=tuple(run.unresolved), total_macs=sum(run.macs.values()), notes=tuple(notes),
    )


def _onnx_inference_runs(model: ModelProto | str | os.PathLike[str], concrete: Shapes,
                         notes: list[str]) -> _MacsRun:
    """ONNX shape inference, retried on the model at opset 17 and at batch 2 while GEMMs stay unknown."""
    run = _infer_macs(model, concrete, engine=ShapeInference.ONNX)
    if run.failure:
        notes.append(run.failure)
    if run.unresolved:
        run = _retry_at_opset_17(model, concrete, run, notes)
    if run.unresolved and any(dims and dims[0] == 1 for dims in concrete.values()):
        run = _retry_at_batch_2(model, concrete, run, notes)
    return run


def _retry_at_opset_17(model: ModelProto | str | os.PathLike[str], concrete: Shapes, run: _MacsRun,
                       notes: list[str]) -> _MacsRun:
    """ONNX data propagation handles few ops of old opsets (opset 11 Unsqueeze/Reshape chains); the same
    graph converted to opset 17 resolves. Node names survive the conversion."""
    upgraded = _infer_macs(model, concrete, engine=ShapeInference.ONNX, upgrade=True)
    if upgraded.failure is None and len(upgraded.unresolved) < len(run.unresolved):
        notes.append("shapes were inferred on the model converted to opset 17 (the original opset's shape "
                     "inference could not resolve them)")
        return upgraded
    return run


def _retry_at_batch_2(model: ModelProto | str | os.PathLike[str], concrete: Shapes, run: _MacsRun,
                      notes: list[str]) -> _MacsRun:
    """ONNX inference loses dims that broadcast against 1 (e.g. an Expand of a [1, seq] buffer to
    [batch, seq]); with batch 2 they resolve. GEMM MACs are linear in the batch dim, so halve."""
    doubled = {k: ((2, *v[1:]) if v and v[0] == 1 else v) for k, v in concrete.items()}
    at_2 = _infer_macs(model, doubled, engine=ShapeInference.ONNX)
    if len(at_2.unresolved) < len(run.unresolved):
        notes.append("MACs were inferred at batch 2 and halved: ONNX shape inference cannot resolve "
                     "this model's broadcasts at batch 1")
        return _MacsRun({k: v // 2 for k, v in at_2.macs.items()}, at_2.unresolved)
    return run


def _infer_macs(model: ModelProto | str | os.PathLike[str], concrete: Shapes, *, engine: ShapeInference,
                upgrade: bool = False) -> _MacsRun:
    """Run one shape inference with concrete input dims; MACs per resolved GEMM-like node."""
    from onnx import helper

    try:
        shaped = with_input_shapes(model, concrete, upgrade=upgrade)
    except ValueError as exc:  # the opset conversion is a second chance only
        return _MacsRun({}, [], str(exc))
    inferred = infer_shapes(shaped, engine)
    shape = inferred.shapes
    run = _MacsRun({}, [], inferred.failure)
    for i, n in enumerate(shaped.graph.node):
        if n.op_type not in GEMM_OPS:
            continue
        name = n.name or (f"node_of_{n.output[0]}" if n.output else f"node_{i}")
        attrs = {a.name: helper.get_attribute_value(a) for a in n.attribute}
        value = _node_macs(n.op_type, attrs, [shape.get(t) for t in n.input],
                          shape.get(n.output[0]) if n.output else None)
        if value is None:
            run.unresolved.append(name)
        else:
            run.macs[name] = int(value)
    return run


#: A static shape, None when unknown.
Dims = tuple[int, ...] | None


def _node_macs(op: str, attrs: dict[str, object], ins: list[Dims], out: Dims) -> int | None:
    """MACs of one node from its input and output shapes; None when a needed shape is unknown."""
    if op in ("MatMul", "MatMulInteger", "QLinearMatMul"):
        a, b = (ins[0], ins[1]) if op != "QLinearMatMul" else (ins[0], _at(ins, 3))
        if not a or not b or out is None:
            return None
        return math.prod(out) * a[-1]
    if op == "Gemm":
        a = ins[0]
        if not a or out is None or len(a) != 2:
            return None
        k = a[0] if attrs.get("transA") else a[1]
        return math.prod(out) * k
    if op in ("Conv", "QLinearConv", "ConvTranspose"):
        return _conv_macs(op, ins, out)
    return None


def _conv_macs(op: str, ins: list[Dims], out: Dims) -> int | None:
    """The weights carry Cin/group, so the group attribute is not needed."""
    w = ins[1] if op != "QLinearConv" else _at(ins, 3)
    x = ins[0]
    if not w or out is None or not x:
        return None
    if op == "ConvTranspose":
        # each input element scatters into Cout/group * kernel outputs
        return math.prod(x) * w[1] * math.prod(w[2:])
    return math.prod(out) * w[1] * math.prod(w[2:])


def _at(ins: list[Dims], i: int) -> Dims:
    return ins[i] if len(ins) > i else None
