"""Compute weighting: multiply-accumulates (MACs) per MatMul/Gemm/Conv from ONNX shape inference.

Why: "62 tensors lacked scales" says little; "94% of the matrix-multiply work cannot run in INT8"
says what it costs. Shapes come from the user's input shapes (trtexec ``--shapes`` syntax) or
from defaults derived from the graph's input dims, propagated with ONNX shape inference
(data propagation on, so TorchScript's Shape->Gather->Concat->Reshape chains resolve).
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass
from typing import Any

from trtdiag.errors import InputError

GEMM_OPS = frozenset({"MatMul", "Gemm", "Conv", "ConvTranspose", "MatMulInteger", "QLinearMatMul", "QLinearConv"})
DEFAULT_BATCH = 1
DEFAULT_SEQUENCE = 128
_BATCH_NAMES = re.compile(r"^(?:batch|batch_size|bs|n|N|b|B|unk__\d+)$|batch", re.IGNORECASE)


@dataclass(frozen=True)
class ComputeProfile:
    """MACs of every GEMM-like node, with the shapes that were assumed to get them."""

    input_shapes: dict[str, tuple[int, ...]]
    shapes_source: str  # "user" or "defaults"
    macs: dict[str, int]  # node name -> MACs (only nodes whose shapes were resolved)
    unresolved: tuple[str, ...]  # GEMM-like nodes whose shapes could not be inferred
    total_macs: int
    notes: tuple[str, ...]

    def share(self, nodes: set[str] | list[str] | tuple[str, ...]) -> float:
        """Fraction of the model's GEMM/Conv MACs covered by ``nodes`` (0 when nothing is known)."""
        if not self.total_macs:
            return 0.0
        return sum(self.macs.get(n, 0) for n in set(nodes)) / self.total_macs


def parse_shapes(spec: str) -> dict[str, tuple[int, ...]]:
    """Parse trtexec ``--shapes`` syntax: ``input_ids:16x128,attention_mask:16x128``.

    Tensor names may contain ``:`` (TF names), so the shape is taken after the last colon.
    """
    shapes: dict[str, tuple[int, ...]] = {}
    for item in filter(None, (p.strip() for p in spec.split(","))):
        name, sep, dims = item.rpartition(":")
        if not sep or not name:
            raise InputError(f"bad --shapes entry {item!r}: expected NAME:DxDxD, e.g. input_ids:16x128")
        name = name.strip().strip("'\"")
        try:
            values = tuple(int(d) for d in dims.lower().split("x"))
        except ValueError as exc:
            raise InputError(f"bad --shapes entry {item!r}: dimensions must be integers separated by 'x'") from exc
        if any(v <= 0 for v in values):
            raise InputError(f"bad --shapes entry {item!r}: dimensions must be positive")
        shapes[name] = values
    return shapes


def default_shapes(inputs: dict[str, tuple[str, tuple[str | int, ...]]]) -> dict[str, tuple[int, ...]]:
    """Concrete shapes for the graph inputs: batch-like dims 1, other symbolic dims 128."""
    out: dict[str, tuple[int, ...]] = {}
    for name, (_dtype, dims) in inputs.items():
        resolved = []
        for i, d in enumerate(dims):
            if isinstance(d, int) and d > 0:
                resolved.append(d)
            elif i == 0 or (isinstance(d, str) and _BATCH_NAMES.search(d)):
                resolved.append(DEFAULT_BATCH)
            else:
                resolved.append(DEFAULT_SEQUENCE)
        out[name] = tuple(resolved)
    return out


def _node_macs(op: str, attrs: dict[str, object], ins: list[tuple[int, ...] | None],
               out: tuple[int, ...] | None) -> int | None:
    if op in ("MatMul", "MatMulInteger", "QLinearMatMul"):
        a, b = (ins[0], ins[1]) if op != "QLinearMatMul" else (ins[0], ins[3] if len(ins) > 3 else None)
        if not a or not b or out is None:
            return None
        k = a[-1]
        return math.prod(out) * k
    if op == "Gemm":
        a = ins[0]
        if not a or out is None or len(a) != 2:
            return None
        k = a[0] if attrs.get("transA") else a[1]
        return math.prod(out) * k
    if op in ("Conv", "QLinearConv", "ConvTranspose"):
        w = ins[1] if op != "QLinearConv" else (ins[3] if len(ins) > 3 else None)
        x = ins[0]
        if not w or out is None or not x:
            return None
        group = int(attrs.get("group", 1) or 1)  # type: ignore[call-overload]
        if op == "ConvTranspose":
            # each input element scatters into Cout/group * kernel outputs
            return math.prod(x) * (w[1]) * math.prod(w[2:])
        cin_per_group = w[1]
        del group  # weights already carry Cin/group
        return math.prod(out) * cin_per_group * math.prod(w[2:])
    return None


