"""The ``trtdiag.sensitivity/1`` JSON document and the one-line summary.

Within a schema version fields are only ever added (``trtdiag/schema/sensitivity.schema.json``).
Infinite SQNR (identical outputs) is written as ``null``: JSON has no infinity.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict
from typing import Any

from trtdiag import __version__
from trtdiag.sensitivity.pipeline import SensitivityReport
from trtdiag.sensitivity.sweep import Score

SCHEMA = "trtdiag.sensitivity/1"


def _db(value: float) -> float | None:
    return round(value, 3) if math.isfinite(value) else None


def _score(s: Score) -> dict[str, Any]:
    return {"error": s.error, "sqnr_db": _db(s.sqnr_db)}


def to_document(report: SensitivityReport) -> dict[str, Any]:
    r = report.result
    ranking = [{"label": x.group.label, "nodes": list(x.group.nodes), "block": x.group.block, "role": x.group.role,
                "error": x.only.error, "sqnr_db": _db(x.only.sqnr_db), "error_without": x.without.error,
                "sqnr_db_without": _db(x.without.sqnr_db)} for x in r.ranking]
    curve = [{"excluded": p.excluded, "groups": list(p.groups), **_score(p.score)} for p in r.curve]
    findings = [] if report.ranges.finding is None else [_finding(report)]
    return {
        "schema": SCHEMA,
        "tool": {"name": "trtdiag", "version": __version__},
        "model": report.model,
        "granularity": report.options.granularity.value,
        "data": {"source": report.dataset.source, "synthetic": report.dataset.synthetic,
                 "calibration_batches": len(report.dataset.calibration),
                 "evaluation_batches": len(report.dataset.evaluation),
                 "shapes": {k: list(v) for k, v in report.dataset.shapes.items()}, "seed": report.options.seed},
        "all_int8": _score(r.all_int8),
        "ranking": ranking,
        "curve": curve,
        "recommended": {"excluded_groups": report.recommended, "nodes": list(report.exclude)},
        "findings": findings,
        "commands": [{"purpose": c.purpose, "command": c.command} for c in report.commands],
        "notes": list(report.notes),
        "variants": r.variants,
        "seconds": round(report.seconds, 2),
    }


def _finding(report: SensitivityReport) -> dict[str, Any]:
    f = report.ranges.finding
    assert f is not None
    out = asdict(f)
    out["evidence"] = {k: list(v) if isinstance(v, tuple) else v for k, v in out["evidence"].items()}
    out["commands"] = list(f.commands)
    out["gemm_nodes"] = list(f.gemm_nodes)
    out["severity"] = str(f.severity)
    return out


def to_json(report: SensitivityReport) -> str:
    return json.dumps(to_document(report), indent=2) + "\n"


def summary_line(report: SensitivityReport, html: str | None) -> str:
    r = report.result
    top = r.ranking[0].group.label if r.ranking else "-"
    where = f"; report: {html}" if html else ""
    return (f"trtdiag sensitivity: all-INT8 error {r.all_int8.error:.3g}; most sensitive: {top}; "
            f"exclude top {report.recommended} -> {len(report.exclude)} node(s) kept out of INT8 "
            f"({r.variants} variants, {report.seconds:.1f} s){where}")
