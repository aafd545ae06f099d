"""A warned tensor mapped onto the ONNX graph, as data: its class, the naming rule that mapped it, and the
mapping shared by every name that lands in the same place.

Why a module of its own: the mapper (:mod:`trtdiag.naming`) and everything that reads its result (rules,
documents, the transformer view) share these types; ``trtdiag.naming`` re-exports them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import Enum
from typing import Any

from trtdiag.log.facts import MissingScale


class TensorClass(str, Enum):
    """What kind of tensor TensorRT warned about. A ``str`` enum so that documents keep the plain words."""

    GRAPH_INPUT = "graph-input"
    ACTIVATION = "activation"
    WEIGHT = "weight/constant"
    PARSER_HELPER = "parser-helper"
    UNNAMED_LAYER = "unnamed-trt-layer"
    UNKNOWN = "unknown"

    def __str__(self) -> str:
        return self.value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)


class MappedBy(str, Enum):
    """Which naming rule attributed a TensorRT name to the ONNX graph (``NONE``: none did)."""

    EXACT = "exact"
    CONSTANT = "constant <name>_output"
    LAYER_OUTPUT = "layer <name>_output"
    UNIQUIFIED = "uniquified _N"
    DUPLICATE = "renamed duplicate (N)"
    VERBOSE = "verbose-parse context"
    NONE = "none"

    def __str__(self) -> str:
        return self.value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)


# Short names used by the rules and the tests.
GRAPH_INPUT = TensorClass.GRAPH_INPUT
ACTIVATION = TensorClass.ACTIVATION
WEIGHT = TensorClass.WEIGHT
PARSER_HELPER = TensorClass.PARSER_HELPER
UNNAMED_LAYER = TensorClass.UNNAMED_LAYER
UNKNOWN = TensorClass.UNKNOWN
CLASSES = tuple(TensorClass)

BY_EXACT = MappedBy.EXACT
BY_CONSTANT = MappedBy.CONSTANT
BY_LAYER_OUTPUT = MappedBy.LAYER_OUTPUT
BY_UNIQUIFIED = MappedBy.UNIQUIFIED
BY_DUPLICATE = MappedBy.DUPLICATE
BY_VERBOSE = MappedBy.VERBOSE
BY_NONE = MappedBy.NONE

@dataclass(frozen=True)
class TensorMapping:
    """Where one warned name lands in the ONNX graph: everything about a warned tensor but its name and lines.

    Why apart from the name: a log can warn about a million distinct tensors, and most of them land in
    the same few places (every name unknown to the model shares one outcome). The mapper builds one
    object per outcome and every :class:`MappedTensor` points at it, so a warned tensor costs one small
    object, and totals by class, op or block are counted per outcome, not per tensor."""

    cls: TensorClass
    onnx_tensor: str | None
    onnx_node: str | None  # producer
    op_type: str | None  # producer's op; for weights and inputs the first consumer's op
    onnx_consumers: tuple[str, ...]
    block: int | None
    submodule: str | None
    mapped_by: MappedBy
    dtype: str | None
    is_integer: bool
    weight_path: bool  # a weight, a constant, or the parser's broadcast of one
    reason: str | None  # why it is unmapped (or what is uncertain)


_SOURCE_FIELDS = ("tensor", "count", "first_line", "lines", "wording")
_set = object.__setattr__


@dataclass(frozen=True, slots=True, init=False)
class MappedTensor:
    """One warned tensor, mapped onto the ONNX graph: the log's record and the (shared) mapping.

    Built either from every field by keyword (``MappedTensor(tensor=..., cls=..., ...)``, as tests and
    ``dataclasses.replace`` do) or from its two parts (``source=``, ``mapping=``), plus fields to change."""

    source: MissingScale
    mapping: TensorMapping

    def __init__(self, source: MissingScale | None = None, mapping: TensorMapping | None = None,
                 **fields: Any) -> None:
        own = {k: fields.pop(k) for k in _SOURCE_FIELDS if k in fields}
        if source is None:
            source = MissingScale(**own)
        elif own:
            source = replace(source, **own)
        if mapping is None:
            mapping = TensorMapping(**fields)
        elif fields:
            mapping = replace(mapping, **fields)
        _set(self, "source", source)
        _set(self, "mapping", mapping)

    @classmethod
    def of(cls, source: MissingScale, mapping: TensorMapping) -> MappedTensor:
        """The fast constructor of the mapper's loop (no keyword handling)."""
        obj = object.__new__(cls)
        _set(obj, "source", source)
        _set(obj, "mapping", mapping)
        return obj

    # -- the log's record
    @property
    def tensor(self) -> str:
        return self.source.tensor

    @property
    def count(self) -> int:
        return self.source.count

    @property
    def first_line(self) -> int:
        return self.source.first_line

    @property
    def lines(self) -> tuple[int, ...]:
        return self.source.lines

    @property
    def wording(self) -> str:
        return self.source.wording

    # -- the mapping
    @property
    def cls(self) -> TensorClass:
        return self.mapping.cls

    @property
    def onnx_tensor(self) -> str | None:
        return self.mapping.onnx_tensor

    @property
    def onnx_node(self) -> str | None:
        return self.mapping.onnx_node

    @property
    def op_type(self) -> str | None:
        return self.mapping.op_type

    @property
    def onnx_consumers(self) -> tuple[str, ...]:
        return self.mapping.onnx_consumers

    @property
    def block(self) -> int | None:
        return self.mapping.block

    @property
    def submodule(self) -> str | None:
        return self.mapping.submodule

    @property
    def mapped_by(self) -> MappedBy:
        return self.mapping.mapped_by

    @property
    def dtype(self) -> str | None:
        return self.mapping.dtype

    @property
    def is_integer(self) -> bool:
        return self.mapping.is_integer

    @property
    def weight_path(self) -> bool:
        return self.mapping.weight_path

    @property
    def reason(self) -> str | None:
        return self.mapping.reason

    @property
    def mapped(self) -> bool:
        return self.mapping.mapped_by != BY_NONE


@dataclass(frozen=True)
class MappingGroup:
    """The warned tensors that share one mapping: how many, and how many warnings they drew."""

    mapping: TensorMapping
    tensors: int
    warnings: int


def group_by_mapping(tensors: tuple[MappedTensor, ...]) -> tuple[MappingGroup, ...]:
    """Tensors and warnings per mapping object, in order of first appearance.

    Why: every total by class, op type, block or mapping rule is a sum over these groups (a few
    objects) instead of a pass over every tensor; first-appearance order keeps the tie order of a pass
    over the tensors themselves."""
    acc: dict[int, list[Any]] = {}
    for t in tensors:
        m = t.mapping
        entry = acc.get(id(m))
        if entry is None:
            entry = acc[id(m)] = [m, 0, 0]
        entry[1] += 1
        entry[2] += t.source.count
    return tuple(MappingGroup(m, n, w) for m, n, w in acc.values())
