"""Importers whose registrations depend on shape arithmetic, replayed through :mod:`.shapes`.

Their sequences are not fixed lists: how many ``ONNXTRT_Shape*`` layers Slice, Expand or an
Unsqueeze of an activation registers depends on which dims and values are known. Each function
below follows one importer of onnx/onnx-tensorrt release/10.1-GA (96e781103cfc), line numbers of
``onnxOpImporters.cpp`` (oi) and ``importerUtils.cpp`` (iu) in its docstring; whatever the port
does not cover raises :class:`Unmodelled` and the replay stops there.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from trtdiag.parser_replay.rgraph import ReplayNode
from trtdiag.parser_replay.shapes import (
    UNKNOWN,
    Namer,
    ShapeTensor,
    SimTensor,
    add,
    add_shuffle,
    add_slice,
    broadcast,
    concat,
    fill,
    floor_div,
    gather,
    interlace,
    known,
    mul,
    of_tensor,
    reshape,
    shape_of,
    shape_of_shape,
    shape_vector,
    similar,
    smax,
    smin,
    sub,
)


class Unmodelled(Exception):
    """The importer takes a path the port does not cover: the replay stops at this node."""


class Host(Namer, Protocol):
    """What an importer reads from and does to the simulated ``ImporterContext``."""

    @property
    def opset(self) -> int | None: ...

    def to_tensor(self, node: ReplayNode, i: int) -> SimTensor: ...  # convertToTensor(inputs.at(i))

    def view(self, node: ReplayNode, i: int) -> SimTensor: ...  # inputs.at(i) as it is (no constant layer)

    def is_weights(self, node: ReplayNode, i: int) -> bool: ...

    def ints(self, node: ReplayNode, i: int) -> list[int]: ...  # values of integer weights, or Unmodelled

    def dtype(self, node: ReplayNode, i: int) -> str | None: ...

    def node_layer(self, node: ReplayNode) -> None: ...

    def broadcast(self, node: ReplayNode, operand: str, t: SimTensor, nb_dims: int) -> None: ...


def shape_input(h: Host, node: ReplayNode, i: int) -> ShapeTensor:
    """ShapeTensor.cpp:49-77 ``ShapeTensor(ctx, TensorOrWeights)``: weights are known values, a tensor is not."""
    if h.is_weights(node, i):
        if h.dtype(node, i) == "FLOAT":  # float weights become a constant layer first (ShapeTensor.cpp:60-64)
            return of_tensor(h.to_tensor(node, i), 0)
        t = h.view(node, i)
        vals = h.ints(node, i)
        return known(vals, 0 if t.rank == 0 else 1)
    return of_tensor(h.view(node, i), 0)


def _rank(t: SimTensor, node: ReplayNode) -> int:
    if t.dims is None:
        raise Unmodelled(f"{node.name} [{node.op_type}]: the rank of its input is not known")
    return len(t.dims)


def _axes(h: Host, node: ReplayNode, rank: int, from_input: bool) -> list[int]:
    if from_input and len(node.inputs) > 1 and node.inputs[1]:
        if not h.is_weights(node, 1):
            raise Unmodelled(f"{node.name} [{node.op_type}]: axes from a tensor (the parser rejects them)")
        axes = h.ints(node, 1)
    else:
        axes = list(node.ints("axes") or ())
    return [a + rank if a < 0 else a for a in axes]


def unsqueeze(h: Host, node: ReplayNode) -> None:
    """oi:5874-5917 and iu:1874-1906 ``unsqueezeTensor`` (regLayer): interlace the 1s into the dims."""
    data = h.to_tensor(node, 0)
    r = _rank(data, node)
    given = _axes(h, node, 0, (h.opset or 13) >= 13)
    axes = sorted({a + r + len(given) if a < 0 else a for a in given})
    dims = shape_of(data)
    subscripts = list(range(r))
    for axis in axes:
        subscripts.insert(axis, r)
    add_shuffle(h, interlace(h, dims, shape_vector(1), known(subscripts)))
    h.node_layer(node)


def squeeze(h: Host, node: ReplayNode) -> None:
    """oi:5608-5673 and iu:1607-1632 ``squeezeTensor`` (regLayer): gather the kept dims."""
    data = h.to_tensor(node, 0)
    r = _rank(data, node)
    axes = _axes(h, node, r, (h.opset or 13) >= 13)
    if not axes:
        if data.dims is None or any(d < 0 for d in data.dims):
            raise Unmodelled(f"{node.name} [Squeeze]: no axes on a dynamic shape (the parser rejects it)")
        axes = [i for i, d in enumerate(data.dims) if d == 1]
    add_shuffle(h, gather(h, shape_of(data), known([i for i in range(r) if i not in axes])))
    h.node_layer(node)


def _flatten_tensor(h: Host, data: SimTensor, axis: int) -> None:
    """iu:613-631 ``flattenTensor`` up to its shuffle (the caller registers the name);
    ShapeTensor.cpp:331-340 ``product``."""
    dims = shape_of(data)

    def product(first: int, last: int) -> ShapeTensor:
        z = known([1])
        for i in range(first, last):
            z = mul(h, z, gather(h, dims, known([i])))
        return z

    d0 = product(0, axis)
    d1 = product(axis, dims.size)
    add_shuffle(h, concat(h, d0, d1))


def flatten(h: Host, node: ReplayNode) -> None:
    """oi:1898-1917: flattenTensor with regLayer (the node's name)."""
    data = h.to_tensor(node, 0)
    r = _rank(data, node)
    axis = int(node.attr("axis", 1.0) or 0)
    axis = axis + r if axis < 0 else axis
    if r == 2 and axis == 1:
        raise Unmodelled(f"{node.name} [Flatten]: the 2-D identity path is not modelled")
    _flatten_tensor(h, data, axis)
    h.node_layer(node)


def softmax(h: Host, node: ReplayNode) -> None:
    """oi:5404-5413 and iu:2005-2037 ``addSoftmax``: before opset 13 the input is flattened first
    (``ONNXTRT_flattenTensor``); the softmax takes the node's name; the reshape back to the input's
    shape keeps its ``ONNXTRT_ShapeShuffle`` name."""
    data = h.to_tensor(node, 0)
    r = _rank(data, node)
    if (h.opset or 13) < 13:
        axis = int(node.attr("axis", 1.0) or 0)
        _flatten_tensor(h, data, axis + r if axis < 0 else axis)
        h.layer("ONNXTRT_flattenTensor")
    h.node_layer(node)
    add_shuffle(h, shape_of(data))


def _clamp(h: Host, x: ShapeTensor, lo: ShapeTensor, hi: ShapeTensor) -> ShapeTensor:
    return smin(h, smax(h, x, lo), hi)  # iu:1945-1950


def _bump_if_negative(h: Host, dims: ShapeTensor, idx: ShapeTensor) -> ShapeTensor:
    signs = _clamp(h, idx, shape_vector(-1), shape_vector(0))  # iu:1952-1957
    return sub(h, idx, mul(h, signs, dims))


def _slice_params(h: Host, node: ReplayNode, data: SimTensor, dims: ShapeTensor
                  ) -> tuple[ShapeTensor, ShapeTensor, ShapeTensor, ShapeTensor]:
    """oi:5300-5340: starts/ends cast to INT64 tensors (values unknown), axes and steps as given."""
    n = len(node.inputs)
    if (h.opset or 13) < 10:
        raise Unmodelled(f"{node.name} [Slice]: opset < 10 attributes are not modelled")
    if h.dtype(node, 1) == "INT32" and all(n <= i or h.is_weights(node, i) for i in range(1, 5)) \
            and data.dims is not None and all(d >= 0 for d in data.dims):
        raise Unmodelled(f"{node.name} [Slice]: the static INT32 fast path is not modelled")
    in1 = h.to_tensor(node, 1)
    h.layer("ONNXTRT_castHelper")
    in2 = h.to_tensor(node, 2)
    h.layer("ONNXTRT_castHelper")
    starts = of_tensor(SimTensor(in1.dims, "INT64"))
    ends = of_tensor(SimTensor(in2.dims, "INT64"))
    if n > 3 and node.inputs[3]:
        axes = shape_input(h, node, 3)
        if not axes.known:
            raise Unmodelled(f"{node.name} [Slice]: dynamic axes (the parser rejects them)")
    elif n > 3:
        raise Unmodelled(f"{node.name} [Slice]: an omitted axes input is not modelled")
    else:
        axes = known(list(range(dims.size)))
    if n > 4 and not node.inputs[4]:
        raise Unmodelled(f"{node.name} [Slice]: an omitted steps input is not modelled")
    steps = shape_input(h, node, 4) if n > 4 else similar(h, starts, 1)
    return starts, ends, axes, steps


def slice_(h: Host, node: ReplayNode) -> None:
    """oi:5285-5402 with iu:1960-2002 (decodeOnnxStartsAndEnds, axesToInterlaceSubscripts,
    computeSliceSizes)."""
    data = h.to_tensor(node, 0)
    r = _rank(data, node)
    dims = shape_of(data)
    starts, ends, axes, steps = _slice_params(h, node, data, dims)
    new_axes = [a + r if a < 0 else a for a in axes.values]
    if len(new_axes) < r or new_axes != list(range(len(new_axes))):
        subs = list(range(r))
        for i, a in enumerate(new_axes):
            subs[a] = r + i
        subscripts = known(subs)
        starts = interlace(h, similar(h, dims, 0), starts, subscripts)
        ends = interlace(h, dims, ends, subscripts)
        steps = interlace(h, similar(h, dims, 1), steps, subscripts)
    step_sign = _clamp(h, steps, shape_vector(-1), shape_vector(0))
    starts = _bump_if_negative(h, dims, starts)
    starts = _clamp(h, starts, shape_vector(0), add(h, dims, step_sign))
    ends = _bump_if_negative(h, dims, ends)
    ends = _clamp(h, ends, step_sign, dims)
    if steps.is_all(1):
        sizes = sub(h, ends, starts)
    else:
        sizes = sub(h, similar(h, dims, 0), floor_div(h, sub(h, starts, ends), steps))
    sizes = smax(h, similar(h, dims, 0), sizes)
    add_slice(h, data, starts, sizes, steps)
    h.node_layer(node)


def expand(h: Host, node: ReplayNode) -> None:
    """oi:1811-1842."""
    t = h.to_tensor(node, 0)
    _rank(t, node)
    input_dims = shape_of(t)
    input_rank = shape_of_shape(input_dims)
    shape = shape_input(h, node, 1)
    shape_length = shape_of_shape(shape)
    new_rank = smax(h, shape_length, input_rank)
    new_dims = concat(h, fill(h, 1, sub(h, new_rank, input_rank)), input_dims)
    reshape(h, t, new_dims)
    new_shape = concat(h, fill(h, 1, sub(h, new_rank, shape_length)), shape)
    starts = similar(h, new_dims, 0)
    sizes = broadcast(h, new_dims, new_shape)
    one = shape_vector(1)
    strides = smin(h, one, sub(h, new_dims, one))
    add_slice(h, t, starts, sizes, strides)
    h.node_layer(node)


def constant_of_shape(h: Host, node: ReplayNode) -> None:
    """oi:724-735 and iu:288-298 ``constantOfShape``: no layer under the node name. The 'value'
    attribute's weights carry no name, so their constant layer is not registered (iu:434-459);
    without it, the zero ``tmp_weight`` made first is used and registered under its name."""
    shape = h.to_tensor(node, 0)
    zero_name = h.tmp_weight()
    if node.has_attr("value"):
        value = SimTensor((1,))
    else:
        h.layer(zero_name)
        value = SimTensor((1,))
    shape_t = of_tensor(shape)
    zeros = similar(h, shape_t, 0)
    reshape(h, value, similar(h, shape_t, 1))
    add_slice(h, value, zeros, shape_t, zeros)


def _axis_length(h: Host, reshaped: bool) -> SimTensor:
    """iu:722-739 ``getAxisLength``/``getAxisLengthInt64`` and iu:668-686 ``extractDimension``."""
    h.layer("ONNXTRT_extractDimension")
    if reshaped:
        h.layer("ONNXTRT_extractDimensionReshape")
        return SimTensor((), "INT32")
    return SimTensor((1,), "INT64")


def _slice_across_axis(h: Host, data: SimTensor, axis: int, r: int) -> SimTensor:
    """iu:1576-1605 ``sliceAcrossAxis``."""
    axis_length = of_tensor(_axis_length(h, False))
    starts = known([0] * r)
    sizes = shape_vector(1) if axis == 0 else of_tensor(_axis_length(h, False))
    strides = axis_length.copy() if axis == 0 else shape_vector(1)
    for i in range(1, r):
        if i == axis:
            strides = concat(h, strides, axis_length)
            sizes = concat(h, sizes, shape_vector(1))
        else:
            cur = of_tensor(_axis_length(h, False))
            strides = concat(h, strides, shape_vector(1))
            sizes = concat(h, sizes, cur)
    add_slice(h, data, starts, sizes, strides)
    return SimTensor(tuple(1 if i == axis else (data.dims or ())[i] for i in range(r)), data.dtype)


def cumsum(h: Host, node: ReplayNode) -> None:
    """oi:1127-1206 (exclusive = 0 only): a loop whose layers are not registered, around a slice,
    a squeeze and a zero tensor (iu:399-413 ``createZeroTensor``: its rank-0 zero is broadcast)."""
    data = h.to_tensor(node, 0)
    r = _rank(data, node)
    if not h.is_weights(node, 1):
        raise Unmodelled(f"{node.name} [CumSum]: the axis is not an initializer (the parser rejects it)")
    axis = h.ints(node, 1)[0]
    axis = axis + r if axis < 0 else axis
    if node.attr("exclusive", 0.0):
        raise Unmodelled(f"{node.name} [CumSum]: exclusive=1 is not modelled")
    sliced = _slice_across_axis(h, data, axis, r)
    _axis_length(h, True)  # the loop's trip limit
    add_shuffle(h, gather(h, shape_of(sliced), known([i for i in range(r) if i != axis])))
    h.layer("ONNXTRT_squeezeTensor")
    squeezed = SimTensor(tuple(d for i, d in enumerate(sliced.dims or ()) if i != axis), data.dtype)
    h.tmp_weight()  # addConstant: a FLOAT zero of rank 0 (its layer is not registered)
    h.layer("ONNXTRT_castHelper")
    h.broadcast(node, "", SimTensor((), data.dtype), squeezed.rank)
    h.layer("ONNXTRT_createZeroTensor")


def resize(h: Host, node: ReplayNode) -> None:
    """oi:4389-4641: the resize layer takes the node's name first; constant scales or sizes add nothing;
    scales from a tensor go through iu:1908-1931 ``resizeShapeTensor`` (four ``ONNXTRT_resizeShapeTensor_*``
    layers after the input's shape as a tensor). An ``axes`` attribute (interlacing) is not modelled."""
    data = h.to_tensor(node, 0)
    _rank(data, node)
    if node.ints("axes"):
        raise Unmodelled(f"{node.name} [Resize]: the axes attribute is not modelled")
    h.node_layer(node)
    opset = h.opset or 13
    if opset >= 11 and len(node.inputs) == 4 and node.inputs[3]:
        if not h.is_weights(node, 3):
            h.to_tensor(node, 3)
        return
    i = 2 if opset >= 11 else 1
    if i >= len(node.inputs) or not node.inputs[i]:
        raise Unmodelled(f"{node.name} [Resize]: neither scales nor sizes given")
    if h.is_weights(node, i):
        return
    shape_of(data).tensor(h)
    h.layer("ONNXTRT_resizeShapeTensor_floatCast")
    h.to_tensor(node, i)
    for part in ("prod", "floor", "intCast"):
        h.layer(f"ONNXTRT_resizeShapeTensor_{part}")


def _to_1d(h: Host, x: ShapeTensor) -> ShapeTensor:
    """ShapeTensor.cpp:435-444 ``convertTo1D`` of a scalar."""
    if x.value_known(0):
        return shape_vector(x.values[0])
    x.tensor(h)
    add_shuffle(h, shape_vector(1))
    return of_tensor(SimTensor((1,), "INT64"))


def range_(h: Host, node: ReplayNode) -> None:
    """oi:4180-4271 for INT32/INT64 bounds (each cast to INT64, so their values are not known):
    the element count in shape arithmetic, a fill layer registered as ``ONNXTRT_ShapeFill`` and again
    under the node's name, start and delta as dynamic inputs unless INT32 weights."""
    dtype = h.dtype(node, 0)
    if dtype not in ("INT64", "INT32"):
        raise Unmodelled(f"{node.name} [Range]: {dtype or 'unknown'} bounds are not modelled")
    bounds = []
    for i in range(3):
        h.to_tensor(node, i)
        h.layer("ONNXTRT_castHelper")
        bounds.append(of_tensor(SimTensor((), "INT64")))
    start, limit, delta = bounds
    zero = known([0], 0)
    quotient = floor_div(h, sub(h, start, limit), delta)
    if dtype == "INT32":
        quotient.tensor(h)
        h.layer("ONNXTRT_ShapeCastToInt64")
        quotient = of_tensor(SimTensor((), "INT64"))
    count = smax(h, sub(h, zero, quotient), zero)
    add_slice_input = _to_1d(h, count)
    if not add_slice_input.known:
        add_slice_input.tensor(h)
    h.layer("ONNXTRT_ShapeFill")
    h.node_layer(node)
    if not (dtype == "INT32" and h.is_weights(node, 0) and h.is_weights(node, 2)):
        start.tensor(h)
        _to_1d(h, delta).tensor(h)


def constant(h: Host, node: ReplayNode) -> None:
    """oi:668-722: a 'value' tensor is returned as weights (nothing registered); value_float(s) and
    value_int(s) (opset >= 12) first create a named ``tmp_weight``."""
    if node.has_attr("value"):
        return
    if (h.opset or 0) >= 12 and any(node.has_attr(k) for k in ("value_float", "value_floats", "value_int",
                                                                "value_ints")):
        h.tmp_weight()
        return
    raise Unmodelled(f"{node.name} [Constant]: this kind of value is not modelled")


PROCEDURES: dict[str, Callable[[Host, ReplayNode], None]] = {
    "slice": slice_,
    "unsqueeze": unsqueeze,
    "squeeze": squeeze,
    "flatten": flatten,
    "softmax": softmax,
    "expand": expand,
    "constant_of_shape": constant_of_shape,
    "cumsum": cumsum,
    "constant": constant,
    "resize": resize,
    "range": range_,
}

__all__ = ["PROCEDURES", "UNKNOWN", "Host", "Unmodelled", "shape_input"]
