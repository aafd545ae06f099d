"""A weight-free view of a model's Q/DQ nodes: their scales and zero-points, and which tensors are quantized.

Why a view over :class:`trtdiag.onnx.graph.GraphIndex`: every lint rule asks the same questions ("does this
GEMM input come through a DequantizeLinear, perhaps behind a Transpose?", "is this operand a weight?",
"what is this zero-point?"); answering them once here keeps the rules short and consistent with how
TensorRT moves Q/DQ through commuting ops (``knowledge.COMMUTING_OPS``).

Scales and zero-points are small constants, so the weight-free reader keeps their values (up to
``KEEP_VALUES_UP_TO`` elements). Larger per-channel vectors (a 4096-wide FFN) are read on their own: from
the external-data file, or by walking the model file to just those initializers (the weights in between
are skipped, never parsed).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trtdiag.lint.knowledge import COMMUTING_OPS, WEIGHTED_OPS
from trtdiag.onnx.graph import GraphIndex, NodeInfo
from trtdiag.onnx.structure import PreadBuffer, fields

Q_OP = "QuantizeLinear"
DQ_OP = "DequantizeLinear"
_MAX_HOPS = 8
_VALUE_FIELDS = ("raw_data", "float_data", "int32_data", "int64_data", "double_data", "uint64_data")


@dataclass(frozen=True)
class QdqNode:
    """One QuantizeLinear or DequantizeLinear node with its quantization parameters.

    ``scale``/``zero_point`` are None when their values could not be read; a node without a zero-point
    input has ``zero_point == ()`` (ONNX: zero)."""

    name: str
    kind: str  # "Q" or "DQ"
    input: str
    output: str
    scale_tensor: str
    zero_point_tensor: str | None
    scale: tuple[float, ...] | None
    zero_point: tuple[float, ...] | None
    zero_point_dtype: str | None
    scale_count: int | None  # elements of the scale (from dims when the values are unknown)
    axis: int
    block_size: int = 0  # blocked (INT4/FP4) quantization: scales per block along ``axis``, not per channel

    @property
    def per_channel(self) -> bool:
        return self.scale_count is not None and self.scale_count > 1

    @property
    def nonzero_zero_point(self) -> bool:
        return bool(self.zero_point) and any(v != 0 for v in self.zero_point or ())


@dataclass(frozen=True)
class QdqView:
    """Q/DQ nodes of one graph and the questions the rules ask about them."""

    graph: GraphIndex
    nodes: dict[str, QdqNode]  # Q/DQ node name -> node
    by_output: dict[str, QdqNode]  # tensor written by a Q/DQ node -> node
    constants: frozenset[str]  # initializers and Constant-node outputs
    notes: tuple[str, ...] = ()

    @property
    def has_qdq(self) -> bool:
        return bool(self.nodes)

    def q_nodes(self) -> list[QdqNode]:
        return [n for n in self.nodes.values() if n.kind == "Q"]

    def dq_nodes(self) -> list[QdqNode]:
        return [n for n in self.nodes.values() if n.kind == "DQ"]

    def gemm_nodes(self) -> list[NodeInfo]:
        return [n for n in self.graph.nodes if n.op_type in WEIGHTED_OPS]

    def source_dq(self, tensor: str) -> QdqNode | None:
        """The DQ a tensor comes from, looking back through commuting ops (None: not dequantized)."""
        for _ in range(_MAX_HOPS):
            q = self.by_output.get(tensor)
            if q is not None:
                return q if q.kind == "DQ" else None
            p = self.graph.producer_of(tensor)
            if p is None or p.op_type not in COMMUTING_OPS or not p.inputs:
                return None
            tensor = p.inputs[0]
        return None

    def is_constant(self, tensor: str) -> bool:
        """A weight: a constant, possibly behind Q, DQ, Cast or commuting ops (a transposed weight)."""
        for _ in range(_MAX_HOPS):
            if tensor in self.constants:
                return True
            p = self.graph.producer_of(tensor)
            if p is None or not p.inputs or p.op_type not in (COMMUTING_OPS | {Q_OP, DQ_OP, "Cast"}):
                return False
            tensor = p.inputs[0]
        return False

    def real_consumers(self, tensor: str) -> list[NodeInfo]:
        """Consumers of a tensor, looking forward through commuting ops (the layer TensorRT fuses with)."""
        out: list[NodeInfo] = []
        frontier, seen = [tensor], {tensor}
        for _ in range(_MAX_HOPS):
            nxt: list[str] = []
            for t in frontier:
                for c in self.graph.consumers_of(t):
                    if c.op_type in COMMUTING_OPS and c.outputs and c.outputs[0] not in seen:
                        seen.add(c.outputs[0])
                        nxt.append(c.outputs[0])
                    elif c.op_type not in COMMUTING_OPS:
                        out.append(c)
            if not nxt:
                break
            frontier = nxt
        return out

    def feeds_output(self, tensor: str) -> bool:
        return tensor in self.graph.outputs

    def q_of(self, dq: QdqNode) -> QdqNode | None:
        q = self.by_output.get(dq.input)
        return q if q is not None and q.kind == "Q" else None


def build_view(graph: GraphIndex) -> QdqView:
    """Index the Q/DQ nodes of a loaded graph and read their scale and zero-point values."""
    structure = graph.structure
    base_dir = str(Path(graph.path).parent) if graph.path else None
    tensors: dict[str, Any] = {}
    if structure is not None:
        tensors = {t.name: t for t in structure.graph.initializer}
        for n in structure.graph.node:
            if n.op_type == "Constant" and n.output:
                for a in n.attribute:
                    if a.name == "value":
                        tensors[n.output[0]] = a.t
    wanted = {t for n in graph.nodes if n.op_type in (Q_OP, DQ_OP) for t in n.inputs[1:3] if t}
    missing = {t for t in wanted if t in tensors and _lacks_values(tensors[t])}
    if missing and graph.path:
        tensors.update(read_inline_tensors(graph.path, missing))
    constants = frozenset(graph.initializers) | frozenset(graph.constant_outputs)
    nodes: dict[str, QdqNode] = {}
    unknown: list[str] = []
    attrs = _attributes(structure)
    for info in graph.nodes:
        if info.op_type not in (Q_OP, DQ_OP) or len(info.inputs) < 2:
            continue
        node = _qdq_node(info, tensors, base_dir, attrs.get(info.index, {}))
        if node.scale is None or (node.zero_point_tensor and node.zero_point is None):
            unknown.append(node.name)
        nodes[node.name] = node
    notes = []
    if unknown:
        notes.append(f"scale or zero-point values of {len(unknown)} Q/DQ nodes could not be read (inline tensors "
                     f"over the weight-free reader's limit), e.g. {unknown[0]}")
    by_output = {n.output: n for n in nodes.values()}
    return QdqView(graph=graph, nodes=nodes, by_output=by_output, constants=constants, notes=tuple(notes))


def _attributes(structure: Any) -> dict[int, dict[str, int]]:
    """Integer attributes (axis, block_size) of every Q/DQ node, by node index."""
    out: dict[int, dict[str, int]] = {}
    if structure is None:
        return out
    for i, n in enumerate(structure.graph.node):
        if n.op_type in (Q_OP, DQ_OP):
            out[i] = {a.name: int(a.i) for a in n.attribute if a.type == a.INT}
    return out


def _qdq_node(info: NodeInfo, tensors: dict[str, Any], base_dir: str | None, attrs: dict[str, int]) -> QdqNode:
    scale_name = info.inputs[1]
    zp_name = info.inputs[2] if len(info.inputs) > 2 and info.inputs[2] else None
    scale = _values(tensors.get(scale_name), base_dir)
    zp = _values(tensors.get(zp_name), base_dir) if zp_name else ()
    scale_count = len(scale) if scale is not None else _count(tensors.get(scale_name))
    return QdqNode(
        name=info.name, kind="Q" if info.op_type == Q_OP else "DQ", input=info.inputs[0],
        output=info.outputs[0] if info.outputs else "", scale_tensor=scale_name, zero_point_tensor=zp_name,
        scale=scale, zero_point=zp, zero_point_dtype=_dtype(tensors.get(zp_name)) if zp_name else None,
        scale_count=scale_count, axis=attrs.get("axis", 1), block_size=attrs.get("block_size", 0),
    )


def _count(t: Any) -> int | None:
    if t is None:
        return None
    n = 1
    for d in t.dims:
        n *= d
    return n


def _dtype(t: Any) -> str | None:
    if t is None:
        return None
    from onnx import TensorProto

    try:
        return str(TensorProto.DataType.Name(t.data_type))
    except ValueError:
        return None


_GRAPH_FIELD, _INITIALIZER_FIELD, _NAME_FIELD = 7, 5, 8  # ModelProto.graph, GraphProto.initializer, TensorProto.name


def _lacks_values(t: Any) -> bool:
    from onnx import TensorProto

    return t.data_location != TensorProto.EXTERNAL and not any(len(getattr(t, f)) for f in _VALUE_FIELDS)


def read_inline_tensors(path: str | os.PathLike[str], names: set[str]) -> dict[str, Any]:
    """The named initializers of a model file, values included, without reading any other initializer."""
    from onnx import TensorProto

    found: dict[str, Any] = {}
    try:
        with open(path, "rb") as fh:
            buf, size = PreadBuffer(fh.fileno()), os.fstat(fh.fileno()).st_size
            for field, _w, _s, gstart, gend in fields(buf, 0, size):
                if field != _GRAPH_FIELD:
                    continue
                for f2, _w2, _s2, tstart, tend in fields(buf, gstart, gend):
                    if f2 != _INITIALIZER_FIELD:
                        continue
                    name = next((bytes(buf[p:e]).decode("utf-8", "replace")
                                 for f3, _w3, _s3, p, e in fields(buf, tstart, tend) if f3 == _NAME_FIELD), "")
                    if name in names:
                        t = TensorProto()
                        t.ParseFromString(bytes(buf[tstart:tend]))
                        found[name] = t
    except (OSError, ValueError):  # the values stay unknown; build_view notes it
        return found
    return found


def _values(t: Any, base_dir: str | None) -> tuple[float, ...] | None:
    """The values of a small constant tensor, or None when they were not kept (and are not external)."""
    if t is None:
        return None
    from onnx import TensorProto, numpy_helper

    external = t.data_location == TensorProto.EXTERNAL
    if not external and not any(len(getattr(t, f)) for f in _VALUE_FIELDS):
        return () if _count(t) == 0 else None
    try:
        array = numpy_helper.to_array(t, base_dir or "") if external else numpy_helper.to_array(t)
    except Exception:  # unreadable external file or an exotic dtype: the value stays unknown
        return None
    return tuple(float(v) for v in array.reshape(-1).tolist())
