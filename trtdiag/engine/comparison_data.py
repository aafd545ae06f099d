"""The result of comparing two engines, as plain data.

Why a module of its own: the rules (:mod:`trtdiag.rules.engines`) and the document
(:mod:`trtdiag.documents.comparison`) read a comparison, and the pipeline (:mod:`trtdiag.comparison`)
runs them; with the data here neither side imports the other.
"""

from __future__ import annotations

from dataclasses import dataclass

from trtdiag.engine.summary import BlockRow, EngineSummary, UnitRow
from trtdiag.enums import StrEnum
from trtdiag.findings import Finding
from trtdiag.lint.explicit import LintLink

ATTRIBUTION_RULE = (
    "A fused layer's average time is shared among the ONNX nodes it covers in proportion to their MACs "
    "(equally when it covers no MatMul/Gemm/Conv); reformat and Q/DQ layers are counted separately."
)


class Alignment(StrEnum):
    """How the rows of a comparison pair the two engines."""

    ONNX_NODES = "onnx-nodes"  # rows are ONNX nodes of the given model
    LAYER_NAMES = "layer-names"  # no model: TensorRT's names (Metadata, fused atoms) stand in for nodes
    STRUCTURE = "structure"  # no common names: compute layers paired by kind and output shape


@dataclass(frozen=True)
class ComparisonData:
    """Two engines of one model aligned node by node and block by block, with the rules' findings: the
    data that documents and rules read (the pipeline's :class:`trtdiag.comparison.Comparison` adds the
    writers and CI gates)."""

    fp16: EngineSummary
    int8: EngineSummary
    alignment: Alignment
    units: tuple[UnitRow, ...]
    blocks: tuple[BlockRow, ...]
    findings: tuple[Finding, ...] = ()
    notes: tuple[str, ...] = ()
    attribution_rule: str = ATTRIBUTION_RULE
    model: str | None = None
    report_path: str | None = None
    linked_lint: tuple[LintLink, ...] = ()  # explicit INT8 engine: unfused layers and the lint on their nodes
    mismatch: str | None = None  # why the engines (and model) look like different networks
    sides_warning: str | None = None  # the FP16/INT8 sides' precisions look wrong (engine/overlap.sides_warning)
    swapped: bool = False  # ... so wrong that --fp16 and --int8 were almost surely given the wrong way round

    def totals(self) -> tuple[float | None, float | None, str]:
        """(FP16 ms, INT8 ms, basis) measured the same way for both engines: per-layer profile sums when
        both have profiles, else GPU compute medians from the performance summaries."""
        a, b = self.fp16, self.int8
        if a.profile_total_ms and b.profile_total_ms:
            return a.profile_total_ms, b.profile_total_ms, "sum of per-layer profile averages"
        if a.gpu_compute_median_ms and b.gpu_compute_median_ms:
            return a.gpu_compute_median_ms, b.gpu_compute_median_ms, "GPU compute median (performance summary)"
        return None, None, "no common timing for both engines"

    @property
    def speedup(self) -> float | None:
        t16, t8, _ = self.totals()
        return t16 / t8 if t16 and t8 else None