def compute_profile(
    model_path: str | os.PathLike[str] | Any, inputs: dict[str, tuple[str, tuple[str | int, ...]]],
    shapes: dict[str, tuple[int, ...]] | None = None,
) -> ComputeProfile:
    """Infer shapes with concrete input dims and return MACs per GEMM-like node.

    ``model_path`` is a path or an ``onnx.ModelProto`` (best: ``GraphIndex.structure``, the model without
    its weights, which is copied for each inference run instead of re-reading the file).
    """
    notes: list[str] = []
    source = "user" if shapes else "defaults"
    concrete = default_shapes(inputs)
    if shapes:
        unknown = sorted(set(shapes) - set(inputs))
        if unknown:
            raise InputError(f"--shapes names inputs the model does not have: {', '.join(unknown)} "
                             f"(model inputs: {', '.join(inputs) or 'none'})")
        concrete.update(shapes)
        # Inputs the user did not name take the values of the symbolic dims they share with the
        # named ones (token_type_ids follows input_ids' batch x seq).
        known: dict[str, int] = {}
        for name, dims in shapes.items():
            for d, v in zip(inputs[name][1], dims, strict=False):
                if isinstance(d, str) and d:
                    known.setdefault(d, v)
        for name in set(inputs) - set(shapes):
            sym = inputs[name][1]
            concrete[name] = tuple(
                known.get(d, c) if isinstance(d, str) else c for d, c in zip(sym, concrete[name], strict=False)
            )
        missing = sorted(set(inputs) - set(shapes))
        if missing:
            notes.append("default shapes used for " + ", ".join(f"{m}={'x'.join(map(str, concrete[m]))}"
                                                                for m in missing))
    macs, unresolved, failure = _infer_macs(model_path, concrete)
    if failure:
        notes.append(failure)
    if unresolved:
        # ONNX data propagation handles few ops of old opsets (opset 11 Unsqueeze/Reshape chains); the
        # same graph converted to opset 17 resolves. Node names survive the conversion.
        upgraded = _infer_macs(model_path, concrete, upgrade=True)
        if upgraded[2] is None and len(upgraded[1]) < len(unresolved):
            macs, unresolved = upgraded[0], upgraded[1]
            notes.append("shapes were inferred on the model converted to opset 17 (the original opset's shape "
                         "inference could not resolve them)")
    if unresolved and any(dims and dims[0] == 1 for dims in concrete.values()):
        # ONNX inference loses dims that broadcast against 1 (e.g. an Expand of a [1, seq] buffer to
        # [batch, seq]); with batch 2 they resolve. GEMM MACs are linear in the batch dim, so halve.
        doubled = {k: ((2, *v[1:]) if v and v[0] == 1 else v) for k, v in concrete.items()}
        macs2, unresolved2, _ = _infer_macs(model_path, doubled)
        if len(unresolved2) < len(unresolved):
            macs, unresolved = {k: v // 2 for k, v in macs2.items()}, unresolved2
            notes.append("MACs were inferred at batch 2 and halved: ONNX shape inference cannot resolve "
                         "this model's broadcasts at batch 1")
    if unresolved:
        notes.append(f"{len(unresolved)} GEMM/Conv nodes have shapes that inference could not resolve; "
                     "their MACs are not counted")
    return ComputeProfile(
        input_shapes=concrete, shapes_source=source, macs=macs, unresolved=tuple(unresolved),
        total_macs=sum(macs.values()), notes=tuple(notes),
    )


def _infer_macs(model_path: str | os.PathLike[str] | Any, concrete: dict[str, tuple[int, ...]], *,
                upgrade: bool = False) -> tuple[dict[str, int], list[str], str | None]:
    """Run ONNX shape inference with concrete input dims; MACs per resolved GEMM-like node."""
    import onnx
    from onnx import helper, shape_inference

    if isinstance(model_path, onnx.ModelProto):
        model = onnx.ModelProto()
        model.CopyFrom(model_path)  # the dims of the inputs are rewritten below
    else:
        model = onnx.load(str(model_path), load_external_data=False)
    if upgrade:
        try:
            from onnx import version_converter

            model = version_converter.convert_version(model, 17)
        except Exception as exc:  # conversion is a second chance only
            return {}, [], f"opset conversion failed ({type(exc).__name__})"
    g = model.graph
    init_names = {t.name for t in g.initializer}
    for vi in g.input:
        if vi.name in init_names or vi.name not in concrete:
            continue
        dims = concrete[vi.name]
        tt = vi.type.tensor_type
        if tt.HasField("shape") and len(tt.shape.dim) not in (0, len(dims)):
            raise InputError(f"--shapes gives {vi.name} rank {len(dims)}, the model's input has rank "
                             f"{len(tt.shape.dim)}")
        tt.ClearField("shape")
        for d in dims:
            tt.shape.dim.add().dim_value = d
    failure = None
    try:
        inferred = shape_inference.infer_shapes(model, strict_mode=False, data_prop=True)
    except Exception as exc:  # inference is best effort: unknown shapes are reported, not fatal
        failure = f"ONNX shape inference failed ({type(exc).__name__}); MACs unknown"
        inferred = model
    shape: dict[str, tuple[int, ...] | None] = {}
    for vi in list(inferred.graph.input) + list(inferred.graph.value_info) + list(inferred.graph.output):
        tt = vi.type.tensor_type
        if not tt.HasField("shape"):
            continue
        dims = tuple(d.dim_value if d.HasField("dim_value") else -1 for d in tt.shape.dim)
        shape[vi.name] = dims if all(d > 0 for d in dims) else None
    for t in g.initializer:
        shape[t.name] = tuple(t.dims)
    for n in g.node:
        if n.op_type == "Constant":
            for a in n.attribute:
                if a.name == "value":
                    shape[n.output[0]] = tuple(a.t.dims)
    macs: dict[str, int] = {}
    unresolved: list[str] = []
    for i, n in enumerate(g.node):
        if n.op_type not in GEMM_OPS:
            continue
        name = n.name or (f"node_of_{n.output[0]}" if n.output else f"node_{i}")
        attrs = {a.name: helper.get_attribute_value(a) for a in n.attribute}
        value = _node_macs(n.op_type, attrs, [shape.get(t) for t in n.input],
                           shape.get(n.output[0]) if n.output else None)
        if value is None:
            unresolved.append(name)
        else:
            macs[name] = int(value)
    return macs, unresolved, failure
