"""A warned tensor mapped onto the ONNX graph, as data: its class, the naming rule that mapped it, and the
mapping shared by every name that lands in the same place.

Why a module of its own: the mapper (:mod:`trtdiag.naming`) and everything that reads its result (rules,
documents, the transformer view) share these types; ``trtdiag.naming`` re-exports them.
"""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import Enum
from typing import Any, NamedTuple, overload

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
    COUNTER_REPLAY = "counter-replay"  # ONNXTRT_Broadcast_N: the parser's name counter replayed over the graph
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
    replay_confidence: str | None = None  # rows the counter replay attributed (trtdiag/parser_replay): its trust


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
    def replay_confidence(self) -> str | None:
        return self.mapping.replay_confidence

    @property
    def mapped(self) -> bool:
        return self.mapping.mapped_by != BY_NONE


@dataclass(frozen=True)
class MappingGroup:
    """The warned tensors that share one mapping: how many, and how many warnings they drew."""

    mapping: TensorMapping
    tensors: int
    warnings: int


def group_by_mapping(tensors: Sequence[MappedTensor]) -> tuple[MappingGroup, ...]:
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


class MappedTensors(Sequence[MappedTensor]):
    """The mapped tensors of a log, compact: the log's records (a sequence the reader may build on
    access), one mapping index per tensor (4 bytes) and the distinct mappings. A
    :class:`MappedTensor` is made when one is read; ``positions`` makes a view of some of them.

    Why: with a million distinct warned tensors, one object per tensor (plus the record it holds)
    costs a few hundred MB; here the mapping costs 4 bytes a tensor on top of the log's records."""

    __slots__ = ("_index", "_mappings", "_positions", "_source")

    def __init__(self, source: Sequence[MissingScale], index: array[int], mappings: Sequence[TensorMapping],
                 positions: Sequence[int] | None = None) -> None:
        self._source = source
        self._index = index
        self._mappings = mappings
        self._positions = positions

    def __len__(self) -> int:
        return len(self._source) if self._positions is None else len(self._positions)

    def _at(self, p: int) -> MappedTensor:
        return MappedTensor.of(self._source[p], self._mappings[self._index[p]])

    def _where(self) -> Sequence[int]:
        return range(len(self._source)) if self._positions is None else self._positions

    @overload
    def __getitem__(self, i: int) -> MappedTensor: ...

    @overload
    def __getitem__(self, i: slice) -> tuple[MappedTensor, ...]: ...

    def __getitem__(self, i: int | slice) -> MappedTensor | tuple[MappedTensor, ...]:
        where = self._where()
        if isinstance(i, slice):
            return tuple(self._at(p) for p in where[i])
        return self._at(where[i])

    def __iter__(self) -> Iterator[MappedTensor]:
        return (MappedTensor.of(ms, m) for ms, m in self.pairs())

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or isinstance(other, (str, bytes)):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]  # a sequence compared by value, like a list

    def pairs(self) -> Iterator[tuple[MissingScale, TensorMapping]]:
        """(record, mapping) of every tensor, without making :class:`MappedTensor` objects."""
        mappings, index = self._mappings, self._index
        if self._positions is None:
            return ((ms, mappings[k]) for ms, k in zip(self._source, index, strict=True))
        source = self._source
        return ((source[p], mappings[index[p]]) for p in self._positions)

    def rows(self) -> Iterator[Row]:
        """(name, count, first line, lines, wording, mapping) of every tensor, in order.

        From the reader's columns when its table keeps them as arrays (``MissingScaleTable`` of
        ``trtdiag/log/tables.py``): making a record per tensor costs more than writing its JSON row. Any
        other sequence of records is read record by record."""
        columns = self.columns()
        if columns is None:
            return ((ms.tensor, ms.count, ms.first_line, ms.lines, ms.wording, m) for ms, m in self.pairs())
        return self._column_rows(columns)

    def _column_rows(self, c: Columns) -> Iterator[Row]:
        mappings = self._mappings
        wording_of: dict[int, str] = {}
        for i, (name, count, first, w, k) in enumerate(zip(c.names, c.counts, c.firsts, c.wordings, c.numbers,
                                                           strict=True)):
            text = wording_of.get(w)
            if text is None:
                text = wording_of[w] = self.wording(i)
            extra = c.more.get(i)
            yield name, count, first, (first, *extra) if extra else (first,), text, mappings[k]

    def columns(self) -> Columns | None:
        """The columns of every tensor when the reader keeps its records as arrays (see :meth:`rows`)."""
        if self._positions is not None:
            return None
        table = _table_columns(self._source)
        return None if table is None else Columns(*table, self._index)

    def wording(self, i: int) -> str:
        """The wording of tensor ``i`` (one record made: read once per distinct wording index)."""
        return self._source[i].wording

    def mapping(self, k: int) -> TensorMapping:
        """Mapping number ``k`` (the values of :attr:`Columns.numbers`)."""
        return self._mappings[k]

    @property
    def names(self) -> Sequence[str]:
        """The tensor names, from the reader's own list when it keeps one (no record made)."""
        listed = getattr(self._source, "names", None)
        if self._positions is None and isinstance(listed, Sequence) and len(listed) == len(self._source):
            return listed
        return [ms.tensor for ms, _ in self.pairs()]

    def where(self, keep: Callable[[TensorMapping], bool]) -> MappedTensors:
        """The tensors whose mapping passes ``keep`` (asked once per distinct mapping), as a view."""
        passes = [keep(m) for m in self._mappings]
        if all(passes):
            return self
        index = self._index
        kept = array("I", (p for p in self._where() if passes[index[p]])) if any(passes) else array("I")
        return MappedTensors(self._source, index, self._mappings, kept)

    def distinct_mappings(self) -> list[TensorMapping]:
        """The mappings in use, in order of first appearance."""
        if self._positions is None:
            used = dict.fromkeys(self._index)
        else:
            used = dict.fromkeys(self._index[p] for p in self._positions)
        return [self._mappings[k] for k in used]

    def groups(self, warning_order: Sequence[int]) -> tuple[MappingGroup, ...]:
        """Tensors and warnings per mapping, in order of first appearance; ``warning_order`` is the tensor
        index of every warning (``LogFacts.warning_order``), so warnings are counted without a record."""
        tensors = Counter(self._index)
        warnings = Counter(map(self._index.__getitem__, warning_order))
        order = dict.fromkeys(self._index)
        return tuple(MappingGroup(self._mappings[k], tensors[k], warnings[k]) for k in order)


