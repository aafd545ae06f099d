"""Walk a graph in node order through a simulated ``ImporterContext`` and predict every unique name.

The simulation keeps the parser's two name sets (layers, tensors) and its one suffix counter; each
node runs the registration sequence its op has in :mod:`trtdiag.parser_replay.increments`. An op
without a recorded sequence, or whose preconditions fail, or a rank the graph does not give, STOPS
the replay at that node: nothing after it is predicted, because one unknown registration would
shift every later number.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from trtdiag.parser_replay.importers import PROCEDURES, Unmodelled
from trtdiag.parser_replay.increments import TO_MAX, TO_RANK2, Condition, ParserModel, Step, StepKind
from trtdiag.parser_replay.rgraph import UNKNOWN_RANK, ReplayGraph, ReplayNode, TensorFacts
from trtdiag.parser_replay.shapes import SimTensor, add_shuffle, concat, fill, shape_of, shape_vector

BROADCAST_BASE = "ONNXTRT_Broadcast"
LAYER, TENSOR = "layer", "tensor"


@dataclass(frozen=True)
class Registered:
    """One predicted ``generateUniqueName`` call."""

    space: str  # LAYER or TENSOR
    base: str
    name: str  # the unique name given
    node: str | None  # the node being imported; None before the first node


@dataclass(frozen=True)
class PredictedBroadcast:
    number: int | None  # N of ONNXTRT_Broadcast_N; None for the first (unsuffixed) one
    node: str
    op_type: str
    operand: str  # the ONNX tensor broadcast (a weight, a constant or an activation)
    operand_index: int


@dataclass(frozen=True)
class ReplayResult:
    model: ParserModel
    registrations: tuple[Registered, ...]
    broadcasts: tuple[PredictedBroadcast, ...]
    nodes_replayed: int
    nodes_total: int
    stopped_at: str | None  # node name where the replay stopped; None when it reached the end
    stop_reason: str | None
    final_counter: int

    @property
    def complete(self) -> bool:
        return self.stopped_at is None


_Stop = Unmodelled  # raised inside a node's sequence: the replay cannot tell what this node registers


@dataclass
class _Ctx:
    graph: ReplayGraph
    layers: set[str] = field(default_factory=set)
    tensors: set[str] = field(default_factory=set)
    const_layers: set[str] = field(default_factory=set)
    counter: int = 0
    regs: list[Registered] = field(default_factory=list)
    broadcasts: list[PredictedBroadcast] = field(default_factory=list)
    cur: ReplayNode | None = None
    weights: frozenset[str] | None = None

    def unique(self, space: str, base: str, node: str | None) -> str:
        """weightUtils.cpp ``generateUniqueName``: the counter moves only on a collision."""
        names = self.layers if space == LAYER else self.tensors
        candidate = base
        while candidate in names:
            candidate = f"{base}_{self.counter}"
            self.counter += 1
        names.add(candidate)
        self.regs.append(Registered(space, base, candidate, node))
        return candidate

    def facts(self, node: ReplayNode, i: int) -> TensorFacts:
        if i >= len(node.inputs) or not node.inputs[i]:
            return TensorFacts(0, True)  # a missing LayerNorm scale/bias: a scalar constant
        f = self.graph.facts(node.inputs[i])
        if f is None or f.rank == UNKNOWN_RANK:
            raise _Stop(f"rank of {node.inputs[i]!r} (input {i} of {node.name}) is not known")
        return f

    def is_weights_name(self, name: str) -> bool:
        if self.weights is None:  # initializers and Constant outputs, computed once per replay
            self.weights = frozenset(self.graph.initializers) | _constant_outputs(self.graph)
        return name in self.weights

    # --- the importers' view of the context (trtdiag.parser_replay.importers.Host) ---
    @property
    def opset(self) -> int | None:
        return self.graph.opset

    def layer(self, base: str) -> None:
        self.unique(LAYER, base, self.cur.name if self.cur else None)

    def tmp_weight(self) -> str:
        return self.unique(TENSOR, "tmp_weight", self.cur.name if self.cur else None)

    def view(self, node: ReplayNode, i: int) -> SimTensor:
        f = self.facts(node, i)
        dims = f.dims if f.dims is not None else ((-1,) * f.rank if not f.static else (() if f.rank == 0 else None))
        if dims is None:
            raise _Stop(f"dims of {node.inputs[i]!r} (input {i} of {node.name}) are not known")
        return SimTensor(dims, f.dtype)

    def to_tensor(self, node: ReplayNode, i: int) -> SimTensor:
        _const(self, node, i)
        return self.view(node, i)

    def is_weights(self, node: ReplayNode, i: int) -> bool:
        return i < len(node.inputs) and bool(node.inputs[i]) and self.is_weights_name(node.inputs[i])

    def ints(self, node: ReplayNode, i: int) -> list[int]:
        vals = self.graph.values.get(node.inputs[i]) if i < len(node.inputs) else None
        if vals is None:
            raise _Stop(f"{node.name}: the values of {node.inputs[i] if i < len(node.inputs) else i!r} are not known")
        return list(vals)

    def dtype(self, node: ReplayNode, i: int) -> str | None:
        return self.facts(node, i).dtype if i < len(node.inputs) and node.inputs[i] else None

    def node_layer(self, node: ReplayNode) -> None:
        self.unique(LAYER, node.name, node.name)

    def broadcast(self, node: ReplayNode, operand: str, t: SimTensor, nb_dims: int) -> None:
        """importerUtils.cpp:159-175 ``broadcastTensor``: only when the operand's rank is lower."""
        if t.dims is None:
            raise _Stop(f"{node.name}: broadcast of an operand of unknown rank")
        if t.rank >= nb_dims:
            return
        add_shuffle(self, concat(self, fill(self, 1, shape_vector(nb_dims - t.rank)), shape_of(t)))
        name = self.unique(LAYER, BROADCAST_BASE, node.name)
        number = None if name == BROADCAST_BASE else int(name.rsplit("_", 1)[1])
        index = node.inputs.index(operand) if operand and operand in node.inputs else -1
        self.broadcasts.append(PredictedBroadcast(number, node.name, node.op_type, operand, index))


