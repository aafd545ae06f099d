"""The JSON document of a lint run: ``schema: "trtdiag.lint/1"`` (see ``trtdiag/schema/lint.schema.json``).

Each finding lists every ONNX node and tensor it concerns (``nodes``/``tensors`` at the top of the finding,
not capped), the GEMM MACs it affects (``mac_share``), the TensorRT behaviour (``explanation``), the fix
and the documentation it rests on (``references``). Within ``trtdiag.lint/1`` fields are only ever added.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from trtdiag import __version__
from trtdiag.documents.common import rounded
from trtdiag.findings import Finding, Severity
from trtdiag.lint.knowledge import FACT_BY_ID
from trtdiag.lint.registry import RULE_BY_ID, RULES
from trtdiag.lint.run import LintResult

SCHEMA = "trtdiag.lint/1"


def lint_finding_dict(f: Finding) -> dict[str, Any]:
    rule = RULE_BY_ID.get(f.id)
    facts = [FACT_BY_ID[x] for x in (rule.facts if rule else ())]
    return {
        "id": f.id,
        "severity": str(f.severity),
        "title": f.title,
        "nodes": list(f.evidence.nodes),
        "tensors": list(f.evidence.tensors),
        "gemm_nodes": list(f.gemm_nodes),
        "mac_share": rounded(f.mac_share),
        "explanation": f.explanation,
        "evidence": {"notes": list(f.evidence.notes), "total_nodes": f.evidence.total_nodes,
                     "total_tensors": f.evidence.total_tensors},
        "fix": f.fix,
        "commands": list(f.commands),
        "references": [{"id": x.id, "section": x.section, "statement": x.statement, "url": x.url} for x in facts],
    }


def _grid(result: LintResult) -> dict[str, Any]:
    g = result.grid
    return {
        "rows": list(g.rows),
        "columns": list(g.columns),
        "cells": [{"row": c.row, "column": c.column, "gemm_nodes": list(c.gemms), "quantized": c.quantized,
                   "partial": c.partial, "unquantized": c.unquantized, "mac_share": rounded(c.mac_share),
                   "unquantized_share": rounded(c.unquantized_share)} for c in g.cells],
    }


def _summary(result: LintResult) -> dict[str, Any]:
    counts = {s.value: sum(1 for f in result.findings if f.severity == s) for s in Severity}
    total = result.compute.total_macs if result.compute is not None else 0
    int8 = sum(c.int8_macs for c in result.grid.cells)
    unq = sum(c.unquantized_macs for c in result.grid.cells)
    return {
        "errors": counts["error"], "warnings": counts["warning"], "infos": counts["info"],
        "qdq_nodes": result.qdq_nodes, "gemm_nodes": result.gemm_nodes,
        "int8_mac_share": rounded(int8 / total) if total else None,
        "unquantized_mac_share": rounded(unq / total) if total else None,
    }


def lint_document(result: LintResult, *, timestamp: bool = True) -> dict[str, Any]:
    graph = result.view.graph
    doc: dict[str, Any] = {
        "schema": SCHEMA,
        "tool": {"name": "trtdiag", "version": __version__},
        "model": {"path": result.model_path, "producer": graph.producer_name, "opset": graph.opset,
                  "nodes": len(graph.nodes)},
        "summary": _summary(result),
        "findings": [lint_finding_dict(f) for f in result.findings],
        "grid": _grid(result),
        "rules": [{"id": r.id, "severity": r.severity.value, "title": r.title} for r in RULES],
        "notes": list(result.notes),
    }
    if timestamp:
        doc["generated_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    return doc


def lint_json(result: LintResult, *, timestamp: bool = True) -> str:
    return json.dumps(lint_document(result, timestamp=timestamp), indent=2, allow_nan=False) + "\n"