class Columns(NamedTuple):
    """Every tensor's fields as the reader's arrays, and its mapping number (:meth:`MappedTensors.columns`)."""

    names: Sequence[str]
    counts: Sequence[int]
    firsts: Sequence[int]  # first line
    more: Mapping[int, Sequence[int]]  # later lines, by tensor number (only tensors warned more than once)
    wordings: Sequence[int]  # wording number: MappedTensors.wording(i) gives the text
    numbers: Sequence[int]  # mapping number: MappedTensors.mapping(k)


#: (name, count, first line, lines, wording, mapping): one tensor of :meth:`MappedTensors.rows`.
Row = tuple[str, int, int, tuple[int, ...], str, TensorMapping]


def _table_columns(source: Sequence[MissingScale]) -> tuple[Any, Any, Any, Any, Any] | None:
    """The column arrays of the reader's compact table (names, counts, first lines, later lines by tensor,
    wording indexes), or None when ``source`` is not such a table (a tuple of records, a test's list).
    The table does not publish its arrays; when their names change this returns None and rows are
    read record by record, slower but the same."""
    names, counts, firsts, more, wordings = (getattr(source, a, None)
                                             for a in ("names", "_counts", "_firsts", "_more", "_wordings"))
    if names is None or counts is None or firsts is None or wordings is None or not isinstance(more, Mapping):
        return None
    if len({len(names), len(counts), len(firsts), len(wordings), len(source)}) != 1:
        return None
    return names, counts, firsts, more, wordings


def tensor_names(tensors: Sequence[MappedTensor]) -> Sequence[str]:
    """The names of the tensors, without making a record per tensor when they are :class:`MappedTensors`."""
    return tensors.names if isinstance(tensors, MappedTensors) else [t.tensor for t in tensors]
