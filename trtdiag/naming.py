"""Map tensor names printed by TensorRT back to the ONNX graph.

TensorRT's ONNX parser names tensors after the ONNX tensor (exact), constant layers after their
weights (``<name>_output``), uniquifies clashes with ``_N`` or `` (N)``, and adds helper layers
(``ONNXTRT_*``, ``(Unnamed Layer* N)``) that only the verbose parse log attributes to a node.

Every warned tensor gets a class, its ONNX producer and consumers, its block and sub-module, and
*how* it was mapped. Nothing is guessed silently: a name that cannot be attributed stays
unmapped, with the reason.
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import cast

from trtdiag.bulk import gc_paused, names_with
from trtdiag.log.facts import LogFacts, MissingScale
from trtdiag.mapped_tensor import (
    ACTIVATION,
    BY_CONSTANT,
    BY_DUPLICATE,
    BY_EXACT,
    BY_LAYER_OUTPUT,
    BY_NONE,
    BY_UNIQUIFIED,
    BY_VERBOSE,
    CLASSES,
    GRAPH_INPUT,
    PARSER_HELPER,
    UNKNOWN,
    UNNAMED_LAYER,
    WEIGHT,
    MappedBy,
    MappedTensor,
    MappedTensors,
    MappingGroup,
    TensorClass,
    TensorMapping,
    group_by_mapping,
    tensor_names,
)
from trtdiag.onnx.graph import INTEGER_DTYPES, GraphIndex, Module
from trtdiag.parser_replay.attribute import apply_counter_replay

# Re-exported: the mapped-tensor types are imported from here by rules, documents and tests.
__all__ = [
    "ACTIVATION",
    "BY_CONSTANT",
    "BY_DUPLICATE",
    "BY_EXACT",
    "BY_LAYER_OUTPUT",
    "BY_NONE",
    "BY_UNIQUIFIED",
    "BY_VERBOSE",
    "CLASSES",
    "GRAPH_INPUT",
    "PARSER_HELPER",
    "UNKNOWN",
    "UNNAMED_LAYER",
    "WEIGHT",
    "MappedBy",
    "MappedTensor",
    "MappedTensors",
    "MappingGroup",
    "MappingSummary",
    "NameMapper",
    "ParseContext",
    "TensorClass",
    "TensorMapping",
    "group_by_mapping",
    "map_missing_scales",
    "tensor_names",
]


_OUTPUT_SUFFIX = re.compile(r"^(?P<layer>.+?)_output(?:_(?P<k>\d+))?$")
_UNIQ_SUFFIX = re.compile(r"^(?P<base>.+)_\d+$")
_DUP_SUFFIX = re.compile(r"^(?P<base>.+) \((?P<k>\d+)\)$")
_UNNAMED = re.compile(r"^\(Unnamed Layer\* (?P<n>\d+)\) \[(?P<type>[^\]]+)\]$")
_SHAPE_HELPER = re.compile(
    r"^ONNXTRT_(?:Shape\w*|FillShapeVector|castHelper|extractDimension\w*|gatherDimension|"
    r"resizeShapeTensor\w*|iota|convertToScalar)(?:_\d+)?$"
)
_BROADCAST = re.compile(r"^ONNXTRT_Broadcast(?:_\d+)?$")


@dataclass(frozen=True)
class ParseContext:
    """Layer and tensor names registered by the verbose ONNX parser."""

    layer_owner: dict[str, str]  # TensorRT layer -> ONNX node whose parse block created it
    tensor_onnx: dict[str, str]  # TensorRT tensor -> ONNX tensor

    @classmethod
    def from_log(cls, facts: LogFacts) -> ParseContext:
        owner: dict[str, str] = {}
        for r in facts.registrations:
            node = r.owner or r.node
            if node:
                owner.setdefault(r.layer, node)
        tensors: dict[str, str] = {}
        for trt, onnx_name, _line in facts.tensor_registrations:
            tensors.setdefault(trt, onnx_name)
        return cls(owner, tensors)


@dataclass(frozen=True)
class _Hit:
    cls: TensorClass
    onnx_tensor: str | None
    node: str | None  # producer or owning node
    mapped_by: MappedBy
    weight_path: bool = False
    reason: str | None = None


def _module_fields(m: Module | None) -> tuple[int | None, str | None]:
    return (m.block, m.submodule) if m is not None else (None, None)


class NameMapper:
    """Maps warned tensor names using the graph and, when present, the verbose parse context."""

    def __init__(self, graph: GraphIndex | None, parse: ParseContext) -> None:
        self.graph = graph
        self.parse = parse
        self._mappings: dict[tuple[_Hit, bool], TensorMapping] = {}
        self._unknown = self._mapping(_NO_MODEL, False)  # every plain name without a model
        self._not_in_model = self._derive(_NOT_IN_MODEL, False)

    # -- resolution of a bare name against the graph
    def _tensor_hit(self, name: str, how: MappedBy) -> _Hit | None:
        g = self.graph
        if g is None:
            return None
        if name in g.inputs:
            return _Hit(GRAPH_INPUT, name, None, how)
        if name in g.initializers:
            return _Hit(WEIGHT, name, None, how, weight_path=True)
        p = g.producer_of(name)
        if p is not None:
            if p.op_type == "Constant":
                return _Hit(WEIGHT, name, p.name, how, weight_path=True)
            return _Hit(ACTIVATION, name, p.name, how)
        return None

    def _layer_hit(self, layer: str, k: int, how: MappedBy) -> _Hit | None:
        """``<layer>_output[_k]``: a constant layer (named after weights) or a node-named layer."""
        g = self.graph
        if g is not None:
            if layer in g.initializers or layer in g.constant_outputs:
                index = g.constant_outputs.get(layer)
                return _Hit(WEIGHT, layer, g.nodes[index].name if index is not None else None,
                            BY_CONSTANT if how == BY_EXACT else how, weight_path=True)
            node = g.node(layer)
            if node is not None:
                out = node.outputs[k] if k < len(node.outputs) else None
                cls = WEIGHT if node.op_type == "Constant" else ACTIVATION
                return _Hit(cls, out, node.name, BY_LAYER_OUTPUT if how == BY_EXACT else how,
                            weight_path=cls == WEIGHT)
        return None

    def _helper_hit(self, layer: str) -> _Hit | None:
        """Parser helpers and unnamed layers: attributed only through the verbose parse log."""
        owner = self.parse.layer_owner.get(layer)
        is_helper = layer.startswith("ONNXTRT_")
        is_unnamed = _UNNAMED.match(layer) is not None
        if owner is not None:
            g = self.graph
            weight_path = False
            if g is not None and (is_helper or is_unnamed) and _BROADCAST.match(layer):
                node = g.node(owner)
                weight_path = node is not None and any(
                    t in g.initializers or t in g.constant_outputs for t in node.inputs
                )
            cls = PARSER_HELPER if is_helper else UNNAMED_LAYER if is_unnamed else ACTIVATION
            return _Hit(cls, None, owner, BY_VERBOSE, weight_path=weight_path)
        if is_helper:
            why = ("parser helper layer; a verbose build log (trtexec --verbose, or a VERBOSE logger) "
                   "is needed to attribute it to an ONNX node")
            if _BROADCAST.match(layer):
                why += "; ONNXTRT_Broadcast usually broadcasts a bias or LayerNorm weight"
            return _Hit(PARSER_HELPER, None, None, BY_NONE, weight_path=bool(_BROADCAST.match(layer)),
                        reason=why)
        if is_unnamed:
            return _Hit(UNNAMED_LAYER, None, None, BY_NONE, reason=(
                "unnamed TensorRT layer created by the parser or a plugin; only a verbose parse log "
                "that registers it can attribute it"))
        return None

    def resolve_onnx_tensor(self, name: str) -> tuple[str | None, str | None, TensorClass]:
        """(ONNX tensor, owning node, class) for any TensorRT tensor name; Nones when unknown."""
        hit = self._resolve(name)
        if hit is None:
            return None, None, UNKNOWN
        return hit.onnx_tensor, hit.node, hit.cls

    def _resolve(self, name: str, depth: int = 0) -> _Hit | None:
        if depth > 3:
            return None
        hit = self._tensor_hit(name, BY_EXACT)
        if hit is not None:
            return hit
        onnx_name = self.parse.tensor_onnx.get(name)
        if onnx_name is not None:
            hit = self._tensor_hit(onnx_name, BY_VERBOSE)
            if hit is not None:
                return hit
        m = _DUP_SUFFIX.match(name)
        if m:
            hit = self._resolve(m.group("base"), depth + 1)
            if hit is not None:
                how = BY_DUPLICATE if hit.mapped_by in (BY_EXACT, BY_LAYER_OUTPUT, BY_CONSTANT) else hit.mapped_by
                return _Hit(hit.cls, hit.onnx_tensor, hit.node, how, hit.weight_path, hit.reason)
        m = _OUTPUT_SUFFIX.match(name)
        if m:
            layer = m.group("layer")
            k = int(m.group("k") or 0)
            hit = self._layer_hit(layer, k, BY_EXACT)
            if hit is not None:
                return hit
            hit = self._helper_hit(layer)
            if hit is not None and hit.mapped_by != BY_NONE:
                return hit
            if layer in self.parse.layer_owner:
                return _Hit(ACTIVATION, None, self.parse.layer_owner[layer], BY_VERBOSE)
            if hit is not None:
                return hit
            u = _UNIQ_SUFFIX.match(layer)
            if u:
                hit = self._layer_hit(u.group("base"), k, BY_UNIQUIFIED)
                if hit is not None:
                    return hit
        u = _UNIQ_SUFFIX.match(name)
        if u:
            hit = self._tensor_hit(u.group("base"), BY_UNIQUIFIED)
            if hit is not None:
                return hit
        return None

    def map(self, ms: MissingScale) -> MappedTensor:
        return MappedTensor.of(ms, self.mapping_of(ms.tensor))

    def mapping_of(self, name: str) -> TensorMapping:
        """The (shared) mapping of a warned name."""
        if self.graph is None and _plain_without_model(name, self.parse):
            return self._unknown
        hit = self._resolve(name)
        if hit is None:
            if self.graph is None and (name.startswith("ONNXTRT_") or _UNNAMED.match(name.rsplit("_output", 1)[0])):
                hit = self._helper_hit(name.rsplit("_output", 1)[0])
            if hit is None:
                hit = _NO_MODEL if self.graph is None else _NOT_IN_MODEL
        helper_integer = _SHAPE_HELPER.match(name.rsplit("_output", 1)[0]) is not None
        return self._mapping(hit, helper_integer)

    def index_names(self, names: Sequence[str]) -> tuple[array[int], list[TensorMapping]]:
        """Every name's mapping as an index into the distinct mappings (4 bytes a name), and those mappings.

        Without a model only helper names (and ``_output`` names, when the verbose parse registered
        layers) can map anywhere but "unknown": they are found by one search of all names
        (:func:`trtdiag.bulk.names_with`) and every other name gets index 0 without being looked at."""
        mappings: list[TensorMapping] = [self._unknown] if self.graph is None else []
        position: dict[int, int] = {id(m): k for k, m in enumerate(mappings)}
        candidates: Sequence[int]
        if self.graph is None:
            index = array("I", bytes(4 * len(names)))
            candidates = names_with(_OUTPUT_WORDS if self.parse.layer_owner else _HELPER_WORDS, names)
        else:
            index = array("I")
            candidates = range(len(names))
        for i in candidates:
            m = self.mapping_of(names[i])
            k = position.get(id(m))
            if k is None:
                k = position[id(m)] = len(mappings)
                mappings.append(m)
            if self.graph is None:
                index[i] = k
            else:
                index.append(k)
        return index, mappings

    def _mapping(self, hit: _Hit, helper_integer: bool) -> TensorMapping:
        """The mapping of a hit, built once per distinct hit: names that land in the same place share it."""
        if hit is _NOT_IN_MODEL and not helper_integer:  # most names of a log that is not the model's
            return self._not_in_model
        key = (hit, helper_integer)
        found = self._mappings.get(key)
        if found is None:
            found = self._mappings[key] = self._derive(hit, helper_integer)
        return found

    def _derive(self, hit: _Hit, helper_integer: bool) -> TensorMapping:
        g = self.graph
        onnx_node = hit.node
        consumers: tuple[str, ...] = ()
        op_type: str | None = None
        dtype: str | None = None
        module: Module | None = None
        if g is not None:
            if hit.onnx_tensor is not None:
                consumers = tuple(c.name for c in g.consumers_of(hit.onnx_tensor))
                dtype = g.dtype_of(hit.onnx_tensor)
                module = g.module_of_tensor(hit.onnx_tensor)
            node = g.node(onnx_node) if onnx_node else None
            if node is not None and node.op_type != "Constant":
                op_type = node.op_type
                module = g.module_of_node(node.name) or module
                if hit.onnx_tensor is None and node.outputs:
                    dtype = dtype or g.dtype_of(node.outputs[0])
            elif consumers:
                first = g.node(consumers[0])
                op_type = first.op_type if first is not None else None
        block, submodule = _module_fields(module)
        is_integer = (dtype in INTEGER_DTYPES) if dtype else helper_integer
        return TensorMapping(cls=hit.cls, onnx_tensor=hit.onnx_tensor, onnx_node=onnx_node, op_type=op_type,
                             onnx_consumers=consumers, block=block, submodule=submodule, mapped_by=hit.mapped_by,
                             dtype=dtype, is_integer=bool(is_integer), weight_path=hit.weight_path,
                             reason=hit.reason)


_NO_MODEL = _Hit(UNKNOWN, None, None, BY_NONE, reason="no model given")
_NOT_IN_MODEL = _Hit(UNKNOWN, None, None, BY_NONE, reason="name not found in the ONNX model")


_HELPER_WORDS = re.compile(r"onnxtrt_|\(unnamed layer")  # lower case: see names_with
_OUTPUT_WORDS = re.compile(r"onnxtrt_|\(unnamed layer|_output")
_BROADCAST_WORD = re.compile("onnxtrt_broadcast")


def _plain_without_model(name: str, parse: ParseContext) -> bool:
    """Without a model, can ``name`` only be unknown? Only helper names (``ONNXTRT_*``, unnamed layers)
    and ``<layer>_output`` names of layers the verbose parse registered can be attributed without one;
    checking that first saves the resolver's regular expressions on a million plain names."""
    if "ONNXTRT_" in name or "(Unnamed Layer" in name:
        return False
    return not parse.layer_owner or "_output" not in name


