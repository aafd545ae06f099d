"""The lint inside ``analyze``/``compare``: a Q/DQ model's placement findings join the build's diagnosis.

Why a module of its own: the pipelines decide *whether* to lint (the model has Q/DQ nodes) and *which*
lint findings join their own (warning or worse: the lint's infos, such as the unquantized-GEMM share,
stay in the embedded lint document). Which lint findings keep GEMMs out of INT8 is decided here too,
since only some do: a per-tensor weight scale costs accuracy, not INT8 kernels.
"""

from __future__ import annotations

from dataclasses import dataclass

from trtdiag.engine.qdq_fusion import UnfusedLayer
from trtdiag.findings import Finding, Severity
from trtdiag.lint.registry import RULE_BY_ID
from trtdiag.lint.run import LintResult, lint_graph
from trtdiag.onnx.compute import ComputeProfile
from trtdiag.onnx.graph import GraphIndex

#: Lint rules whose GEMM nodes really run outside INT8 (the others run INT8, less accurately or slower).
INT8_BLOCKING = frozenset({"gemm-input-not-quantized", "qdq-nonzero-zero-point"})
#: Lint findings of this severity or worse join the analysis findings and verdict.
JOIN_AT = Severity.WARNING


def lint_for_build(graph: GraphIndex | None, compute: ComputeProfile | None, *,
                   calibrator_used: bool = False) -> LintResult | None:
    """The lint of the build's model when it is explicitly quantized (None for a float model or no model)."""
    if graph is None or not graph.qdq_nodes or graph.structure is None:
        return None
    return lint_graph(graph, compute=compute, calibrator_used=calibrator_used)


def joined_findings(findings: tuple[Finding, ...], lint: LintResult | None) -> tuple[Finding, ...]:
    """The pipeline's findings plus the lint's of warning or worse, worst severity first (stable)."""
    if lint is None:
        return findings
    extra = [f for f in lint.at_least(JOIN_AT) if f.id not in {x.id for x in findings}]
    return tuple(sorted((*findings, *extra), key=lambda f: Severity(f.severity).rank))


def blocks_int8(f: Finding) -> bool:
    """Does this finding's ``gemm_nodes`` list GEMMs kept out of INT8 (every non-lint rule: yes)?"""
    return f.id not in RULE_BY_ID or f.id in INT8_BLOCKING


@dataclass(frozen=True)
class LintLink:
    """An unfused layer of an explicit INT8 engine and the lint findings on the ONNX nodes it covers
    (``(rule id, severity, node)`` each): the engine's symptom next to the placement that causes it."""

    layer: UnfusedLayer
    lint: tuple[tuple[str, str, str], ...]


def link_lint(layers: list[UnfusedLayer], lint: LintResult | None) -> tuple[LintLink, ...]:
    """Each unfused layer with the lint findings that name one of its ONNX nodes (as a node, or as a GEMM);
    without a lint (no Q/DQ model given) the layers are listed with no link."""
    by_node: dict[str, list[tuple[str, str]]] = {}
    for f in lint.findings if lint is not None else ():
        for n in dict.fromkeys((*f.evidence.nodes, *f.gemm_nodes)):
            by_node.setdefault(n, []).append((f.id, str(f.severity)))
    links = []
    for layer in layers:
        hits = tuple(dict.fromkeys((rid, sev, n) for n in layer.nodes for rid, sev in by_node.get(n, ())))
        links.append(LintLink(layer, hits))
    return tuple(links)