def _constant_outputs(graph: ReplayGraph) -> frozenset[str]:
    return frozenset(t for n in graph.nodes if n.op_type == "Constant" for t in n.outputs)


def _check(ctx: _Ctx, node: ReplayNode, cond: Condition) -> bool:
    if cond is Condition.INPUT1_WEIGHTS:
        return len(node.inputs) > 1 and ctx.is_weights_name(node.inputs[1])
    if cond is Condition.RANK_NOT_3:
        return ctx.facts(node, 0).rank != 3
    if cond is Condition.NO_RANK1_MATMUL:
        return ctx.facts(node, 0).rank != 1 and ctx.facts(node, 1).rank != 1
    if cond is Condition.BN_WEIGHTS:
        dtype = ctx.facts(node, 0).dtype
        return (ctx.facts(node, 0).rank in (4, 5) and len(node.inputs) == 5 and dtype is not None
                and all(ctx.is_weights_name(t) and ctx.facts(node, i + 1).dtype == dtype
                        for i, t in enumerate(node.inputs[1:])))
    return node.attr("alpha", 1.0) == 1.0 and node.attr("beta", 1.0) == 1.0  # Condition.DEFAULT_ALPHA_BETA


def _const(ctx: _Ctx, node: ReplayNode, i: int) -> None:
    """importerUtils.cpp ``convertToTensor``: a constant layer for weights, looked up by their name."""
    if i >= len(node.inputs) or not node.inputs[i]:
        return
    name = node.inputs[i]
    if ctx.is_weights_name(name) and name not in ctx.const_layers:
        ctx.const_layers.add(ctx.unique(LAYER, name, node.name))


def _broadcast(ctx: _Ctx, node: ReplayNode, i: int, target: int) -> None:
    """importerUtils.cpp:159-175 ``broadcastTensor`` of input ``i`` (a missing optional input: a scalar)."""
    present = i < len(node.inputs) and bool(node.inputs[i])
    t = ctx.view(node, i) if present else SimTensor(())
    if t.rank >= target:
        return
    add_shuffle(ctx, concat(ctx, fill(ctx, 1, shape_vector(target - t.rank)), shape_of(t)))
    name = ctx.unique(LAYER, BROADCAST_BASE, node.name)
    number = None if name == BROADCAST_BASE else int(name.rsplit("_", 1)[1])
    operand = node.inputs[i] if present else ""
    ctx.broadcasts.append(PredictedBroadcast(number, node.name, node.op_type, operand, i))


