"""An index of an ONNX graph for name mapping: who produces and consumes each tensor, and where
each node sits in a transformer (encoder block and sub-module).

Weights are never read (``load_external_data=False``): names, dims and dtypes are all the mapper
needs, so models over 2 GB with external data load in well under a second.

``onnx`` is imported inside the functions that need it: it is a heavy import, and ``import trtdiag``
(and the CLI's ``--help``) should not pay for it.
"""

from __future__ import annotations

import ast
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING

from trtdiag.errors import InputError
from trtdiag.onnx.structure import decode_text_fields, load_structure, structure_only

if TYPE_CHECKING:
    from onnx import GraphProto, ModelProto, ValueInfoProto

#: Initializers: name -> (dtype name, dims).
Initializers = dict[str, tuple[str, tuple[int, ...]]]
#: Graph inputs: name -> (dtype name, dims), dims symbolic (str) or fixed (int).
InputDims = dict[str, tuple[str, tuple[str | int, ...]]]

INTEGER_DTYPES = frozenset({"INT64", "INT32", "INT16", "UINT64", "UINT32", "UINT16", "BOOL"})
#: Path components that number a repeated block: HF ``layer.2``, ``layers.0``, GPT ``h.3``,
#: ``blocks.1``; dynamo and Myelin rewrite the dot to ``_``.
_BLOCK_COMPONENT = re.compile(r"^(?:layer|layers|h|block|blocks|encoder_layer|decoder_layer|resblocks)[._](\d+)$")
_BLOCK_IN_DOTTED = re.compile(
    r"(?:^|\.)(?:layer|layers|h|block|blocks|encoder_layer|decoder_layer|resblocks)\.(\d+)(?:\.|$)"
)
_PARAM_SUFFIX = re.compile(r"\.(?:weight|bias|gamma|beta|running_mean|running_var)$")
_ANONYMOUS_INIT = re.compile(r"^(?:onnx::|val_\d|_v_\d|/|tmp_)")


class ModuleSource(str, Enum):
    """What a node's module was recovered from, most reliable first."""

    NAME = "name"  # TorchScript exporter node names: /encoder/layer.2/attention/...
    METADATA = "metadata"  # dynamo's pkg.torch.onnx.name_scopes metadata
    INITIALIZER = "initializer"  # a named parameter the node reads: encoder.layer.0.attention.self.query.weight
    PROPAGATED = "propagated"  # the block of the nearest labelled producer

    def __str__(self) -> str:
        return self.value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)


@dataclass(frozen=True)
class Module:
    """Where a node or tensor sits: encoder block (None outside the blocks) and sub-module path."""

    block: int | None
    submodule: str  # e.g. "attention.output.LayerNorm", "embeddings", "" for the root
    source: ModuleSource


@dataclass(frozen=True)
class NodeInfo:
    name: str
    op_type: str
    index: int
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    domain: str = ""


@dataclass(frozen=True)
class TransformerInfo:
    """Evidence that the model is a transformer encoder (or not)."""

    is_transformer: bool
    attention_patterns: int  # MatMul -> ... -> Softmax -> ... -> MatMul
    layernorms: int  # fused LayerNormalization + decomposed (Pow -> ReduceMean) ones
    blocks: int
    softmax_nodes: tuple[str, ...]
    attention_matmuls: tuple[str, ...] = ()  # the score (Q.K^T) and context (P.V) MatMuls


@dataclass(frozen=True)
class GraphIndex:
    """Lookup tables over one ONNX graph. Build with :func:`load_graph` or :func:`index_model`."""

    path: str | None
    producer_name: str
    producer_version: str
    opset: int | None
    ir_version: int
    nodes: tuple[NodeInfo, ...]
    node_by_name: dict[str, int]
    producer: dict[str, int]  # tensor -> node index
    consumers: dict[str, tuple[int, ...]]  # tensor -> node indices
    initializers: Initializers
    external_initializers: int
    constant_outputs: dict[str, int]  # Constant-node output -> node index
    inputs: InputDims
    outputs: tuple[str, ...]
    dtypes: dict[str, str]  # tensor -> dtype name, where known (inputs, value_info, inference)
    modules: dict[str, Module]  # node name -> module
    op_counts: dict[str, int]
    transformer: TransformerInfo
    qdq_nodes: int
    #: The model with its large weights dropped (dims kept): enough for shape inference, cheap to copy.
    structure: ModelProto = field(repr=False, compare=False)
    warnings: tuple[str, ...] = field(default=())

    # -- lookups
    def node(self, name: str) -> NodeInfo | None:
        i = self.node_by_name.get(name)
        return self.nodes[i] if i is not None else None

    def producer_of(self, tensor: str) -> NodeInfo | None:
        i = self.producer.get(tensor)
        return self.nodes[i] if i is not None else None

    def consumers_of(self, tensor: str) -> list[NodeInfo]:
        return [self.nodes[i] for i in self.consumers.get(tensor, ())]

    def dtype_of(self, tensor: str) -> str | None:
        if tensor in self.initializers:
            return self.initializers[tensor][0]
        return self.dtypes.get(tensor)

    def module_of_node(self, name: str) -> Module | None:
        return self.modules.get(name)

    def module_of_tensor(self, tensor: str) -> Module | None:
        """Module of a tensor: its producer's, else (weights, inputs) its first consumer's."""
        p = self.producer_of(tensor)
        if p is not None and p.op_type != "Constant":
            return self.modules.get(p.name)
        if tensor in self.initializers and not _ANONYMOUS_INIT.match(tensor) and _PARAM_SUFFIX.search(tensor):
            m = module_from_dotted(_PARAM_SUFFIX.sub("", tensor), ModuleSource.INITIALIZER)
            if m is not None:
                return m
        for c in self.consumers_of(tensor):
            m = self.modules.get(c.name)
            if m is not None:
                return m
        return None


