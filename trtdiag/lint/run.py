"""The linter: load a model without its weights, index its Q/DQ nodes, run every rule.

``lint_model(path)`` is what ``trtdiag lint`` and the pytest helper call; ``lint_graph`` takes an already
loaded :class:`GraphIndex` so that ``analyze``/``compare`` can add the lint to a run that has loaded the model.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from trtdiag.accuracy.hazards import fp16_overflow_constants
from trtdiag.errors import InputError
from trtdiag.findings import Finding, Severity
from trtdiag.lint.grid import QuantGrid, build_grid
from trtdiag.lint.model import QdqView, build_view
from trtdiag.lint.registry import RULES
from trtdiag.lint.rules.base import LintContext, LintRule
from trtdiag.onnx.compute import ComputeProfile, compute_profile, parse_shapes
from trtdiag.onnx.graph import GraphIndex, load_graph

FAIL_ON = ("error", "warning", "never")


@dataclass(frozen=True)
class LintResult:
    """Findings of one lint run, with the view and grid they were computed from."""

    model_path: str
    findings: tuple[Finding, ...]
    grid: QuantGrid
    compute: ComputeProfile | None
    qdq_nodes: int
    gemm_nodes: int
    notes: tuple[str, ...]
    view: QdqView = field(repr=False, compare=False)
    report_path: str | None = None  # set by whoever wrote the HTML report (the pytest plugin does)

    def by_id(self, rule_id: str) -> list[Finding]:
        return [f for f in self.findings if f.id == rule_id]

    def at_least(self, severity: Severity | str) -> list[Finding]:
        """Findings of ``severity`` or worse."""
        rank = Severity(severity).rank
        return [f for f in self.findings if Severity(f.severity).rank <= rank]

    def failures(self, fail_on: str) -> list[Finding]:
        if fail_on not in FAIL_ON:
            raise InputError(f"--fail-on must be one of {', '.join(FAIL_ON)}, not {fail_on!r}")
        return [] if fail_on == "never" else self.at_least(fail_on)

    def finding_lines(self) -> list[str]:
        """One line per finding for the terminal: severity, id, title, node count, first node, MAC share."""
        lines = []
        for f in self.findings:
            nodes = f.evidence.nodes
            share = f", {f.mac_share:.1%} of GEMM MACs" if f.mac_share else ""
            first = f": {nodes[0]}" + (f" (+{len(nodes) - 1} more)" if len(nodes) > 1 else "") if nodes else ""
            lines.append(f"  {f.severity}: [{f.id}] {f.title}{share}{first}")
        return lines

    def summary_line(self, html: str | None = None, json_path: str | None = None) -> str:
        counts = {s: sum(1 for f in self.findings if f.severity == s) for s in Severity}
        parts = [f"{counts[s]} {s.value}{'s' if counts[s] != 1 else ''}" for s in Severity]
        where = ", ".join(p for p in (html, json_path) if p)
        return (f"trtdiag lint: {self.model_path}: {self.qdq_nodes} Q/DQ nodes, {self.gemm_nodes} GEMM/Conv; "
                + ", ".join(parts) + (f" -> {where}" if where else ""))


def _static_hazards(graph: GraphIndex) -> list[Finding]:
    """The model's FP16 hazards (``fp16-overflow-constant``, shared with ``trtdiag accuracy`` and ``analyze``):
    Q/DQ models are built with FP16 enabled, so an out-of-range mask constant matters before the build."""
    found = fp16_overflow_constants(graph)
    return [] if found is None else [found]


def lint_model(path: str | os.PathLike[str], *, shapes: str | None = None, calibrator_used: bool = False,
               rules: tuple[LintRule, ...] = RULES) -> LintResult:
    """Lint an ONNX file (weights are never read; scales and zero-points are). InputError on bad input."""
    graph = load_graph(path)
    return lint_graph(graph, shapes=shapes, calibrator_used=calibrator_used, rules=rules)


def lint_graph(graph: GraphIndex, *, shapes: str | None = None, calibrator_used: bool = False,
               compute: ComputeProfile | None = None, rules: tuple[LintRule, ...] = RULES) -> LintResult:
    """Lint an already loaded model (``compute``: reuse MACs computed by the caller)."""
    view = build_view(graph)
    notes = list(graph.warnings) + list(view.notes)
    if compute is None:
        try:
            compute = compute_profile(graph.structure if graph.structure is not None else graph.path,
                                      graph.inputs, parse_shapes(shapes) if shapes else None)
        except InputError:
            raise
        except Exception as exc:  # MACs are a weighting; the lint stands without them
            notes.append(f"MACs unknown ({type(exc).__name__}); mac_share is null")
            compute = None
    if compute is not None:
        notes.extend(compute.notes)
    ctx = LintContext(view=view, compute=compute, model_path=graph.path or "MODEL.onnx",
                      calibrator_used=calibrator_used)
    findings: list[Finding] = []
    for rule in rules:
        findings.extend(rule.check(ctx, rule))
    findings.extend(_static_hazards(graph))
    findings.sort(key=lambda f: Severity(f.severity).rank)
    return LintResult(
        model_path=graph.path or "", findings=tuple(findings), grid=build_grid(view, compute), compute=compute,
        qdq_nodes=graph.qdq_nodes, gemm_nodes=len(view.gemm_nodes()), notes=tuple(notes), view=view,
    )
