"""Concrete input shapes and ONNX shape inference: the shapes that MACs are computed from.

Why a module of its own: MACs (:mod:`trtdiag.onnx.compute`) only multiply dims; getting the dims is
the hard part. The input shapes come from the user (trtexec ``--shapes`` syntax) or from defaults
derived from the graph's input dims, and are propagated with ONNX shape inference (data propagation
on, so TorchScript's Shape->Gather->Concat->Reshape chains resolve) on a copy of the model.

``onnx`` is imported inside the functions that need it: it is a heavy import, and ``import trtdiag``
(and the CLI's ``--help``) should not pay for it.
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING

from trtdiag.errors import InputError
from trtdiag.onnx.graph import InputDims

if TYPE_CHECKING:
    from onnx import ModelProto

#: Concrete shapes: name -> dims.
Shapes = dict[str, tuple[int, ...]]
#: Static shape per tensor after inference; None when some dim stayed unknown.
TensorShapes = dict[str, tuple[int, ...] | None]

DEFAULT_BATCH = 1
DEFAULT_SEQUENCE = 128
_BATCH_NAMES = re.compile(r"^(?:batch|batch_size|bs|n|N|b|B|unk__\d+)$|batch", re.IGNORECASE)


def parse_shapes(spec: str) -> Shapes:
    """Parse trtexec ``--shapes`` syntax: ``input_ids:16x128,attention_mask:16x128``.

    Tensor names may contain ``:`` (TF names), so the shape is taken after the last colon.
    """
    shapes: Shapes = {}
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


def default_shapes(inputs: InputDims) -> Shapes:
    """Concrete shapes for the graph inputs: batch-like dims 1, other symbolic dims 128."""
    out: Shapes = {}
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


def concrete_shapes(inputs: InputDims, shapes: Shapes | None) -> tuple[Shapes, list[str]]:
    """The shape of every graph input from the user's (partial) shapes; notes on what was assumed.

    Inputs the user did not name take the values of the symbolic dims they share with the named ones
    (``token_type_ids`` follows ``input_ids``' batch x seq), else the defaults.
    """
    concrete = default_shapes(inputs)
    if not shapes:
        return concrete, []
    unknown = sorted(set(shapes) - set(inputs))
    if unknown:
        raise InputError(f"--shapes names inputs the model does not have: {', '.join(unknown)} "
                         f"(model inputs: {', '.join(inputs) or 'none'})")
    concrete.update(shapes)
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
    if not missing:
        return concrete, []
    return concrete, ["default shapes used for " + ", ".join(f"{m}={'x'.join(map(str, concrete[m]))}"
                                                            for m in missing)]


def with_input_shapes(model: ModelProto | str | os.PathLike[str], concrete: Shapes, *,
                      upgrade: bool = False) -> ModelProto:
    """A copy of the model whose graph inputs have the ``concrete`` dims (``upgrade``: at opset 17).

    ``model`` is a path or an ``onnx.ModelProto`` (best: ``GraphIndex.structure``, the weight-free
    copy, which is cheap to copy for each inference run). Raises ``ValueError`` when the opset
    conversion fails and :class:`InputError` when a user shape has the wrong rank.
    """
    import onnx
    from onnx import version_converter

    if isinstance(model, onnx.ModelProto):
        copy = onnx.ModelProto()
        copy.CopyFrom(model)  # the dims of the inputs are rewritten below
    else:
        copy = onnx.load(str(model), load_external_data=False)
    if upgrade:
        try:
            copy = version_converter.convert_version(copy, 17)
        except Exception as exc:  # the converter raises assorted errors on graphs it cannot convert
            raise ValueError(f"opset conversion failed ({type(exc).__name__})") from exc
    g = copy.graph
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
    return copy


def infer_tensor_shapes(model: ModelProto) -> tuple[TensorShapes, str | None]:
    """Static shape of every tensor ONNX shape inference resolves, plus weights and constants.

    Returns (shapes, failure): inference is best effort, so a failure is a note for the report (the
    shapes known without inference are still returned), never an exception.
    """
    from onnx import shape_inference

    failure = None
    try:
        inferred = shape_inference.infer_shapes(model, strict_mode=False, data_prop=True)
    except Exception as exc:  # inference is best effort: unknown shapes are reported, not fatal
        failure = f"ONNX shape inference failed ({type(exc).__name__}); MACs unknown"
        inferred = model
    shape: TensorShapes = {}
    for vi in (*inferred.graph.input, *inferred.graph.value_info, *inferred.graph.output):
        tt = vi.type.tensor_type
        if not tt.HasField("shape"):
            continue
        dims = tuple(d.dim_value if d.HasField("dim_value") else -1 for d in tt.shape.dim)
        shape[vi.name] = dims if all(d > 0 for d in dims) else None
    for t in model.graph.initializer:
        shape[t.name] = tuple(t.dims)
    for n in model.graph.node:
        if n.op_type == "Constant":
            for a in n.attribute:
                if a.name == "value":
                    shape[n.output[0]] = tuple(a.t.dims)
    return shape, failure
