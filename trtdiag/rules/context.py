"""What rules may look at: plain frozen data built by the pipelines, never files.

:class:`BuildContext` is one build log mapped onto its (optional) ONNX model; :class:`EngineContext` is an
FP16-vs-INT8 comparison of two engines of one model. Unit tests build both in memory.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, ClassVar

from trtdiag.fixes import SensitiveNodes, sensitive_nodes
from trtdiag.log.facts import LogFacts
from trtdiag.naming import MappedTensor, MappedTensors, MappingSummary, TensorMapping
from trtdiag.onnx.compute import GEMM_OPS, ComputeProfile
from trtdiag.onnx.graph import GraphIndex
from trtdiag.rules.base import ContextKind
from trtdiag.rules.cache_check import CacheCheck
from trtdiag.rules.quantization import QuantizationMode, quantization_mode

if TYPE_CHECKING:
    from trtdiag.engine.comparison_data import ComparisonData as Comparison
    from trtdiag.engine.summary import EngineSummary


@dataclass(frozen=True)
class BuildContext:
    """Everything a build-log rule may look at."""

    KIND: ClassVar[ContextKind] = ContextKind.BUILD

    facts: LogFacts
    graph: GraphIndex | None
    mapping: MappingSummary
    model_path: str | None = None
    compute: ComputeProfile | None = None
    cache_check: CacheCheck | None = None
    quantization: QuantizationMode | None = None  # computed from facts and graph when not given

    @cached_property
    def quantization_mode(self) -> QuantizationMode:
        return self.quantization if self.quantization is not None else quantization_mode(self.facts, self.graph)

    @property
    def explicit_quantization(self) -> bool:
        """An explicitly quantized (Q/DQ) build: implicit-only rules stay silent (``Rule.scope``)."""
        return self.quantization_mode.explicit

    @property
    def calibrator_used(self) -> bool:
        """A calibrator or calibration cache was given to the build (or to trtdiag) or calibration ran."""
        b = self.facts.build
        return bool(b.calibrator or b.calibration_cache_read or self.facts.calibration.started_line is not None
                    or self.cache_check is not None)

    @property
    def tensors(self) -> Sequence[MappedTensor]:
        return self.mapping.tensors

    @cached_property
    def sensitive(self) -> SensitiveNodes | None:
        return sensitive_nodes(self.graph) if self.graph is not None else None

    def gemms_touched(self, tensors: Sequence[MappedTensor | TensorMapping]) -> list[str]:
        """GEMM/Conv nodes that produce or consume the tensors (the warning's own words: "any layer
        consuming or producing given tensor" falls back). Each distinct mapping is looked at once."""
        g = self.graph
        if g is None:
            return []
        found: dict[str, None] = {}
        seen: set[int] = set()
        items = tensors.distinct_mappings() if isinstance(tensors, MappedTensors) else tensors
        for item in items:
            t = item.mapping if isinstance(item, MappedTensor) else item
            if id(t) in seen:
                continue
            seen.add(id(t))
            names: list[str] = []
            if t.onnx_node:
                names.append(t.onnx_node)
            names.extend(t.onnx_consumers)
            if t.onnx_tensor is None and t.onnx_node:  # helper of a node: its consumers too
                node = g.node(t.onnx_node)
                if node is not None:
                    for out in node.outputs:
                        names.extend(c.name for c in g.consumers_of(out))
            for n in names:
                node = g.node(n)
                if node is not None and node.op_type in GEMM_OPS:
                    found.setdefault(n, None)
        return list(found)

    def share(self, nodes: list[str]) -> float | None:
        """MAC share of ``nodes``; None when the model's MACs are unknown."""
        if self.compute is None or not self.compute.total_macs:
            return None
        return self.compute.share(nodes)

    def finding_share(self, gemms: list[str]) -> float | None:
        """A finding's ``mac_share``: 0.0 (not None) when it names no GEMM but the MACs are known."""
        if gemms:
            return self.share(gemms)
        return 0.0 if self.compute and self.compute.total_macs else None


@dataclass(frozen=True)
class EngineContext:
    """Everything an engine rule may look at: the comparison (or the INT8 engine alone) and, when given,
    the model and its MACs.

    Why the INT8 engine alone: ``trtdiag analyze`` reads the layer listing printed in the build log
    without any FP16 engine; the rules that judge only the INT8 engine
    (:data:`trtdiag.rules.registry.INT8_ENGINE_RULES`) run on it there, and on the INT8 side of a
    comparison in ``compare``. Build one with :meth:`int8_only`.
    """

    KIND: ClassVar[ContextKind] = ContextKind.ENGINE

    comparison: Comparison | None
    graph: GraphIndex | None = None
    compute: ComputeProfile | None = None
    int8_engine: EngineSummary | None = None

    @classmethod
    def int8_only(cls, int8: EngineSummary, graph: GraphIndex | None = None,
                  compute: ComputeProfile | None = None) -> EngineContext:
        """A context holding the INT8 engine only (no FP16 engine to compare with)."""
        return cls(None, graph, compute, int8)

    @property
    def int8(self) -> EngineSummary:
        """The INT8 engine: the comparison's INT8 side, or the engine given alone."""
        if self.comparison is not None:
            return self.comparison.int8
        if self.int8_engine is None:
            raise ValueError("an engine context needs a comparison or an INT8 engine")
        return self.int8_engine

    @property
    def pair(self) -> Comparison:
        """The FP16-vs-INT8 comparison; only rules outside ``INT8_ENGINE_RULES`` may ask for it."""
        if self.comparison is None:
            raise ValueError("this rule needs both engines (an FP16-vs-INT8 comparison)")
        return self.comparison

    def is_gemm(self, name: str) -> bool:
        """Is ONNX node ``name`` a MatMul/Gemm/Conv of the model (False without a model)?"""
        node = self.graph.node(name) if self.graph is not None else None
        return node is not None and node.op_type in GEMM_OPS

    def share(self, nodes: list[str]) -> float | None:
        """MAC share of ``nodes``; None when the MACs are unknown or no node is named."""
        if self.compute is None or not self.compute.total_macs or not nodes:
            return None
        return self.compute.share(nodes)