def _target_rank(ctx: _Ctx, node: ReplayNode, to: int) -> int:
    if to == TO_RANK2:
        return 2
    if to == TO_MAX:
        present = [i for i, t in enumerate(node.inputs) if t]
        if not present:
            raise _Stop(f"{node.name} [{node.op_type}] has no inputs")
        return max(ctx.facts(node, i).rank for i in present)
    return ctx.facts(node, to).rank


def _step(ctx: _Ctx, node: ReplayNode, step: Step) -> None:
    kind = step.kind
    if kind is StepKind.NEED:
        assert step.cond is not None
        if not _check(ctx, node, step.cond):
            raise _Stop(f"{node.name} [{node.op_type}]: modelled only when {step.cond.value}")
    elif kind is StepKind.CONST:
        _const(ctx, node, step.arg)
    elif kind is StepKind.NODE:
        ctx.unique(LAYER, node.name, node.name)
    elif kind is StepKind.HELPER:
        ctx.unique(LAYER, step.name, node.name)
    elif kind is StepKind.TMP_WEIGHT:
        ctx.unique(TENSOR, "tmp_weight", node.name)
    elif kind is StepKind.BROADCAST:
        if step.arg < len(node.inputs) and node.inputs[step.arg]:
            _broadcast(ctx, node, step.arg, _target_rank(ctx, node, step.to))
    elif kind is StepKind.BROADCAST_ALL:
        target = _target_rank(ctx, node, TO_MAX)
        for i, t in enumerate(node.inputs):
            if t:
                _const(ctx, node, i)
                _broadcast(ctx, node, i, target)
    elif kind is StepKind.CONST_ALL:
        for i in range(len(node.inputs)):
            _const(ctx, node, i)
    elif kind is StepKind.GATHER_CAST:
        data, indices = ctx.facts(node, 0).dtype, ctx.facts(node, 1).dtype
        if data is None or indices is None:
            raise _Stop(f"{node.name}: Gather input dtypes not known")
        if data != "INT64" and indices == "INT64":
            ctx.unique(LAYER, "ONNXTRT_castHelper", node.name)
    elif kind is StepKind.PROC:
        PROCEDURES[step.name](ctx, node)
    elif kind is StepKind.SHAPE_OF:
        static = ctx.facts(node, step.arg).static
        if static is None:
            raise _Stop(f"{node.name}: whether the dims of input {step.arg} are known is not known")
        if not static:
            ctx.unique(LAYER, "ONNXTRT_ShapeTensor", node.name)
            ctx.unique(LAYER, "ONNXTRT_castHelper", node.name)


def _prologue(ctx: _Ctx) -> None:
    """ModelImporter.cpp: graph outputs reserved, then graph inputs, then initializers."""
    for name in (*ctx.graph.outputs, *ctx.graph.inputs, *ctx.graph.initializers):
        ctx.unique(TENSOR, name, None)


def replay(graph: ReplayGraph, model: ParserModel) -> ReplayResult:
    """Replay the whole graph from its first node (the counter starts at 0 in the parser)."""
    ctx = _Ctx(graph)
    _prologue(ctx)
    stopped: str | None = None
    reason: str | None = None
    done = 0
    for node in graph.nodes:
        recipe = model.recipes.get(node.op_type)
        if recipe is None:
            stopped, reason = node.name, f"{node.name} [{node.op_type}]: op not modelled for {model.label}"
            break
        ctx.cur = node
        try:
            for step in recipe:
                _step(ctx, node, step)
        except _Stop as stop:
            stopped, reason = node.name, str(stop)
            break
        for out in node.outputs:
            if out:
                ctx.unique(TENSOR, out, node.name)
        done += 1
    return ReplayResult(model, tuple(ctx.regs), tuple(ctx.broadcasts), done, len(graph.nodes), stopped, reason,
                        ctx.counter)