# --- module recovery -----------------------------------------------------------------------------


def module_from_node_name(name: str) -> Module | None:
    """TorchScript-exporter names: ``/encoder/layer.2/attention/output/LayerNorm/Add_1``."""
    if not name.startswith("/"):
        return None
    parts = name.split("/")[1:-1]
    if not parts:
        return Module(None, "", ModuleSource.NAME)
    for i, comp in enumerate(parts):
        m = _BLOCK_COMPONENT.match(comp)
        if m:
            return Module(int(m.group(1)), ".".join(parts[i + 1 :]), ModuleSource.NAME)
    return Module(None, ".".join(parts), ModuleSource.NAME)


def module_from_dotted(path: str, source: ModuleSource) -> Module | None:
    """A dotted module path (dynamo name scopes, parameter names): ``encoder.layer.0.attention.self``."""
    if not path:
        return Module(None, "", source)
    m = _BLOCK_IN_DOTTED.search(path)
    if m:
        rest = path[m.end() :] if path[m.end() - 1 : m.end()] == "." else ""
        return Module(int(m.group(1)), rest, source)
    if "." not in path and path.isidentifier() is False:
        return None
    return Module(None, path, source)


def _module_from_metadata(props: dict[str, str]) -> Module | None:
    raw = props.get("pkg.torch.onnx.name_scopes")
    if not raw:
        return None
    try:
        scopes = ast.literal_eval(raw)
    except (ValueError, SyntaxError):
        return None
    if not isinstance(scopes, list) or not scopes:
        return None
    path = scopes[-2] if len(scopes) >= 2 else ""
    if path == "_empty_nn_module_stack_from_metadata_hook":
        path = ""
    return module_from_dotted(str(path), ModuleSource.METADATA)


def _recover_modules(
    nodes: list[NodeInfo],
    metadata: list[dict[str, str]],
    initializers: Initializers,
    producer: dict[str, int],
) -> dict[str, Module]:
    modules: dict[str, Module] = {}
    for node, props in zip(nodes, metadata, strict=True):
        m = module_from_node_name(node.name) if node.name.startswith("/") else _module_from_metadata(props)
        if m is not None and (m.block is not None or m.submodule or node.name.startswith("/")):
            modules[node.name] = m
    # Anchor on named parameters the node reads (dynamo without metadata, stripped names).
    for node in nodes:
        if node.name in modules:
            continue
        for t in node.inputs:
            if t in initializers and not _ANONYMOUS_INIT.match(t) and _PARAM_SUFFIX.search(t):
                m = module_from_dotted(_PARAM_SUFFIX.sub("", t), ModuleSource.INITIALIZER)
                if m is not None:
                    modules[node.name] = m
                    break
    # A MatMul whose only consumer is an anchored bias Add is the same Linear.
    consumers: dict[str, list[int]] = {}
    for i, node in enumerate(nodes):
        for t in node.inputs:
            consumers.setdefault(t, []).append(i)
    for node in nodes:
        if node.name in modules or node.op_type not in ("MatMul", "Gemm"):
            continue
        users = consumers.get(node.outputs[0], []) if node.outputs else []
        if len(users) == 1:
            u = nodes[users[0]]
            um = modules.get(u.name)
            if um is not None and um.source == ModuleSource.INITIALIZER and u.op_type == "Add":
                modules[node.name] = um
    # Propagate the block index forward from the nearest labelled producer.
    for node in nodes:
        if node.name in modules:
            continue
        for t in node.inputs:
            pi = producer.get(t)
            if pi is None:
                continue
            pm = modules.get(nodes[pi].name)
            if pm is not None and pm.block is not None:
                modules[node.name] = Module(pm.block, "", ModuleSource.PROPAGATED)
                break
    return modules