@dataclass(frozen=True)
class MappingSummary:
    tensors: Sequence[MappedTensor]  # MappedTensors (compact) from the mapper; any sequence in tests
    nameable: int  # warned names that a matching model should contain
    found: int
    registrations_checked: int
    registrations_found: int
    mismatch: bool
    mismatch_reason: str | None

    @cached_property
    def groups(self) -> tuple[MappingGroup, ...]:
        """The warned tensors per distinct mapping, in order of first appearance (see :func:`group_by_mapping`)."""
        return group_by_mapping(self.tensors)

    def select(self, keep: Callable[[TensorMapping], bool]) -> Sequence[MappedTensor]:
        """The tensors whose mapping passes ``keep``, in log order. ``keep`` runs once per distinct mapping,
        not once per tensor: what a rule asks of a tensor's class, dtype or consumers is the same for every
        tensor mapped the same way."""
        if isinstance(self.tensors, MappedTensors):
            return self.tensors.where(keep)
        verdict = {id(g.mapping): keep(g.mapping) for g in self.groups}
        if all(verdict.values()):
            return list(self.tensors)
        if not any(verdict.values()):
            return []
        return [t for t in self.tensors if verdict[id(t.mapping)]]


def _names(records: Sequence[MissingScale]) -> Sequence[str]:
    """The warned names, from the reader's own list when it keeps one (no record made per name)."""
    listed = getattr(records, "names", None)
    if isinstance(listed, Sequence) and len(listed) == len(records):
        return listed
    return [ms.tensor for ms in records]


