"""The result of an analysis as plain data, and its verdict.

Why a module of its own: the analysis document (:mod:`trtdiag.documents.analysis`) reads an analysis and
the pipeline (:mod:`trtdiag.analysis`) writes documents; with the data here neither imports the other.
"""

from __future__ import annotations

from dataclasses import dataclass

from trtdiag.accuracy.result import AccuracyResult
from trtdiag.engine.comparison_data import ComparisonData
from trtdiag.engine.summary import EngineSummary
from trtdiag.findings import Finding
from trtdiag.lint.explicit import blocks_int8
from trtdiag.lint.run import LintResult
from trtdiag.log.facts import LogFacts
from trtdiag.naming import MappingSummary
from trtdiag.onnx.compute import ComputeProfile
from trtdiag.onnx.graph import GraphIndex
from trtdiag.rules.cache_check import CacheCheck
from trtdiag.rules.quantization import QuantizationMode
from trtdiag.rules.registry import ENGINE_RULES
from trtdiag.transformer_view import TransformerGrid


@dataclass(frozen=True)
class Verdict:
    severity: str  # "error", "warning", "info", "ok"
    headline: str
    details: tuple[str, ...]


@dataclass(frozen=True)
class AnalysisData:
    """The result of analysing one build log (and optionally its ONNX model), as plain data: what the
    documents read. :class:`trtdiag.analysis.Analysis` adds the writers, tables and CI gates."""

    log: LogFacts
    graph: GraphIndex | None
    mapping: MappingSummary
    findings: tuple[Finding, ...]
    verdict: Verdict
    notes: tuple[str, ...]
    compute: ComputeProfile | None = None
    cache_check: CacheCheck | None = None
    grid: TransformerGrid | None = None
    comparison: ComparisonData | None = None  # when engine artifacts of both builds were given
    accuracy: AccuracyResult | None = None  # when saved outputs were given (``outputs=``)
    report_path: str | None = None  # set by whoever wrote the HTML report (the pytest plugin does)
    engine: EngineSummary | None = None  # the INT8 engine: printed in the log, or the comparison's INT8 side
    quantization: QuantizationMode | None = None  # explicit (Q/DQ), implicit (calibration) or none, and why
    lint: LintResult | None = None  # Q/DQ placement lint of an explicitly quantized model

    @property
    def verdict_findings(self) -> tuple[Finding, ...]:
        """Every finding the verdict and the CI gate weigh: the analysis's own and its comparison's.

        Why both: the verdict must never be milder than a finding shown in the same report."""
        if self.comparison is None:
            return self.findings
        return by_severity((*self.findings, *self.comparison.findings))

    @property
    def blocking_findings(self) -> list[Finding]:
        """The error/warning findings that keep GEMM/Conv nodes out of INT8."""
        return [f for f in self.verdict_findings if f.severity in ("error", "warning") and blocks_int8(f)]

    @property
    def blocked_gemms(self) -> list[str]:
        """GEMM/Conv nodes that error/warning findings keep out of INT8 (union, graph order)."""
        return list(dict.fromkeys(n for f in self.blocking_findings for n in f.gemm_nodes))

    @property
    def int8_blocked_share(self) -> float | None:
        """Share of the model's GEMM/Conv MACs that cannot run in INT8 (None without shapes)."""
        if self.compute is None or not self.compute.total_macs:
            return None
        return self.compute.share(self.blocked_gemms)

    @property
    def int8_blocked_basis(self) -> str | None:
        """How :attr:`int8_blocked_share` is known: ``measured`` (every blocked GEMM comes from an engine's
        layer precisions), ``inferred`` (from the log's warnings or the model, no engine layer says so),
        ``mixed``, or None when nothing is blocked. Why: a share read off the engine is a fact, one inferred
        from missing-scale warnings is an estimate, and the headline must not word them alike."""
        measured: set[str] = set()
        inferred: set[str] = set()
        for f in self.blocking_findings:
            (measured if f.id in MEASURED_RULE_IDS else inferred).update(f.gemm_nodes)
        if not measured and not inferred:
            return None
        if not inferred - measured:
            return "measured"
        return "mixed" if measured else "inferred"

    @property
    def truncated(self) -> bool:
        return self.log.truncated


#: Rules that read engine layer precisions (the log's Engine Layer Information, engine JSON, profiles).
MEASURED_RULE_IDS = frozenset(r.id for r in ENGINE_RULES)


def by_severity(findings: tuple[Finding, ...]) -> tuple[Finding, ...]:
    """Worst first; equal severities keep their order (build rules before engine rules)."""
    return tuple(sorted(findings, key=lambda f: f.severity.rank))