# --- transformer detection -------------------------------------------------------------------

_SCORE_OPS = frozenset({"Add", "Div", "Mul", "Where", "Cast", "Sub", "Reshape", "Transpose", "Sqrt", "Identity"})
_PROB_OPS = frozenset({"Cast", "Dropout", "Identity", "Reshape", "Transpose", "Where"})


def _detect_transformer(
    nodes: list[NodeInfo],
    producer: dict[str, int],
    consumers: dict[str, tuple[int, ...]],
    modules: dict[str, Module],
) -> TransformerInfo:
    def reaches(start: str, ops: frozenset[str], target: str, forward: bool, hops: int) -> str | None:
        frontier = [start]
        for _ in range(hops):
            nxt: list[str] = []
            for t in frontier:
                idxs = consumers.get(t, ()) if forward else (
                    (producer[t],) if t in producer else ()
                )
                for i in idxs:
                    n = nodes[i]
                    if n.op_type == target:
                        return n.name
                    if n.op_type in ops:
                        nxt.extend(n.outputs if forward else n.inputs)
            frontier = nxt
        return None

    attention: list[str] = []
    matmuls: list[str] = []
    for n in nodes:
        if n.op_type != "Softmax" or not n.inputs or not n.outputs:
            continue
        scores = reaches(n.inputs[0], _SCORE_OPS, "MatMul", forward=False, hops=5)
        context = reaches(n.outputs[0], _PROB_OPS, "MatMul", forward=True, hops=4)
        if scores and context:
            attention.append(n.name)
            matmuls.extend((scores, context))
    fused_ln = sum(1 for n in nodes if n.op_type in ("LayerNormalization", "SimplifiedLayerNormalization"))
    decomposed = 0
    for n in nodes:
        if n.op_type == "Pow" and n.outputs and any(
            nodes[i].op_type == "ReduceMean" for i in consumers.get(n.outputs[0], ())
        ):
            decomposed += 1
    blocks = {m.block for m in modules.values() if m.block is not None}
    layernorms = fused_ln + decomposed
    return TransformerInfo(
        is_transformer=bool(attention) and layernorms > 0,
        attention_patterns=len(attention),
        layernorms=layernorms,
        blocks=len(blocks) if blocks else len(attention),
        softmax_nodes=tuple(attention),
        attention_matmuls=tuple(matmuls),
    )


# --- loading ---------------------------------------------------------------------------------


def load_graph(path: str | os.PathLike[str], *, infer_shapes: bool = True) -> GraphIndex:
    """Load an ONNX model's graph without its weights and index it.

    Raises :class:`InputError` with a one-line message when the file is missing or not ONNX.
    """
    p = Path(path)
    if not p.exists():
        raise InputError(f"model file not found: {p}")
    if p.is_dir():
        raise InputError(f"model path is a directory, not an ONNX file: {p}")
    if p.stat().st_size == 0:
        raise InputError(f"model file is empty: {p}")
    try:
        model = load_structure(p)  # the weights are skipped on disk, never parsed
    except OSError as exc:
        raise InputError(f"cannot read {p}: {exc.strerror or exc}") from exc
    except Exception as exc:  # protobuf and the wire reader raise assorted errors on garbage input
        raise InputError(f"{p} is not an ONNX model ({type(exc).__name__})") from exc
    if not model.graph.node:
        raise InputError(f"{p} is not an ONNX model with a graph (no nodes found)")
    return index_model(model, path=str(p), infer_shapes=infer_shapes, weights_dropped=True)


@dataclass
class _NodeTables:
    """The per-node lookup tables of :class:`GraphIndex`, built in one pass over the nodes."""

    nodes: list[NodeInfo] = field(default_factory=list)
    metadata: list[dict[str, str]] = field(default_factory=list)
    node_by_name: dict[str, int] = field(default_factory=dict)
    producer: dict[str, int] = field(default_factory=dict)
    consumers: dict[str, list[int]] = field(default_factory=dict)
    constant_outputs: dict[str, int] = field(default_factory=dict)


def _index_nodes(graph: GraphProto) -> _NodeTables:
    tables = _NodeTables()
    for i, n in enumerate(graph.node):
        name = n.name or (f"node_of_{n.output[0]}" if n.output else f"node_{i}")
        tables.nodes.append(NodeInfo(name, n.op_type, i, tuple(n.input), tuple(n.output), n.domain))
        tables.metadata.append({p.key: p.value for p in n.metadata_props})
        tables.node_by_name.setdefault(name, i)
        for t in n.output:
            if t:
                tables.producer[t] = i
                if n.op_type == "Constant":
                    tables.constant_outputs[t] = i
        for t in n.input:
            if t:
                tables.consumers.setdefault(t, []).append(i)
    return tables