def map_missing_scales(facts: LogFacts, graph: GraphIndex | None) -> MappingSummary:
    """Map every warned tensor; decide whether the model fits the log at all."""
    parse = ParseContext.from_log(facts)
    mapper = NameMapper(graph, parse)
    names = _names(facts.missing_scale)
    with gc_paused():  # see trtdiag/bulk.py
        index, mappings = mapper.index_names(names)
    compact = MappedTensors(facts.missing_scale, index, mappings)
    # ONNXTRT_Broadcast_N by counter replay: the same rows back when it attributes nothing (the replay reads
    # rows as a sequence; its signature says tuple)
    replayed: Sequence[MappedTensor] = compact
    if graph is not None and names_with(_BROADCAST_WORD, names):  # the replay attributes only broadcast helpers
        replayed = apply_counter_replay(cast(tuple[MappedTensor, ...], compact), facts, graph,
                                        MappedBy.COUNTER_REPLAY)
    tensors: Sequence[MappedTensor] = compact if replayed is compact else replayed
    # warnings per mapping from the warning order (no record read); facts built without one count records
    by_order = replayed is compact and (len(facts.warning_order) or not len(compact))
    groups = compact.groups(facts.warning_order) if by_order else group_by_mapping(replayed)
    nameable = sum(g.tensors for g in groups if g.mapping.cls not in (PARSER_HELPER, UNNAMED_LAYER))
    found = sum(g.tensors for g in groups
                if g.mapping.cls not in (PARSER_HELPER, UNNAMED_LAYER) and g.mapping.mapped_by != BY_NONE)
    regs = [r.node for r in facts.registrations if r.kind == "node" and r.node]
    reg_found = sum(1 for n in regs if graph is not None and graph.node(n) is not None)
    mismatch = False
    reason = None
    if graph is not None:
        if nameable >= 3 and found / nameable < 0.5:
            mismatch = True
            reason = (f"only {found} of {nameable} warned tensor names exist in the model "
                      f"{graph.path}; it is probably not the model this log was built from")
        elif len(regs) >= 5 and reg_found / len(regs) < 0.5:
            mismatch = True
            reason = (f"only {reg_found} of {len(regs)} ONNX nodes registered in the log exist in the model "
                      f"{graph.path}; it is probably not the model this log was built from")
    summary = MappingSummary(
        tensors=tensors,
        nameable=nameable,
        found=found,
        registrations_checked=len(regs),
        registrations_found=reg_found,
        mismatch=mismatch,
        mismatch_reason=reason,
    )
    summary.__dict__["groups"] = groups  # already counted: the cached property's value
    return summary
