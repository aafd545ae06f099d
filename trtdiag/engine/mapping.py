"""Engine layer -> ONNX nodes, each engine layer's kind and precision.

Two engines of one model fuse differently, so their layers cannot be compared by name; they can be
compared on the ONNX nodes each layer covers. The methods, most authoritative first:
``metadata`` ([ONNX Layer: …] of TensorRT >= 8.6 detailed verbosity), ``foreign-node-range``
({ForeignNode[first...last]} Myelin regions, in ONNX order), ``fused-name`` (`` + `` and
``PWN(…)`` atoms), ``registration`` (verbose build-log lines for parser helpers), ``reformat``
(``Reformatting CopyNode for … to X`` covers no node; it belongs to X).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from trtdiag.engine.formats.common import split_top_level
from trtdiag.engine.model import EngineLayer
from trtdiag.enums import StrEnum
from trtdiag.onnx.graph import GraphIndex

_REFORMAT = re.compile(r"^Reformatting CopyNode for (?:Input|Output) Tensor \d+ to (?P<target>.+)$")
_FOREIGN = re.compile(r"^\{ForeignNode\[(?P<body>.*)\]\}$")
_COPY = re.compile(r"^(?P<tensor>.+) copy$")
_MYELIN_SUB = re.compile(r"(?:^__myl_|_myl\d+_\d+$|^_gemm_mha)")
_QDQ_ATOM = re.compile(r"(?:Quantize|Dequantize)Linear")
_UNIQ = re.compile(r"^(?P<base>.+)_\d+$")

_MYELIN_TYPES = ("myelin", "kgen", "gemm", "fusion")

#: Rank of precisions for "the lowest precision an input is consumed in".
_RANK = {"INT4": 0, "FP4": 0, "INT8": 1, "FP8": 1, "FP16": 2, "BF16": 2, "FP32": 3}


class LayerKind(StrEnum):
    """What an engine layer does, for totals and alignment (see :func:`classify_layer`)."""

    COMPUTE = "compute"
    MYELIN = "myelin"  # a Myelin region or one of its sub-kernels
    REFORMAT = "reformat"  # a format/precision conversion TensorRT inserted
    QDQ = "qdq"  # a Q/DQ node that survived as its own layer (or a reformat of QDQ origin)
    COPY = "copy"  # "<tensor> copy": a copy of a tensor the network reuses
    NOOP = "noop"
    CONSTANT = "constant"


def classify_layer(layer: EngineLayer) -> LayerKind:
    """The kind of an engine layer, from its name, type and origin only.

    Why only those: the kind decides which totals a layer's time goes to, so it must not depend
    on whether an ONNX model was given (a comparison without the model must add up the same).
    A NoOp/Constant layer that carries Metadata covers ONNX nodes and counts as what it computes.
    """
    name = layer.name
    ltype = (layer.layer_type or "").lower()
    if _REFORMAT.match(name) or ltype == "reformat":
        return LayerKind.QDQ if (layer.origin or "").upper() == "QDQ" else LayerKind.REFORMAT
    if ltype in ("noop", "constant") and not layer.metadata:
        return LayerKind(ltype)
    if _COPY.match(name):
        return LayerKind.COPY
    if _FOREIGN.match(name):
        return LayerKind.MYELIN
    if any(k in name for k in ("QuantizeLinear", "DequantizeLinear")) and " + " not in name:
        return LayerKind.QDQ
    if ltype in _MYELIN_TYPES or _MYELIN_SUB.search(name):
        return LayerKind.MYELIN
    return LayerKind.COMPUTE


class MapMethod(StrEnum):
    """How the ONNX nodes of a layer were found (most authoritative first; see the module docstring)."""

    METADATA = "metadata"
    FOREIGN_NODE_RANGE = "foreign-node-range"
    FUSED_NAME = "fused-name"
    REGISTRATION = "registration"
    REFORMAT = "reformat"
    COPY = "copy"
    NONE = "none"


@dataclass(frozen=True)
class LayerMapping:
    """Which ONNX nodes one engine layer covers, how that was found, and what precision it ran in."""

    layer: EngineLayer
    nodes: tuple[str, ...]
    method: MapMethod
    kind: LayerKind
    precision: str | None  # the layer's compute precision (rule in :func:`layer_precision`)
    output_precision: str | None
    target: str | None = None  # for reformats: the layer they feed or drain
    reason: str | None = None  # why nothing was mapped

    @property
    def mixed(self) -> bool:
        return bool(self.precision and self.output_precision and self.precision != self.output_precision)


def layer_precision(layer: EngineLayer) -> tuple[str | None, str | None]:
    """(compute precision, output precision) of an engine layer.

    Rule: a layer computes in the lowest floating/quantized precision among its data inputs
    (INT8 < FP16/BF16 < FP32; integer index/shape tensors are ignored), because that is the format its
    kernel consumes; its output precision is reported separately, so "INT8 compute with FP16 output"
    is visible as a mixed layer. A layer without usable inputs (constants, some Myelin kernels) takes
    its output precision.
    """
    ins = [t.dtype for t in layer.inputs if t.dtype in _RANK]
    outs = [t.dtype for t in layer.outputs if t.dtype in _RANK]
    out = min(outs, key=lambda d: _RANK[d]) if outs else None
    if ins:
        return min(ins, key=lambda d: _RANK[d]), out
    return out, out


def split_fused(name: str) -> list[str]:
    """Atoms of a fused name: split on `` + `` at bracket depth 0 and inside ``PWN(…)`` on ``, ``."""
    atoms: list[str] = []

    def walk(text: str) -> None:
        for part in split_top_level(text, " + "):
            part = part.strip()
            if part.startswith("PWN(") and part.endswith(")"):
                for inner in split_top_level(part[4:-1], ", "):
                    walk(inner)
            elif part:
                atoms.append(part)

    walk(name)
    return atoms


class LayerMapper:
    """Maps the layers of one engine onto one ONNX graph."""

    def __init__(self, graph: GraphIndex, layer_owner: dict[str, str] | None = None) -> None:
        self.graph = graph
        self.layer_owner = layer_owner or {}
        self._normalised = {_norm(n.name): n.name for n in graph.nodes}

    def atom_nodes(self, atom: str) -> tuple[list[str], MapMethod | None]:
        """ONNX nodes of one name atom, and the method that found them (None when none)."""
        g = self.graph
        if g.node(atom) is not None:
            return [atom], MapMethod.FUSED_NAME
        if atom.startswith("node_of_"):
            p = g.producer_of(atom[len("node_of_"):])
            if p is not None:
                return [p.name], MapMethod.FUSED_NAME
        if atom in g.initializers or atom in g.constant_outputs:
            return [c.name for c in g.consumers_of(atom)], MapMethod.FUSED_NAME
        owner = self.layer_owner.get(atom)
        if owner and g.node(owner) is not None:
            return [owner], MapMethod.REGISTRATION
        norm = self._normalised.get(_norm(atom))
        if norm is not None:  # Myelin rewrites "." to "_" in sub-layer names
            return [norm], MapMethod.FUSED_NAME
        m = _UNIQ.match(atom)
        if m and g.node(m.group("base")) is not None:
            return [m.group("base")], MapMethod.FUSED_NAME
        return [], None

    def map_layers(self, layers: tuple[EngineLayer, ...] | list[EngineLayer]) -> list[LayerMapping]:
        first_pass: list[LayerMapping | None] = []
        claimed: set[str] = set()
        foreign: list[tuple[int, EngineLayer, str]] = []
        for i, layer in enumerate(layers):
            mapping = self._map_simple(layer)
            if mapping is None:
                fm = _FOREIGN.match(layer.name)
                foreign.append((i, layer, fm.group("body") if fm else ""))
                first_pass.append(None)
                continue
            claimed.update(mapping.nodes)
            first_pass.append(mapping)
        order = {n.name: n.index for n in self.graph.nodes}
        for i, layer, body in foreign:
            first_pass[i] = self._map_foreign(layer, body, order, claimed)
        return [m for m in first_pass if m is not None]

    def _map_simple(self, layer: EngineLayer) -> LayerMapping | None:
        """The mapping of a layer, or None for a ForeignNode range to map once all else is claimed."""
        prec, out = layer_precision(layer)
        name = layer.name
        kind = classify_layer(layer)
        m = _REFORMAT.match(name)
        if kind is LayerKind.QDQ and (m or (layer.layer_type or "").lower() == "reformat"):
            nodes, _ = self.atom_nodes(name)
            return LayerMapping(layer, tuple(nodes), MapMethod.FUSED_NAME if nodes else MapMethod.NONE, kind, prec, out,
                                reason=None if nodes else "Q/DQ reformat whose node is not in the model")
        if kind is LayerKind.REFORMAT:
            return LayerMapping(layer, (), MapMethod.REFORMAT, kind, prec, out, target=m.group("target") if m else None)
        if kind in (LayerKind.NOOP, LayerKind.CONSTANT):
            return LayerMapping(layer, (), MapMethod.NONE, kind, prec, out, reason=f"{kind} layer")
        m = _COPY.match(name)
        if m:
            p = self.graph.producer_of(m.group("tensor"))
            return LayerMapping(layer, (p.name,) if p else (), MapMethod.COPY, kind, prec, out)
        if layer.metadata:
            nodes = [n for n in layer.metadata if self.graph.node(n) is not None]
            if nodes:
                return LayerMapping(layer, tuple(dict.fromkeys(nodes)), MapMethod.METADATA, kind, prec, out)
        if _FOREIGN.match(name):
            return None
        return self._map_atoms(layer, kind, prec, out)

    def _map_atoms(self, layer: EngineLayer, kind: LayerKind, prec: str | None, out: str | None) -> LayerMapping:
        found: list[str] = []
        methods: set[MapMethod] = set()
        for atom in split_fused(layer.name):
            nodes, method = self.atom_nodes(atom)
            found.extend(nodes)
            if method:
                methods.add(method)
        if found:
            how = MapMethod.REGISTRATION if methods == {MapMethod.REGISTRATION} else MapMethod.FUSED_NAME
            return LayerMapping(layer, tuple(dict.fromkeys(found)), how, kind, prec, out)
        if _MYELIN_SUB.search(layer.name):
            reason = "Myelin sub-kernel without ONNX names (needs Metadata: --profilingVerbosity=detailed)"
        else:
            reason = "no atom of the layer name is an ONNX node, initializer or registered layer"
        return LayerMapping(layer, (), MapMethod.NONE, kind, prec, out, reason=reason)

    def _map_foreign(self, layer: EngineLayer, body: str, order: dict[str, int], claimed: set[str]) -> LayerMapping:
        prec, out = layer_precision(layer)
        if "..." in body:
            first, last = body.split("...", 1)
        else:
            first = last = body
        first_atoms, last_atoms = split_fused(first), split_fused(last)
        start_nodes = self.atom_nodes(first_atoms[0])[0] if first_atoms else []
        end_nodes = self.atom_nodes(last_atoms[-1])[0] if last_atoms else []
        if not start_nodes or not end_nodes:
            return LayerMapping(layer, (), MapMethod.NONE, LayerKind.MYELIN, prec, out,
                                reason="the ForeignNode range ends are not ONNX nodes of this model")
        lo = min(order[n] for n in start_nodes)
        hi = max(order[n] for n in end_nodes)
        covered = [n.name for n in self.graph.nodes[lo: hi + 1] if n.name not in claimed and n.op_type != "Constant"]
        return LayerMapping(layer, tuple(covered), MapMethod.FOREIGN_NODE_RANGE, LayerKind.MYELIN, prec, out)


class NameMapper:
    """Mapping without a model: TensorRT's own names (Metadata, fused atoms) stand in for ONNX nodes.

    Kinds come from :func:`classify_layer`, as with a model; only the covered "nodes" differ.
    """

    def map_layers(self, layers: tuple[EngineLayer, ...] | list[EngineLayer]) -> list[LayerMapping]:
        return [self._map(layer) for layer in layers]

    @staticmethod
    def _map(layer: EngineLayer) -> LayerMapping:
        prec, outp = layer_precision(layer)
        name = layer.name
        kind = classify_layer(layer)
        if kind in (LayerKind.REFORMAT, LayerKind.QDQ) and (
                _REFORMAT.match(name) or (layer.layer_type or "").lower() == "reformat"):
            target = name.split(" to ", 1)[1] if " to " in name else None
            return LayerMapping(layer, (), MapMethod.REFORMAT, kind, prec, outp, target=target)
        if kind in (LayerKind.NOOP, LayerKind.CONSTANT):
            return LayerMapping(layer, (), MapMethod.NONE, kind, prec, outp, reason=f"{kind} layer")
        if layer.metadata:
            return LayerMapping(layer, tuple(dict.fromkeys(layer.metadata)), MapMethod.METADATA, kind, prec, outp)
        atoms = [a for a in split_fused(name.removeprefix("{ForeignNode[").removesuffix("]}"))
                 if not _QDQ_ATOM.search(a)]
        return LayerMapping(layer, tuple(dict.fromkeys(atoms)), MapMethod.FUSED_NAME, kind, prec, outp)


def _norm(name: str) -> str:
    return name.replace(".", "_")