def _dtype_name(elem: int) -> str:
    from onnx import TensorProto

    try:
        return TensorProto.DataType.Name(elem)
    except ValueError:
        return str(elem)


def _shape_of(vi: ValueInfoProto) -> tuple[str | int, ...]:
    tt = vi.type.tensor_type
    if not tt.HasField("shape"):
        return ()
    return tuple(d.dim_param or d.dim_value for d in tt.shape.dim)


def _index_values(graph: GraphProto) -> tuple[Initializers, int, InputDims, dict[str, str]]:
    """(initializers, how many are stored externally, graph inputs, dtypes declared in the graph)."""
    from onnx import TensorProto

    initializers: Initializers = {}
    external = 0
    for t in graph.initializer:
        initializers[t.name] = (_dtype_name(t.data_type), tuple(t.dims))
        if t.data_location == TensorProto.EXTERNAL:
            external += 1
    inputs: InputDims = {}
    dtypes: dict[str, str] = {}
    for vi in graph.input:
        if vi.name in initializers:
            continue
        dt = _dtype_name(vi.type.tensor_type.elem_type)
        inputs[vi.name] = (dt, _shape_of(vi))
        dtypes[vi.name] = dt
    for vi in (*graph.value_info, *graph.output):
        if vi.type.tensor_type.elem_type:
            dtypes[vi.name] = _dtype_name(vi.type.tensor_type.elem_type)
    return initializers, external, inputs, dtypes


def _inferred_dtypes(structure: ModelProto, dtypes: dict[str, str], warnings: list[str]) -> None:
    """Add the dtypes ONNX shape inference finds to ``dtypes`` (declared ones win)."""
    from onnx import shape_inference

    try:
        inferred = shape_inference.infer_shapes(structure, strict_mode=False)
    except Exception as exc:  # shape inference is a bonus; a model it cannot handle still maps
        warnings.append(f"ONNX shape inference failed ({type(exc).__name__}); tensor dtypes partly unknown")
        return
    for vi in inferred.graph.value_info:
        if vi.type.tensor_type.elem_type:
            dtypes.setdefault(vi.name, _dtype_name(vi.type.tensor_type.elem_type))


def _default_opset(model: ModelProto) -> int | None:
    opset = None
    for imp in model.opset_import:
        if imp.domain in ("", "ai.onnx"):
            opset = imp.version
    return opset


def index_model(model: ModelProto, *, path: str | None = None, infer_shapes: bool = True,
                weights_dropped: bool = False) -> GraphIndex:
    """Index an in-memory ``onnx.ModelProto`` (``weights_dropped``: it is already weight-free)."""
    warnings: list[str] = []
    replaced = decode_text_fields(model)
    if replaced:
        warnings.append(f"{replaced} names or strings in the model are not valid UTF-8; they were read with "
                        "replacement characters (\ufffd)")
    g = model.graph
    tables = _index_nodes(g)
    consumers = {k: tuple(v) for k, v in tables.consumers.items()}
    initializers, external, inputs, dtypes = _index_values(g)
    structure = model if weights_dropped else structure_only(model)
    if infer_shapes:
        _inferred_dtypes(structure, dtypes, warnings)
    for t, i in tables.constant_outputs.items():
        for a in g.node[i].attribute:
            if a.name == "value" and a.t is not None:
                dtypes.setdefault(t, _dtype_name(a.t.data_type))
    modules = _recover_modules(tables.nodes, tables.metadata, initializers, tables.producer)
    op_counts = dict(Counter(n.op_type for n in tables.nodes).most_common())
    return GraphIndex(
        structure=structure,
        path=path,
        producer_name=model.producer_name,
        producer_version=model.producer_version,
        opset=_default_opset(model),
        ir_version=model.ir_version,
        nodes=tuple(tables.nodes),
        node_by_name=tables.node_by_name,
        producer=tables.producer,
        consumers=consumers,
        initializers=initializers,
        external_initializers=external,
        constant_outputs=tables.constant_outputs,
        inputs=inputs,
        outputs=tuple(o.name for o in g.output),
        dtypes=dtypes,
        modules=modules,
        op_counts=op_counts,
        transformer=_detect_transformer(tables.nodes, tables.producer, consumers, modules),
        qdq_nodes=op_counts.get("QuantizeLinear", 0) + op_counts.get("DequantizeLinear", 0),
        warnings=tuple(warnings),
    )
