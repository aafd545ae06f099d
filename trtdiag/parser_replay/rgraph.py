"""The little a counter replay needs of a graph: node order, names, ranks, which inputs are weights.

Two sources: an ONNX model (the weight-free structure kept by ``GraphIndex``, with ONNX shape
inference for ranks), or a verbose parse log, whose ``<node> [<op>] inputs: [t -> (dims)[TYPE]]``
lines list every node with the shapes the parser saw (so a replay can be checked against the
registrations the same log prints, without the model).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

# A tensor's rank and whether all its dims are known. ``static`` None: rank known, dims not known.
UNKNOWN_RANK = -1


@dataclass(frozen=True)
class TensorFacts:
    rank: int  # UNKNOWN_RANK when not known
    static: bool | None  # all dims known (TensorRT then builds shape tensors without layers)
    dtype: str | None = None  # "FLOAT", "INT64"... (TensorRT's spelling in verbose logs)
    dims: tuple[int, ...] | None = None  # per dim, UNKNOWN_RANK (-1) where dynamic; None: not recorded


@dataclass(frozen=True)
class ReplayNode:
    name: str  # as the parser names it: the node name or "node_of_<first output>"
    op_type: str
    inputs: tuple[str, ...]  # "" for an omitted optional input
    outputs: tuple[str, ...]
    attrs: tuple[tuple[str, float | None], ...] = ()  # attribute names (numeric values where scalar)
    int_lists: tuple[tuple[str, tuple[int, ...]], ...] = ()  # INTS attributes (axes, perm, ...)

    def attr(self, key: str, default: float | None = None) -> float | None:
        return next((v for k, v in self.attrs if k == key), default)

    def has_attr(self, key: str) -> bool:
        return any(k == key for k, _ in self.attrs)

    def ints(self, key: str) -> tuple[int, ...] | None:
        return next((v for k, v in self.int_lists if k == key), None)


@dataclass(frozen=True)
class ReplayGraph:
    nodes: tuple[ReplayNode, ...]
    inputs: tuple[str, ...]  # graph.input order (may repeat initializer names: old exporters)
    initializers: tuple[str, ...]
    outputs: tuple[str, ...]
    opset: int | None
    tensors: dict[str, TensorFacts]
    source: str  # "onnx" or "verbose-log"
    values: dict[str, tuple[int, ...]] = field(default_factory=dict)  # small integer weights (axes, starts...)

    def facts(self, name: str) -> TensorFacts | None:
        return self.tensors.get(name)


def _dims_facts(dims: Iterable[int | str | None], dtype: str | None = None) -> TensorFacts:
    ds = list(dims)
    per_dim = tuple(d if isinstance(d, int) and d >= 0 else UNKNOWN_RANK for d in ds)
    return TensorFacts(len(ds), all(isinstance(d, int) and d > 0 for d in ds), dtype, per_dim)


def _dtype(elem: int) -> str | None:
    import onnx  # optional third-party package

    try:
        return str(onnx.TensorProto.DataType.Name(elem)) if elem else None
    except ValueError:
        return None


def _value_info_facts(vi: Any) -> TensorFacts | None:
    tt = vi.type.tensor_type
    if not tt.HasField("shape"):
        return None
    return _dims_facts((d.dim_value if d.HasField("dim_value") else None for d in tt.shape.dim),
                       _dtype(tt.elem_type))


def _int_values(t: Any) -> tuple[int, ...] | None:
    """The values of a small integer tensor (shape arithmetic reads them); None when stripped or not integer."""
    import onnx  # optional third-party package

    if t.data_type not in (onnx.TensorProto.INT64, onnx.TensorProto.INT32):
        return None
    try:
        arr = onnx.numpy_helper.to_array(t)
    except Exception:  # a weight-free structure keeps no values for large tensors
        return None
    n = 1
    for d in t.dims:
        n *= int(d)
    return tuple(int(v) for v in arr.reshape(-1)) if arr.size == n else None


def _int_lists(n: Any) -> tuple[tuple[str, tuple[int, ...]], ...]:
    return tuple((a.name, tuple(int(i) for i in a.ints)) for a in n.attribute if a.type == 7)  # INTS


def _node_attrs(n: Any) -> tuple[tuple[str, float | None], ...]:
    out: list[tuple[str, float | None]] = []
    for a in n.attribute:
        value: float | None = None
        if a.type == 1:  # FLOAT
            value = float(a.f)
        elif a.type == 2:  # INT
            value = float(a.i)
        out.append((a.name, value))
    return tuple(out)


_SAME_SHAPE = frozenset({"Cast", "Softmax", "Relu", "Sigmoid", "Tanh", "Erf", "Sqrt", "Exp", "Not", "Identity", "Abs",
                         "Log", "Reciprocal", "LayerNormalization", "Neg", "LeakyRelu"})
_BROADCASTING = frozenset({"Add", "Sub", "Mul", "Div", "Pow", "Equal", "Where", "Max", "Min", "MatMul"})


def _fill_ranks(nodes: list[ReplayNode], tensors: dict[str, TensorFacts]) -> None:
    """Ranks ONNX shape inference left out (TensorRT always knows a tensor's rank while parsing).

    Dims filled this way are all unknown; only the rank, which the replay needs, is derived: a
    Reshape has as many dims as its shape input has values, a Transpose or an elementwise op keeps
    its input's rank, a broadcasting op takes the largest."""
    for n in nodes:
        if not n.outputs or not n.outputs[0] or n.outputs[0] in tensors:
            continue
        ins = [tensors.get(i) for i in n.inputs if i]
        rank: int | None = None
        if n.op_type == "Reshape" and len(ins) > 1 and ins[1] is not None and ins[1].dims and ins[1].dims[0] >= 0:
            rank = ins[1].dims[0]
        elif (n.op_type in _SAME_SHAPE or n.op_type == "Transpose") and ins and ins[0] is not None:
            rank = ins[0].rank
        elif n.op_type in ("ReduceMean", "ReduceSum") and ins and ins[0] is not None and ins[0].rank >= 0:
            kept = n.attr("keepdims", 1.0)
            rank = ins[0].rank if kept else ins[0].rank - len(n.ints("axes") or ())
        elif n.op_type in _BROADCASTING and ins and all(f is not None and f.rank >= 0 for f in ins):
            rank = max(f.rank for f in ins if f is not None)
        if rank is not None and rank >= 0:
            dtype = None if n.op_type == "Cast" or not ins or ins[0] is None else ins[0].dtype
            tensors[n.outputs[0]] = TensorFacts(rank, rank == 0, dtype, (UNKNOWN_RANK,) * rank)


def from_onnx(model: Any) -> ReplayGraph:
    """Build from an ``onnx.ModelProto`` (weights may be stripped: only dims are read)."""
    import onnx  # optional third-party package, imported only when a model is replayed

    g = model.graph
    tensors: dict[str, TensorFacts] = {}
    try:
        inferred = onnx.shape_inference.infer_shapes(model, strict_mode=False).graph
        infos = list(inferred.value_info)
    except Exception:  # shape inference is best effort; missing ranks stop the replay where needed
        infos = []
    for vi in [*g.input, *g.value_info, *g.output, *infos]:
        f = _value_info_facts(vi)
        if f is not None:
            tensors.setdefault(vi.name, f)
    values: dict[str, tuple[int, ...]] = {}
    for t in g.initializer:
        tensors[t.name] = _dims_facts(t.dims, _dtype(t.data_type))
        if (v := _int_values(t)) is not None:
            values[t.name] = v
    nodes = []
    for n in g.node:
        if n.op_type == "Constant":
            for a in n.attribute:
                if a.name == "value" and n.output:
                    tensors[n.output[0]] = _dims_facts(a.t.dims, _dtype(a.t.data_type))
                    if (v := _int_values(a.t)) is not None:
                        values[n.output[0]] = v
        name = n.name or (f"node_of_{n.output[0]}" if n.output else "")
        nodes.append(ReplayNode(name, n.op_type, tuple(n.input), tuple(n.output), _node_attrs(n), _int_lists(n)))
    _fill_ranks(nodes, tensors)
    opset = next((i.version for i in model.opset_import if i.domain in ("", "ai.onnx")), None)
    return ReplayGraph(tuple(nodes), tuple(i.name for i in g.input), tuple(t.name for t in g.initializer),
                       tuple(o.name for o in g.output), opset, tensors, "onnx", values)


_PARSING = re.compile(r"Parsing node: (?P<name>.+) \[(?P<op>[A-Za-z0-9_]+)\]\s*$")
_IO = re.compile(r"\] (?P<what>inputs|outputs): (?P<rest>.*)$")
_ITEM = re.compile(r"\[(?P<t>[^\[\]]*?) -> \((?P<dims>[^)]*)\)\[(?P<type>[A-Z0-9]+)\]\]")
_OPTIONAL = "[optional input, not set]"
_INPUT = re.compile(
    r"Adding network input: (?P<name>\S+) with dtype: (?P<dtype>[^,\s]+), dimensions: \((?P<dims>[^)]*)\)")
_DTYPES = {"float32": "FLOAT", "float16": "FLOAT16", "int64": "INT64", "int32": "INT32", "bool": "BOOL"}
_MARK = re.compile(r"Marking \S+ as output: (?P<name>\S+)\s*$")


def _log_dims(spec: str, dtype: str | None = None) -> TensorFacts:
    parts = [p.strip() for p in spec.split(",") if p.strip()]
    return _dims_facts((int(p) if p.lstrip("-").isdigit() else None for p in parts), dtype)


def _io_items(rest: str) -> list[tuple[str, TensorFacts]]:
    items: list[tuple[str, TensorFacts]] = []
    pos = 0
    while pos < len(rest):
        if rest.startswith(_OPTIONAL, pos):
            items.append(("", TensorFacts(UNKNOWN_RANK, None)))
            pos += len(_OPTIONAL)
            continue
        m = _ITEM.match(rest, pos)
        if m is None:
            pos += 1
            continue
        items.append((m.group("t"), _log_dims(m.group("dims"), m.group("type"))))
        pos = m.end()
    return items


def from_verbose_log(lines: Iterable[str], opset: int | None = None) -> ReplayGraph:
    """Rebuild the parse order from a verbose log (first parse only). Attributes are not logged: Gemm
    alpha/beta are taken as 1 and Constant as a ``value`` tensor; ``opset`` None is taken as >= 13."""
    nodes: list[ReplayNode] = []
    tensors: dict[str, TensorFacts] = {}
    inputs: list[str] = []
    outputs: list[str] = []
    cur: dict[str, Any] | None = None
    for line in lines:
        if (m := _INPUT.search(line)) and not nodes:
            inputs.append(m.group("name"))
            tensors[m.group("name")] = _log_dims(m.group("dims"), _DTYPES.get(m.group("dtype").lower()))
        elif m := _PARSING.search(line):
            if outputs:  # a second parse of the model in the same log
                break
            cur = {"name": m.group("name"), "op": m.group("op"), "in": (), "out": ()}
            nodes.append(ReplayNode(cur["name"], cur["op"], (), ()))
        elif cur is not None and (m := _IO.search(line)) and f"{cur['name']} [{cur['op']}] " in line:
            items = _io_items(m.group("rest"))
            for t, f in items:
                if t:
                    tensors.setdefault(t, f)
            cur["in" if m.group("what") == "inputs" else "out"] = tuple(t for t, _ in items)
            nodes[-1] = ReplayNode(cur["name"], cur["op"], cur["in"], cur["out"], (("value", None),))
        elif m := _MARK.search(line):
            outputs.append(m.group("name"))
    produced = {t for n in nodes for t in n.outputs}
    inits = tuple(dict.fromkeys(t for n in nodes for t in n.inputs if t and t not in produced and t not in inputs))
    return ReplayGraph(tuple(nodes), tuple(inputs), inits, tuple(outputs), opset, tensors, "verbose-log")
