"""The ``trtdiag.comparison/1`` document: what ``trtdiag compare`` writes as JSON and renders as HTML."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from trtdiag import __version__
from trtdiag.documents.common import finding_dict, rounded
from trtdiag.engine.regions import slowdown_regions

if TYPE_CHECKING:
    from trtdiag.engine.comparison_data import ComparisonData as Comparison
    from trtdiag.engine.summary import EngineSummary, UnitRow
    from trtdiag.lint.explicit import LintLink


UNIT_COLUMNS = ("unit", "op_type", "block", "submodule", "macs", "fp16_layer", "fp16_precision", "fp16_ms",
                "int8_layer", "int8_precision", "int8_ms", "delta_ms")


def unit_dict(u: UnitRow) -> dict[str, Any]:
    return {
        "unit": u.unit, "op_type": u.op_type, "block": u.block, "submodule": u.submodule, "macs": u.macs,
        "fp16_layer": u.fp16_layer, "fp16_precision": u.fp16_precision, "fp16_ms": rounded(u.fp16_ms),
        "int8_layer": u.int8_layer, "int8_precision": u.int8_precision, "int8_ms": rounded(u.int8_ms),
        "delta_ms": rounded(u.delta_ms),
    }


COMPARISON_SCHEMA = "trtdiag.comparison/1"


def _timed(s: EngineSummary, v: float | None) -> float | None:
    """A per-kind time of an engine, null when nothing timed its layers (no per-layer profile): the
    totals are then unknown, and ``0`` would read as "costs nothing"."""
    return rounded(v) if s.timed else None


def _engine_dict(s: EngineSummary) -> dict[str, Any]:
    return {
        "label": s.label,
        "sources": list(s.sources),
        "layers": len(s.layers),
        "profile_total_ms": rounded(s.profile_total_ms),
        "gpu_compute_median_ms": rounded(s.gpu_compute_median_ms),
        "latency_median_ms": rounded(s.latency_median_ms),
        "throughput_qps": s.throughput_qps,
        "total_ms": rounded(s.total_ms),
        "reformat_ms": _timed(s, s.reformat_ms),
        "qdq_ms": _timed(s, s.qdq_ms),
        "fp32_ms": _timed(s, s.fp32_ms),
        "int8_ms": _timed(s, s.int8_ms),
        "precision_counts": dict(sorted(s.precision_counts.items())),
        "node_coverage": rounded(s.node_coverage),
        "mac_coverage": rounded(s.mac_coverage),
        "int8_mac_share": rounded(s.int8_mac_share),
        "int8_time_share": rounded(s.int8_time_share),
        "unmapped_layers": [{"layer": n, "reason": r} for n, r in s.unmapped],
        "layer_table": [
            {"name": r.name, "kind": r.kind, "layer_type": r.layer_type, "precision": r.precision,
             "output_precision": r.output_precision, "nodes": list(r.nodes), "method": r.method,
             "average_ms": rounded(r.average_ms), "block": r.block, "reason": r.reason}
            for r in s.layers
        ],
        "notes": list(s.notes),
    }


def _link_dict(x: LintLink) -> dict[str, Any]:
    """An unfused layer of an explicit INT8 engine and the lint findings on its ONNX nodes."""
    u = x.layer
    return {"layer": u.layer, "kind": u.kind, "precision": u.precision, "nodes": list(u.nodes),
            "average_ms": rounded(u.average_ms),
            "lint": [{"id": rid, "severity": sev, "node": node} for rid, sev, node in x.lint]}


def comparison_document(c: Comparison, *, timestamp: bool = True) -> dict[str, Any]:
    """The versioned JSON document of a comparison."""
    doc: dict[str, Any] = {"schema": COMPARISON_SCHEMA, "trtdiag_version": __version__}
    if timestamp:
        doc["generated_at"] = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
    doc["model"] = c.model
    doc["alignment"] = c.alignment
    doc["attribution_rule"] = c.attribution_rule
    doc["fp16"] = _engine_dict(c.fp16)
    doc["int8"] = _engine_dict(c.int8)
    basis = c.totals()[2]
    doc["speedup"] = rounded(c.speedup)
    doc["timing_basis"] = basis
    doc["nodes"] = [unit_dict(u) for u in c.units]
    both = c.fp16.timed and c.int8.timed
    doc["blocks"] = [
        {"block": b.block, "fp16_ms": _timed(c.fp16, b.fp16_ms), "int8_ms": _timed(c.int8, b.int8_ms),
         "fp16_reformat_ms": _timed(c.fp16, b.fp16_reformat_ms), "int8_reformat_ms": _timed(c.int8, b.int8_reformat_ms),
         "delta_ms": rounded(b.delta_ms) if both else None, "fp16_precisions": dict(sorted(b.fp16_precisions.items())),
         "int8_precisions": dict(sorted(b.int8_precisions.items()))}
        for b in c.blocks
    ]
    slow = sorted((u for u in c.units if u.delta_ms is not None), key=lambda u: -(u.delta_ms or 0))[:20]
    doc["top_slowdowns"] = [unit_dict(u) for u in slow if (u.delta_ms or 0) > 5e-7]  # > rounding noise
    doc["slowdown_regions"] = [
        {"region": r.label, "kind": r.kind, "fp16_layers": list(r.fp16_layers), "int8_layers": list(r.int8_layers),
         "fp16_precisions": list(r.fp16_precisions), "int8_precisions": list(r.int8_precisions),
         "fp16_ms": rounded(r.fp16_ms), "int8_ms": rounded(r.int8_ms), "delta_ms": rounded(r.delta_ms)}
        for r in slowdown_regions(c.fp16, c.int8)
    ]
    doc["findings"] = [finding_dict(f) for f in c.findings]
    doc["linked_lint"] = [_link_dict(x) for x in c.linked_lint]
    doc["notes"] = list(c.notes)
    doc["inputs_check"] = {"different_networks": c.mismatch, "sides": c.sides_warning, "swapped": c.swapped}
    return doc

