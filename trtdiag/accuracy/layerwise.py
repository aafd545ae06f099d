"""Layer-wise comparison: where, in graph order, the candidate's error first leaves its earlier class.

Tensors are ordered by their producer's position in the ONNX graph (the candidate's saved order without a
model) and mapped to ONNX node, encoder block and sub-module with :class:`trtdiag.onnx.graph.GraphIndex`.
The *first divergence* is the first tensor whose class is the worst class of all compared tensors: every
tensor before it is in a better class, so this is where the error grows past what came before (e.g. the
first ``degraded`` tensor after a run of ``int8-level`` ones). Tensors with NaN/Inf the reference lacks are
listed separately, because a Q/DQ pair or a clamp further on can hide them from the final outputs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from trtdiag.accuracy.classify import AccuracyClass, worst
from trtdiag.accuracy.metrics import TensorMetrics
from trtdiag.onnx.graph import GraphIndex


@dataclass(frozen=True)
class TensorPlace:
    """Where a tensor comes from in the ONNX model (all None without a model or for unknown names)."""

    tensor: str
    onnx_node: str | None = None
    op_type: str | None = None
    block: int | None = None
    submodule: str | None = None
    order: int = 0


@dataclass(frozen=True)
class Divergence:
    place: TensorPlace
    accuracy_class: AccuracyClass
    previous_class: AccuracyClass  # the worst class of the tensors before it
    rel_l2: float


@dataclass(frozen=True)
class BlockError:
    """The error of one encoder block's compared tensors (``block`` None: outside the blocks)."""

    block: int | None
    tensors: int
    max_rel_l2: float
    accuracy_class: AccuracyClass


@dataclass(frozen=True)
class Layerwise:
    tensors: tuple[tuple[TensorPlace, TensorMetrics], ...]  # in graph order
    first_divergence: Divergence | None
    non_finite: tuple[tuple[TensorPlace, TensorMetrics], ...]
    blocks: tuple[BlockError, ...]


def place_of(tensor: str, graph: GraphIndex | None, fallback_order: int) -> TensorPlace:
    """ONNX node, op type, block and sub-module of a tensor (graph inputs and unknown names: order first)."""
    if graph is None:
        return TensorPlace(tensor, order=fallback_order)
    node = graph.producer_of(tensor)
    module = graph.module_of_tensor(tensor)
    return TensorPlace(
        tensor,
        onnx_node=node.name if node else None,
        op_type=node.op_type if node else None,
        block=module.block if module else None,
        submodule=module.submodule if module else None,
        order=node.index if node else -1,
    )


def compare_layerwise(metrics: Mapping[str, TensorMetrics], graph: GraphIndex | None,
                      saved_order: Sequence[str]) -> Layerwise:
    """Order the compared tensors, find the first divergence, the non-finite ones and the per-block errors."""
    placed = [(place_of(name, graph, i), metrics[name]) for i, name in enumerate(saved_order) if name in metrics]
    placed.sort(key=lambda pm: pm[0].order)
    non_finite = tuple(pm for pm in placed if pm[1].new_non_finite)
    return Layerwise(tuple(placed), first_divergence(placed), non_finite, _blocks(placed))


def first_divergence(placed: Sequence[tuple[TensorPlace, TensorMetrics]]) -> Divergence | None:
    """The first tensor in the worst class of all; None when everything matches the reference."""
    top = worst([m.accuracy_class for _, m in placed])
    if top is AccuracyClass.SAME:
        return None
    seen: list[AccuracyClass] = []
    for place, m in placed:
        if m.accuracy_class is top:
            return Divergence(place, top, worst(seen), m.rel_l2)
        seen.append(m.accuracy_class)
    return None


def _blocks(placed: Sequence[tuple[TensorPlace, TensorMetrics]]) -> tuple[BlockError, ...]:
    groups: dict[int | None, list[TensorMetrics]] = {}
    for place, m in placed:
        groups.setdefault(place.block, []).append(m)
    order = sorted(groups, key=lambda b: -1 if b is None else b)
    return tuple(
        BlockError(b, len(groups[b]), max(m.rel_l2 for m in groups[b]), worst([m.accuracy_class for m in groups[b]]))
        for b in order
    )
