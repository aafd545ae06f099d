"""The parser's ``ShapeTensor`` arithmetic, simulated for the registrations it makes.

Why a port and not a table: transformer exports compute shapes (Slice bounds, Expand targets, the
new dims of an Unsqueeze of an activation). The ONNX parser folds such arithmetic into plain values
while every operand is known and otherwise adds layers, several of which it registers under
``ONNXTRT_Shape*`` names, bumping the shared counter. How many depends on which values are known,
on C++ object identity (``ShapeTensor::tensor`` caches the tensor it made in the object it was
called on, copies do not share it) and on the order of calls, so each importer's shape arithmetic
is replayed here step by step. Source: onnx/onnx-tensorrt release/10.1-GA
(96e781103cfc4adf4a6bb557e94bac8e693f6f4c), ``ShapeTensor.cpp``; line numbers are cited per function.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

UNKNOWN = -1
INT64_MAX = 2**63 - 1
INT64_MIN = -(2**63)


class Namer(Protocol):
    """The two registrations shape arithmetic makes (``registerLayer(l, "ONNXTRT_...", nullptr)`` and
    ``createNamedTempWeights``, which names a ``tmp_weight`` in the tensor-name set)."""

    def layer(self, base: str) -> None: ...

    def tmp_weight(self) -> str: ...


@dataclass(frozen=True)
class SimTensor:
    """A TensorRT ``ITensor`` as the parser sees it while parsing: its dims (``UNKNOWN`` where dynamic;
    None when the rank is not known) and its type."""

    dims: tuple[int, ...] | None
    dtype: str | None = None

    @property
    def rank(self) -> int:
        return UNKNOWN if self.dims is None else len(self.dims)


class ShapeTensor:
    """``ShapeTensor`` (ShapeTensor.hpp): a rank-0/1 integer value that is either known or lives in a tensor.

    Mutable on purpose: ``tensor()`` caches in the object it is called on (``mutable mTensor``)."""

    __slots__ = ("depth", "known", "rank", "ref", "size", "values")

    def __init__(self, rank: int, size: int, values: list[int], known: bool, ref: SimTensor | None = None,
                 depth: int = 0) -> None:
        self.rank, self.size, self.values, self.known, self.ref, self.depth = rank, size, values, known, ref, depth

    def copy(self) -> ShapeTensor:
        """A C++ copy (``return x;``): the cached tensor as it is now, not shared afterwards."""
        return ShapeTensor(self.rank, self.size, list(self.values), self.known, self.ref, self.depth)

    def value_known(self, k: int) -> bool:
        """ShapeTensor.cpp:161-166."""
        return self.known or (len(self.values) == self.size and self.values[k] >= 0)

    def is_all(self, x: int) -> bool:
        """ShapeTensor.cpp:168-172."""
        return self.known and all(v == x for v in self.values)

    def size_known(self) -> bool:
        return self.size != UNKNOWN

    def tensor(self, ctx: Namer) -> SimTensor:
        """ShapeTensor.cpp:174-205: known values become a ``tmp_weight`` constant registered as
        ``ONNXTRT_ShapeTensorFromDims``; a shape of a tensor costs ``ONNXTRT_ShapeTensor`` plus
        ``ONNXTRT_castHelper`` (importerUtils.cpp:281-286) per depth."""
        if self.ref is None or self.depth != 0:
            if self.known:
                ctx.tmp_weight()
                ctx.layer("ONNXTRT_ShapeTensorFromDims")
                self.ref = SimTensor((self.size,) if self.rank == 1 else (), "INT64")
                self.depth = 0
            else:
                assert self.ref is not None
                while self.depth > 0:
                    ctx.layer("ONNXTRT_ShapeTensor")
                    ctx.layer("ONNXTRT_castHelper")
                    self.ref = SimTensor((self.ref.rank,), "INT64")
                    self.depth -= 1
        return self.ref


def known(values: list[int], rank: int = 1) -> ShapeTensor:
    """ShapeTensor.cpp:15-24 ``ShapeTensor(rank, values)``."""
    return ShapeTensor(rank, len(values), list(values), True)


def shape_vector(value: int) -> ShapeTensor:
    return known([value])  # ShapeTensor.cpp:151-154


def of_tensor(t: SimTensor, depth: int = 0) -> ShapeTensor:
    """ShapeTensor.cpp:84-149 ``ShapeTensor(ITensor&, depth)``."""
    if depth == 0:
        size = UNKNOWN
        if t.dims is not None and len(t.dims) == 1:
            size = t.dims[0]
        elif t.dims == ():
            size = 1
        return ShapeTensor(t.rank if t.dims is not None else UNKNOWN, size, [], False, t, 0)
    if depth == 1:
        if t.dims is None:
            return ShapeTensor(1, UNKNOWN, [], False, t, 1)
        vals = list(t.dims)
        return ShapeTensor(1, len(vals), vals, all(v >= 0 for v in vals), t, 1)
    if depth == 2:
        if t.dims is None:
            return ShapeTensor(1, 1, [], False, t, 2)
        return ShapeTensor(1, 1, [len(t.dims)], True, t, 2)
    return ShapeTensor(1, 1, [1], True, None, 0)  # depth 3


def shape_of(t: SimTensor) -> ShapeTensor:
    return of_tensor(t, 1)  # ShapeTensor.cpp:405-408


def shape_of_shape(t: ShapeTensor) -> ShapeTensor:
    """ShapeTensor.cpp:420-433."""
    if t.ref is not None:
        return of_tensor(t.ref, t.depth + 1)
    return known([], 0) if t.rank == 0 else known([t.size])


def fill(ctx: Namer, value: int, count: ShapeTensor) -> ShapeTensor:
    """ShapeTensor.cpp:220-238 ``fillShapeVector``."""
    if count.known:
        return known([value] * count.values[0])
    data = shape_vector(value).tensor(ctx)
    add_slice(ctx, data, shape_vector(0), count, shape_vector(0))
    ctx.layer("ONNXTRT_FillShapeVector")
    return of_tensor(SimTensor((UNKNOWN,), "INT64"))


def similar(ctx: Namer, exemplar: ShapeTensor, value: int) -> ShapeTensor:
    return fill(ctx, value, shape_of_shape(exemplar))  # ShapeTensor.cpp:215-218


def _size_out(x: ShapeTensor, y: ShapeTensor) -> int:
    if x.size_known() and y.size_known():
        return max(x.size, y.size)
    return UNKNOWN


def op(ctx: Namer, x: ShapeTensor, y: ShapeTensor, commutative: bool, identity: int,
       f: Callable[[int, int], int]) -> ShapeTensor:
    """ShapeTensor.cpp:244-286: fold known values, skip the identity, else ``ONNXTRT_ShapeElementWise``."""
    if x.size == 0:
        return x.copy()
    if y.size == 0:
        return y.copy()
    if x.size_known() and y.size_known():
        if y.is_all(identity) and y.size <= x.size:
            return x.copy()
        if commutative and x.is_all(identity) and x.size <= y.size:
            return y.copy()
    if x.known and y.known:
        n = max(x.size, y.size)
        return known([f(x.values[i % x.size], y.values[i % y.size]) for i in range(n)], x.rank)
    xt, yt = x.tensor(ctx), y.tensor(ctx)
    ctx.layer("ONNXTRT_ShapeElementWise")
    rank = xt.rank if xt.dims is not None else yt.rank
    return of_tensor(SimTensor((_size_out(x, y),) if rank == 1 else (), "INT64"))


def add(ctx: Namer, x: ShapeTensor, y: ShapeTensor) -> ShapeTensor:
    return op(ctx, x, y, True, 0, lambda a, b: a + b)  # ShapeTensor.cpp:288-291


def sub(ctx: Namer, x: ShapeTensor, y: ShapeTensor) -> ShapeTensor:
    return op(ctx, x, y, False, 0, lambda a, b: a - b)  # :293-296


def mul(ctx: Namer, x: ShapeTensor, y: ShapeTensor) -> ShapeTensor:
    return op(ctx, x, y, True, 1, lambda a, b: a * b)  # :298-301


def smin(ctx: Namer, x: ShapeTensor, y: ShapeTensor) -> ShapeTensor:
    return op(ctx, x, y, True, INT64_MAX, min)  # :303-307


def smax(ctx: Namer, x: ShapeTensor, y: ShapeTensor) -> ShapeTensor:
    return op(ctx, x, y, True, INT64_MIN, max)  # :309-313


def floor_div(ctx: Namer, x: ShapeTensor, y: ShapeTensor) -> ShapeTensor:
    return op(ctx, x, y, False, 1, lambda a, b: a // b)  # :314-321


def broadcast(ctx: Namer, x: ShapeTensor, y: ShapeTensor) -> ShapeTensor:
    """ShapeTensor.cpp:323-329: max(x, y) * min(x, min(y, 1)); C++ evaluates arguments right to left
    on the Itanium ABI used by the Linux builds, so the ``min`` chain runs before the ``max``."""
    right = smin(ctx, x, smin(ctx, y, similar(ctx, y, 1)))
    left = smax(ctx, x, y)
    return mul(ctx, left, right)


def concat(ctx: Namer, x: ShapeTensor, y: ShapeTensor) -> ShapeTensor:
    """ShapeTensor.cpp:342-367."""
    if x.size_known() and x.size == 0:
        return y.copy()
    if y.size_known() and y.size == 0:
        return x.copy()
    if x.known and y.known:
        return known(x.values + y.values)
    x.tensor(ctx)
    y.tensor(ctx)
    ctx.layer("ONNXTRT_ShapeConcat")
    size = x.size + y.size if x.size_known() and y.size_known() else UNKNOWN
    return of_tensor(SimTensor((size,), "INT64"))


def gather(ctx: Namer, data: ShapeTensor, indices: ShapeTensor) -> ShapeTensor:
    """ShapeTensor.cpp:369-387."""
    if indices.known and all(data.value_known(i) for i in indices.values):
        return known([data.values[i] for i in indices.values], indices.rank)
    data.tensor(ctx)
    indices.tensor(ctx)
    ctx.layer("ONNXTRT_ShapeGather")
    return of_tensor(SimTensor((indices.size,) if indices.rank == 1 else (), "INT64"))


def interlace(ctx: Namer, x: ShapeTensor, y: ShapeTensor, subscripts: ShapeTensor) -> ShapeTensor:
    return gather(ctx, concat(ctx, x, y), subscripts)  # ShapeTensor.hpp:220-224


def add_shuffle(ctx: Namer, reshape_dims: ShapeTensor) -> None:
    """ShapeTensor.cpp:506-521: dynamic reshape dims become the shuffle's second input."""
    if not reshape_dims.known:
        reshape_dims.tensor(ctx)
    ctx.layer("ONNXTRT_ShapeShuffle")


def add_slice(ctx: Namer, data: SimTensor, starts: ShapeTensor, sizes: ShapeTensor, strides: ShapeTensor) -> None:
    """ShapeTensor.cpp:523-535 (``setShapeInputIfDynamic`` :478-484 for each of the three)."""
    del data
    for s in (starts, sizes, strides):
        if not s.known:
            s.tensor(ctx)
    ctx.layer("ONNXTRT_ShapeSlice")


def reshape(ctx: Namer, data: SimTensor, new_shape: ShapeTensor) -> bool:
    """ShapeTensor.cpp:496-504: no layer when the new shape equals the old one (operator== :486-494).
    Returns whether a shuffle was added."""
    old = shape_of(data)
    if new_shape.known and old.known:
        if new_shape.values == old.values:
            return False
    elif new_shape.ref is not None and new_shape.ref is old.ref and new_shape.depth == old.depth:
        return False
    add_shuffle(ctx, new_shape)
    return True
