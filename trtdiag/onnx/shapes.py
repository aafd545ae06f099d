"""Concrete input shapes and ONNX shape inference: the shapes that MACs are computed from.

Why a module of its own: MACs (:mod:`trtdiag.onnx.compute`) only multiply dims; getting the dims is
the hard part. The input shapes come from the user (trtexec ``--shapes`` syntax) or from defaults
derived from the graph's input dims, and are propagated on a copy of the model by ONNX Runtime's
symbolic shape inference when ``onnxruntime`` is installed (it evaluates the Shape->Gather->Concat->
Reshape/Expand chains of TorchScript exports at every opset, where ONNX's own data propagation stops
at opset 11-13 ops and at broadcasts against 1), else by ONNX shape inference (data propagation on).

``onnx`` and the optional ``onnxruntime`` are imported inside the functions that need them: they are
heavy imports, and ``import trtdiag`` (and the CLI's ``--help``) should not pay for them.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from trtdiag.enums import StrEnum
from trtdiag.errors import InputError
from trtdiag.onnx.graph import InputDims

if TYPE_CHECKING:
    from onnx import ModelProto

#: Concrete shapes: name -> dims.
Shapes = dict[str, tuple[int, ...]]
#: Static shape per tensor after inference; None when some dim stayed unknown.
TensorShapes = dict[str, tuple[int, ...] | None]

DEFAULT_BATCH = 1
MAX_DIM = 2**31 - 1  # TensorRT dims are int32; larger values also overflow ONNX's int64 dim fields
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
        if any(v > MAX_DIM for v in values):
            raise InputError(f"bad --shapes entry {item!r}: a dimension is larger than TensorRT allows ({MAX_DIM})")
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


class ShapeInference(StrEnum):
    """Which shape inference produced a set of tensor shapes."""

    ONNXRUNTIME = "onnxruntime"  # onnxruntime.tools.symbolic_shape_infer
    ONNX = "onnx"  # onnx.shape_inference with data propagation


@dataclass(frozen=True)
class InferredShapes:
    """The static shape of every tensor one inference run resolved, and how it was obtained."""

    shapes: TensorShapes
    engine: ShapeInference
    failure: str | None = None  # a note for the report when the inference itself failed


def infer_shapes(model: ModelProto, engine: ShapeInference | None = None) -> InferredShapes:
    """Shapes of every tensor of ``model`` (its graph inputs already concrete, see :func:`with_input_shapes`).

    ``engine`` None: ONNX Runtime's symbolic inference when it is installed and runs, else ONNX's.
    Inference is best effort: a failure is a note (the shapes known without inference are still
    returned), never an exception.
    """
    if engine in (None, ShapeInference.ONNXRUNTIME):
        symbolic = _ort_symbolic_inference(model)
        if symbolic is not None:
            return InferredShapes(_tensor_shapes(symbolic, model), ShapeInference.ONNXRUNTIME)
        if engine is ShapeInference.ONNXRUNTIME:
            return InferredShapes(_tensor_shapes(model, model), ShapeInference.ONNXRUNTIME,
                                  "ONNX Runtime symbolic shape inference is not installed or failed")
    return _onnx_inference(model)


def infer_tensor_shapes(model: ModelProto) -> tuple[TensorShapes, str | None]:
    """(shapes, failure) from the best available inference: see :func:`infer_shapes`."""
    inferred = infer_shapes(model)
    return inferred.shapes, inferred.failure


def symbolic_inference_available() -> bool:
    """True when ONNX Runtime's symbolic shape inference can be imported."""
    try:
        from onnxruntime.tools.symbolic_shape_infer import SymbolicShapeInference  # noqa: F401
    except Exception:  # ImportError, or a broken onnxruntime install: fall back to ONNX inference
        return False
    return True


def _ort_symbolic_inference(model: ModelProto) -> ModelProto | None:
    """The model with ONNX Runtime's inferred value_info; None when onnxruntime is absent or fails.

    The loop of ``SymbolicShapeInference.infer_shapes`` is run here because that function writes
    ``sym_shape_infer_temp.onnx`` into the working directory whenever one shape stays unknown (a
    custom TensorRT plugin op is enough) and then raises, dropping every shape it did resolve.
    """
    try:
        from onnxruntime.tools.symbolic_shape_infer import SymbolicShapeInference
    except Exception:  # ImportError, or a broken onnxruntime install
        return None
    if not any(o.domain in ("", "ai.onnx") and o.version >= 7 for o in model.opset_import):
        return None  # ORT's inference supports opset 7 and above only
    log = logging.getLogger(SymbolicShapeInference.__module__)
    was_disabled, log.disabled = log.disabled, True  # its merge warnings are not the user's business
    try:
        sym = SymbolicShapeInference(2**31 - 1, True, False, 0)  # int_max, auto_merge, guess_output_rank, verbose
        sym._preprocess(model)
        while sym.run_:
            sym._infer_impl()
        sym._update_output_from_vi()
        out: ModelProto = sym.out_mp_
    except Exception:  # assorted errors on graphs it cannot handle: ONNX inference takes over
        return None
    finally:
        log.disabled = was_disabled
    return out


def _onnx_inference(model: ModelProto) -> InferredShapes:
    from onnx import shape_inference

    failure = None
    try:
        inferred = shape_inference.infer_shapes(model, strict_mode=False, data_prop=True)
    except Exception as exc:  # inference is best effort: unknown shapes are reported, not fatal
        failure = f"ONNX shape inference failed ({type(exc).__name__}); MACs unknown"
        inferred = model
    return InferredShapes(_tensor_shapes(inferred, model), ShapeInference.ONNX, failure)


def _tensor_shapes(inferred: ModelProto, model: ModelProto) -> TensorShapes:
    """Static dims of the inferred value_info, plus the weights' and constants' dims of ``model``."""
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
    return shape
