"""The ``trtdiag.fix/1`` JSON document, the before/after table and the verdict line.

Within a schema version fields are only ever added (``trtdiag/schema/fix.schema.json``). Infinite SQNR
(identical outputs) is written as ``null``: JSON has no infinity. The verdict line never calls a model
whose checks failed fixed: it starts with ``FAILED`` and names each failing check.
"""

from __future__ import annotations

import json
import math
from typing import Any

from trtdiag import __version__
from trtdiag.fix.check import ModelCheck
from trtdiag.fix.pipeline import FixReport

SCHEMA = "trtdiag.fix/1"


def _db(value: float) -> float | None:
    return round(value, 3) if math.isfinite(value) else None


def model_dict(m: ModelCheck) -> dict[str, Any]:
    return {"label": m.label, "excluded_nodes": m.excluded, "error": m.error, "sqnr_db": _db(m.sqnr_db),
            "accuracy_class": m.accuracy_class.value, "lint_errors": m.lint_errors,
            "lint_warnings": m.lint_warnings, "non_finite_tensors": list(m.non_finite), "passed": m.passed,
            "checks": [{"name": c.name.value, "passed": c.passed, "detail": c.detail} for c in m.checks]}


def to_document(report: FixReport) -> dict[str, Any]:
    s, ds = report.selection, report.prepared.dataset
    ranges = report.prepared.ranges
    return {
        "schema": SCHEMA,
        "tool": {"name": "trtdiag", "version": __version__},
        "model": report.model,
        "output": report.output,
        "backend": report.backend.value,
        "passed": report.passed,
        "failed_checks": [c.name.value for c in report.after.failed],
        "data": {"source": ds.source, "calibration_batches": len(ds.calibration),
                 "evaluation_batches": len(ds.evaluation), "shapes": {k: list(v) for k, v in ds.shapes.items()}},
        "sensitivity": {"source": report.sensitivity.source, "granularity": report.sensitivity.granularity,
                        "groups_ranked": len(report.sensitivity.ranking)},
        "selection": {"excluded_groups": s.k, "groups": list(s.groups), "nodes": list(s.nodes),
                      "predicted_error": s.predicted_error, "reason": s.reason,
                      "range_overflow_tensors": list(ranges.tensors),
                      "fp16_excluded_op_types": list(ranges.fp16_hazard_ops)},
        "before": model_dict(report.before),
        "after": model_dict(report.after),
        "commands": [{"purpose": c.purpose, "command": c.command} for c in report.commands],
        "seconds": round(report.seconds, 2),
    }


def to_json(report: FixReport) -> str:
    return json.dumps(to_document(report), indent=2, allow_nan=False) + "\n"


def _sqnr(v: float) -> str:
    return "inf" if v == math.inf else f"{v:.1f}"


def table(report: FixReport) -> list[str]:
    """The before/after table, one string per line."""
    b, a = report.before, report.after
    rows = [("", "all INT8 (before)", "fixed (after)"),
            ("excluded nodes", str(b.excluded), str(a.excluded)),
            ("error (1 - cosine)", f"{b.error:.3g}", f"{a.error:.3g}"),
            ("SQNR dB", _sqnr(b.sqnr_db), _sqnr(a.sqnr_db)),
            ("accuracy class", str(b.accuracy_class), str(a.accuracy_class)),
            ("lint errors", str(b.lint_errors), str(a.lint_errors)),
            ("non-finite tensors", str(len(b.non_finite)), str(len(a.non_finite)))]
    return [f"  {r[0]:<20} {r[1]:>20} {r[2]:>20}" for r in rows]


def check_lines(report: FixReport) -> list[str]:
    return [f"  check {c.name.value}: {'ok' if c.passed else 'FAILED'} - {c.detail}" for c in report.after.checks]


def verdict_line(report: FixReport) -> str:
    s = report.selection
    groups = ", ".join(s.groups[:4]) + (", ..." if len(s.groups) > 4 else "")
    kept = (f"{len(s.nodes)} node(s) kept out of INT8: top {s.k} group(s)" + (f" [{groups}]" if groups else "")
            + f" and the range check's; backend {report.backend.value}")
    if report.passed:
        return f"trtdiag fix: wrote {report.output}: {kept}; every check passed (lint, non-finite, accuracy)"
    failed = ", ".join(f"{c.name.value} ({c.detail})" for c in report.after.failed)
    return (f"trtdiag fix: FAILED check(s): {failed}. The model written to {report.output} did not pass: "
            f"do not deploy it ({kept})")
