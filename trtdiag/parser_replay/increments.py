"""What each ONNX-parser importer registers, as data, per parser version range.

Why names carry numbers: ``ImporterContext::registerLayer`` and ``registerTensor`` both call
``generateUniqueName(names, mSuffixCounter, basename)``, which returns ``basename`` when it is free
and otherwise ``basename_<counter>``, bumping the ONE counter shared by the layer-name set, the
tensor-name set and the parser's named temporary weights (``tmp_weight``). ``ONNXTRT_Broadcast_N``
is therefore the counter value at the N-th name collision, and the numbers follow from the sequence
of (set, basename) registrations. Each importer's sequence is recorded below as ``Step`` data;
where the count depends on which dims and values are known (shape arithmetic), the step is a
``PROC`` naming the importer port in :mod:`trtdiag.parser_replay.importers`, which cites its lines.

Source read: github.com/onnx/onnx-tensorrt, branch ``release/10.1-GA`` (commit
96e781103cfc4adf4a6bb557e94bac8e693f6f4c); 10.0-GA (73f629e04a68765647010b98dd94257282d05d11) has the
same helpers. Line numbers below are of that 10.1 commit:

- ImporterContext.cpp:54-57 ``registerTensor`` and :108-126 ``registerLayer`` -> generateUniqueName
- weightUtils.cpp:152-166 ``generateUniqueName`` (the counter moves only on a collision)
- ImporterContext.hpp:215-223 / WeightsContext.cpp:489-494 ``createNamedTempWeights`` ("tmp_weight")
- ModelImporter.cpp:745-750 graph outputs reserved first (null tensors), :396-423 graph inputs,
  :300-313 initializers, :228-240 every node output registered after its importer ran
- importerUtils.cpp:434-459 ``convertToTensor``: weights become a constant layer named after them,
  once (``getConstantLayer`` finds it afterwards)
- importerUtils.cpp:159-175 ``broadcastTensor``: ``addShuffle`` (ShapeTensor.cpp:506-520 registers
  "ONNXTRT_ShapeShuffle"), then the same layer again as "ONNXTRT_Broadcast"; the shape is
  ``concat(fill(1), shapeOf(t))``, which makes no layer when ``t``'s dims are all known
- ShapeTensor.cpp:174-205 ``ShapeTensor::tensor``: a shape of unknown values costs
  "ONNXTRT_ShapeTensor" + "ONNXTRT_castHelper" (importerUtils.cpp:281-286), known values a
  "tmp_weight" + "ONNXTRT_ShapeTensorFromDims" (ported in :mod:`trtdiag.parser_replay.shapes`)
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class StepKind(Enum):
    """One registration pattern of an importer (see the module docstring for the source)."""

    CONST = "const"  # convertToTensor(input i): constant layer named after the weights, first use only
    NODE = "node"  # registerLayer(layer, node): the node's own name
    HELPER = "helper"  # registerLayer(layer, "ONNXTRT_<name>", nullptr)
    TMP_WEIGHT = "tmp_weight"  # createNamedTempWeights: "tmp_weight" in the tensor-name set
    BROADCAST = "broadcast"  # broadcastTensor(input i) to the rank of input ``to`` (ShapeShuffle + Broadcast)
    CONST_ALL = "const_all"  # CONST for every input, in order
    BROADCAST_ALL = "broadcast_all"  # elementwiseHelper: CONST i, BROADCAST i to the max rank, per input
    SHAPE_OF = "shape_of"  # shapeOf(input i).tensor(ctx): ShapeTensor + castHelper when dims unknown
    GATHER_CAST = "gather_cast"  # castHelper on INT64 indices of non-INT64 data
    NEED = "need"  # a precondition; when it fails the replay stops (see Condition)
    PROC = "proc"  # shape arithmetic replayed by importers.PROCEDURES[name] (counts depend on known dims)


class Condition(Enum):
    """Preconditions under which the recorded sequence is the one the importer runs."""

    INPUT1_WEIGHTS = "input 1 is an initializer or Constant"  # Conv kernel
    RANK_NOT_3 = "input 0 is not rank 3"  # pooling/conv of rank 3 unsqueezes first (not modelled)
    NO_RANK1_MATMUL = "no rank-1 MatMul operand"  # rank-1 operands unsqueeze/squeeze (not modelled)
    DEFAULT_ALPHA_BETA = "Gemm alpha == beta == 1"  # otherwise scalar constants are added
    BN_WEIGHTS = "inputs 1-4 are weights of input 0's dtype, input 0 of rank 4 or 5"  # else fallback/reshape


TO_RANK2 = -1
TO_MAX = -2


@dataclass(frozen=True)
class Step:
    kind: StepKind
    arg: int = 0  # input index (CONST, BROADCAST, BROADCAST_ALL uses none, SHAPE_OF)
    to: int = 0  # BROADCAST target rank: input ``to``'s; TO_RANK2: Gemm's matmul output; TO_MAX: max of inputs
    name: str = ""  # HELPER basename
    cond: Condition | None = None  # NEED


def _s(kind: StepKind, arg: int = 0, *, to: int = 0, name: str = "", cond: Condition | None = None) -> Step:
    return Step(kind, arg, to, name, cond)


C, N, H, T = StepKind.CONST, StepKind.NODE, StepKind.HELPER, StepKind.TMP_WEIGHT

_ACTIVATION = (_s(C, 0), _s(N))  # importerUtils.cpp:34-52 activationHelper
_UNARY = (_s(C, 0), _s(N))  # importerUtils.cpp:1693-1748 unaryHelper (not INT32 Neg)
_ELEMENTWISE = (_s(StepKind.BROADCAST_ALL), _s(N))  # importerUtils.cpp:566-611 elementwiseHelper
_POOL = (_s(StepKind.NEED, cond=Condition.RANK_NOT_3), _s(C, 0), _s(N))  # importerUtils.cpp:1382-1447
_REDUCE = (_s(C, 0), _s(N))  # importerUtils.cpp:1456-1501 reduceTensor (axes given)

RECIPES_10_0: dict[str, tuple[Step, ...]] = {
    # onnxOpImporters.cpp:177 (Add), 1694 (Div), 3568 (Mul), 4064 (Pow), 5675 (Sub): elementwiseHelper
    # 1796 (Equal)
    **{op: _ELEMENTWISE for op in ("Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Sum", "Equal")},
    # onnxOpImporters.cpp:4374 Relu, 5258 Sigmoid, 5690 Tanh, 1990-2007 Gelu (either approximation):
    # activationHelper
    **{op: _ACTIVATION for op in ("Relu", "Sigmoid", "Tanh", "LeakyRelu", "Gelu")},
    # onnxOpImporters.cpp:1801 Erf, 1806 Exp, 3743 Not, 5603 Sqrt: unaryHelper
    **{op: _UNARY for op in ("Erf", "Exp", "Sqrt", "Not", "Abs", "Log", "Reciprocal")},
    # onnxOpImporters.cpp:192 AveragePool, 3465 MaxPool: poolingHelper
    "AveragePool": _POOL,
    "MaxPool": _POOL,
    # onnxOpImporters.cpp:2085 GlobalAveragePool, 2131 GlobalMaxPool: importerUtils.cpp:855-865
    "GlobalAveragePool": (_s(C, 0), _s(N)),
    "GlobalMaxPool": (_s(C, 0), _s(N)),
    # onnxOpImporters.cpp:306-383: combined scale/bias are "tmp_batch_norm_weight"s, named from a SEPARATE
    # set and counter (ImporterContext.hpp:215-221); scaleHelper (importerUtils.cpp:1516-1557) registers
    # the scale layer under the node name when the input is 4-D or 5-D
    "BatchNormalization": (_s(StepKind.NEED, cond=Condition.BN_WEIGHTS), _s(C, 0), _s(N)),
    # onnxOpImporters.cpp:4340 ReduceMean, 4360 ReduceSum: reduceTensor
    "ReduceMean": _REDUCE,
    "ReduceSum": _REDUCE,
    # onnxOpImporters.cpp:737-840: kernel as weights, 2-D/3-D spatial, one convolution layer
    "Conv": (_s(StepKind.NEED, cond=Condition.INPUT1_WEIGHTS), _s(StepKind.NEED, cond=Condition.RANK_NOT_3),
             _s(C, 0), _s(N)),
    # onnxOpImporters.cpp:2009-2081: A, B, matmul layer, bias, broadcast of the bias to rank 2
    "Gemm": (_s(StepKind.NEED, cond=Condition.DEFAULT_ALPHA_BETA), _s(C, 0), _s(C, 1), _s(N), _s(C, 2),
             _s(StepKind.BROADCAST, 2, to=TO_RANK2)),
    # onnxOpImporters.cpp:3407-3458: both operands, broadcastTensors(A, B), matmul layer
    "MatMul": (_s(StepKind.NEED, cond=Condition.NO_RANK1_MATMUL), _s(C, 0), _s(C, 1),
               _s(StepKind.BROADCAST, 0, to=1), _s(StepKind.BROADCAST, 1, to=0), _s(N)),
    # onnxOpImporters.cpp:2752-2803: two scalar tmp weights (addConstantScalar, importerUtils.hpp:36-46),
    # scale and bias constants, broadcastTensors(input, scale), (input, bias), normalization layer
    "LayerNormalization": (_s(C, 0), _s(T), _s(T), _s(C, 1), _s(C, 2), _s(StepKind.BROADCAST, 1, to=0),
                           _s(StepKind.BROADCAST, 2, to=0), _s(N)),
    # onnxOpImporters.cpp:5404-5413 + importerUtils.cpp:2005-2037 addSoftmax (before opset 13 a flattenTensor
    # first), then addShuffle(softmax, shapeOf(input)): importers.softmax
    "Softmax": (_s(StepKind.PROC, name="softmax"),),
    # onnxOpImporters.cpp:4647-4694: the shape input becomes a ShapeTensor without a layer (weights: values
    # known, ShapeTensor.cpp:60-76; a tensor: used as is), addShuffle, then the node name
    "Reshape": (_s(C, 0), _s(H, name="ONNXTRT_ShapeShuffle"), _s(N)),
    # onnxOpImporters.cpp:5224-5256: shape layer under the node name; its cast and slice are not registered
    "Shape": (_s(C, 0), _s(N)),
    # onnxOpImporters.cpp:1924-1942
    "Gather": (_s(C, 0), _s(C, 1), _s(StepKind.GATHER_CAST), _s(N)),
    # onnxOpImporters.cpp:649-666
    "Concat": (_s(StepKind.CONST_ALL), _s(N)),
    # Shape arithmetic (importers.py; the number of ONNXTRT_Shape* layers depends on the known dims):
    # onnxOpImporters.cpp:5874-5917 + importerUtils.cpp:1874-1906 unsqueezeTensor (regLayer)
    "Unsqueeze": (_s(StepKind.PROC, name="unsqueeze"),),
    # onnxOpImporters.cpp:5608-5673 + importerUtils.cpp:1607-1632 squeezeTensor (regLayer)
    "Squeeze": (_s(StepKind.PROC, name="squeeze"),),
    # onnxOpImporters.cpp:1898-1917 + importerUtils.cpp:613-631 flattenTensor (regLayer)
    "Flatten": (_s(StepKind.PROC, name="flatten"),),
    # onnxOpImporters.cpp:5285-5402 + importerUtils.cpp:1945-2002
    "Slice": (_s(StepKind.PROC, name="slice"),),
    # onnxOpImporters.cpp:1811-1842
    "Expand": (_s(StepKind.PROC, name="expand"),),
    # onnxOpImporters.cpp:724-735 + importerUtils.cpp:288-298
    "ConstantOfShape": (_s(StepKind.PROC, name="constant_of_shape"),),
    # onnxOpImporters.cpp:1127-1206 + importerUtils.cpp:1576-1605, 399-413, 722-739
    "CumSum": (_s(StepKind.PROC, name="cumsum"),),
    # onnxOpImporters.cpp:4180-4271 (integer bounds)
    "Range": (_s(StepKind.PROC, name="range"),),
    # onnxOpImporters.cpp:4389-4641 + importerUtils.cpp:1908-1931 resizeShapeTensor
    "Resize": (_s(StepKind.PROC, name="resize"),),
    # onnxOpImporters.cpp:6028-6058: broadcastTensors(x, y, condition) (importerUtils.cpp:194-201)
    "Where": (_s(C, 0), _s(C, 1), _s(C, 2), _s(StepKind.BROADCAST, 1, to=TO_MAX),
              _s(StepKind.BROADCAST, 2, to=TO_MAX), _s(StepKind.BROADCAST, 0, to=TO_MAX), _s(N)),
    # onnxOpImporters.cpp:5790-5812 + importerUtils.cpp:1634-1640 transposeTensor
    "Transpose": (_s(C, 0), _s(N)),
    # onnxOpImporters.cpp:385-399
    "Cast": (_s(C, 0), _s(N)),
    # onnxOpImporters.cpp:2572-2577
    "Identity": (_s(C, 0), _s(N)),
    # onnxOpImporters.cpp:668-722: a 'value' tensor is returned as weights (no registration);
    # value_float(s)/value_int(s) make a tmp_weight first
    "Constant": (_s(StepKind.PROC, name="constant"),),
}


@dataclass(frozen=True)
class ParserModel:
    """The importer sequences of one parser version range."""

    name: str
    versions: tuple[tuple[int, int], tuple[int, int]]  # (major, minor) first and last covered
    source: str
    recipes: dict[str, tuple[Step, ...]]

    def covers(self, major: int, minor: int) -> bool:
        return self.versions[0] <= (major, minor) <= self.versions[1]

    @property
    def label(self) -> str:
        (a, b), (c, d) = self.versions
        return f"onnx-tensorrt {a}.{b}-{c}.{d} ({self.name})"


# The 10.1 importers also reproduce a TensorRT 10.14 verbose parse (Conv, Relu, MaxPool, Reshape, Gemm,
# Softmax); a 10.16 parse registers Gemm's bias add under the node name as well, so 10.16 is outside.
MODEL_10_0 = ParserModel(
    name="release/10.1-GA 96e781103cfc",
    versions=((10, 0), (10, 14)),
    source="onnx/onnx-tensorrt@96e781103cfc4adf4a6bb557e94bac8e693f6f4c",
    recipes=RECIPES_10_0,
)

# TensorRT 10.16 is not in the source snapshot read above. Its verbose parse of a CNN (trtexec, the
# TensorRT cookbook's MNIST-like model) shows Gemm registering its bias add under the node name too
# (the name then collides: "node_linear_1"); only the ops that log shows are recorded for 10.15-10.16.
_GEMM_10_16 = (_s(StepKind.NEED, cond=Condition.DEFAULT_ALPHA_BETA), _s(C, 0), _s(C, 1), _s(N), _s(C, 2),
               _s(StepKind.BROADCAST, 2, to=TO_RANK2), _s(N))
MODEL_10_16 = ParserModel(
    name="TensorRT 10.16 verbose log (no source)",
    versions=((10, 15), (10, 16)),
    source="TensorRT 10.16.1 trtexec verbose parse log",
    recipes={**{op: RECIPES_10_0[op] for op in ("Conv", "Relu", "MaxPool", "Reshape", "Softmax")},
             "Gemm": _GEMM_10_16},
)

MODELS: tuple[ParserModel, ...] = (MODEL_10_0, MODEL_10_16)


@dataclass(frozen=True)
class UnmodelledRange:
    """A parser version range read but not modelled, and why (shown when a log's version falls in it)."""

    versions: tuple[tuple[int, int], tuple[int, int]]
    source: str
    why: str


UNMODELLED: tuple[UnmodelledRange, ...] = (
    UnmodelledRange(((8, 2), (8, 6)),
                    "onnx/onnx-tensorrt 8.2-GA f42daeee49f2, 8.5-GA fdeeaca87ad2, 8.6-GA ee0b139bc685",
                    "the 8.x parser registers no ONNXTRT_* helper (no occurrence in its sources): broadcast "
                    "shuffles keep TensorRT's '(Unnamed Layer* N) [Shuffle]' names, whose N counts every layer "
                    "of the network, so there is no ONNXTRT_Broadcast number to attribute"),
    UnmodelledRange(((9, 0), (9, 3)), "onnx/onnx-tensorrt 9.0-GA 9d2d786c9812, 9.3 1def182e2a04",
                    "9.x registers ONNXTRT_* helpers like 10.x but its importers were not compared line by line"),
    UnmodelledRange(((11, 0), (11, 99)), "none",
                    "no TensorRT 11 parser source was available (the onnx-tensorrt snapshot read ends at 10.1)"),
)


def why_not_modelled(version: str | None) -> str | None:
    """Why a TensorRT version has no replay model, when it is a range that was read; None otherwise."""
    parts = (version or "").split(".")
    try:
        key = (int(parts[0]), int(parts[1]) if len(parts) > 1 else 0)
    except ValueError:
        return None
    return next((f"{r.why} ({r.source})" for r in UNMODELLED if r.versions[0] <= key <= r.versions[1]), None)


def model_for(version: str | None) -> ParserModel | None:
    """The parser model covering a TensorRT version string ("10.1.0.27"); None when not modelled.

    An unknown version is not guessed: the caller leaves helpers unattributed."""
    if not version:
        return None
    parts = version.split(".")
    try:
        major, minor = int(parts[0]), int(parts[1]) if len(parts) > 1 else 0
    except ValueError:
        return None
    return next((m for m in MODELS if m.covers(major, minor)), None)
