"""The ``trtdiag.analysis/1`` document: what ``trtdiag analyze`` writes as JSON and renders as HTML.

The document is declared, not assembled by hand: :data:`FIELDS` lists its top-level keys in output
order, each with the small function that builds its value from an :class:`~trtdiag.analysis.Analysis`.
Adding a key means one builder and one :class:`Field` (and the matching property in
``trtdiag/schema/analysis.schema.json``; within a schema version keys are only ever added). The key
order is part of the output: JSON files are compared byte for byte across versions, and the HTML
report (``trtdiag/report/html.py``) renders from this dict, never from the dataclasses.
"""

from __future__ import annotations

import platform
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trtdiag import __version__
from trtdiag.accuracy.document import accuracy_document
from trtdiag.documents.common import finding_dict
from trtdiag.documents.comparison import comparison_document
from trtdiag.documents.engine_layers import engine_layers_dict
from trtdiag.documents.tensor_rows import TENSOR_COLUMNS as TENSOR_COLUMNS
from trtdiag.documents.tensor_rows import TENSOR_FIELDS as TENSOR_FIELDS
from trtdiag.documents.tensor_rows import TensorRows
from trtdiag.documents.tensor_rows import tensor_row as tensor_row
from trtdiag.lint.document import lint_document
from trtdiag.naming import BY_NONE, MappingGroup

if TYPE_CHECKING:  # type names only: the documents read results, the pipelines write documents
    from trtdiag.analysis_data import AnalysisData as Analysis
    from trtdiag.onnx.graph import GraphIndex

SCHEMA = "trtdiag.analysis/1"


@dataclass(frozen=True)
class Field:
    """One top-level key of the document and the function that builds its value."""

    key: str
    build: Callable[[Analysis], Any]


# -- warned tensors: one row per tensor, the same columns in JSON, HTML and ``Analysis.tensors_df()``
#    (declared in ``trtdiag/documents/tensor_rows.py``)


def _group_counts(groups: tuple[MappingGroup, ...], attr: str) -> dict[str, int]:
    """Tensors per value of a mapping attribute, most frequent first (ties by name) so documents are stable."""
    counts: Counter[str] = Counter()
    for g in groups:
        value = getattr(g.mapping, attr)
        counts["(none)" if value is None else str(value)] += g.tensors
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def _missing_scale(a: Analysis) -> TensorRows:
    return TensorRows(a.mapping.tensors, a.mapping.groups)


def _missing_scale_summary(a: Analysis) -> dict[str, Any]:
    groups = a.mapping.groups
    mapped = sum(g.tensors for g in groups if g.mapping.mapped_by != BY_NONE)
    return {
        "warnings": len(a.log.warning_order),
        "tensors": len(a.mapping.tensors),
        "mapped": mapped,
        "unmapped": len(a.mapping.tensors) - mapped,
        "by_class": _group_counts(groups, "cls"),
        "by_op_type": _group_counts(groups, "op_type"),
        "by_block": _group_counts(groups, "block"),
        "by_mapped_by": _group_counts(groups, "mapped_by"),
    }


# -- what was read


def _verdict(a: Analysis) -> dict[str, Any]:
    v = a.verdict
    return {"severity": v.severity, "headline": v.headline, "details": list(v.details)}


def _log_input(a: Analysis) -> dict[str, Any]:
    r = a.log.read
    return {
        "path": r.path,
        "name": Path(r.path).name,
        "size_bytes": r.size_bytes,
        "compressed": r.compressed,
        "lines": r.lines,
        "candidate_lines": r.candidate_lines,
        "crlf": r.crlf,
        "undecodable_lines": r.undecodable_lines,
        "truncated": a.log.truncated,
        "truncation_reason": a.log.truncation_reason,
        "scanner": r.scanner,
    }


def _model_input(g: GraphIndex) -> dict[str, Any]:
    return {
        "path": g.path,
        "name": Path(g.path).name if g.path else None,
        "producer": f"{g.producer_name} {g.producer_version}".strip(),
        "opset": g.opset,
        "ir_version": g.ir_version,
        "nodes": len(g.nodes),
        "initializers": len(g.initializers),
        "external_initializers": g.external_initializers,
        "inputs": {k: {"dtype": v[0], "shape": list(v[1])} for k, v in g.inputs.items()},
        "outputs": list(g.outputs),
        "qdq_nodes": g.qdq_nodes,
        "transformer": {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(g.transformer).items()},
        "op_counts": g.op_counts,
    }


def _inputs(a: Analysis) -> dict[str, Any]:
    return {"log": _log_input(a), "model": None if a.graph is None else _model_input(a.graph)}


def _onnx_version() -> str | None:
    try:
        return version("onnx")
    except PackageNotFoundError:
        return None


def _versions(a: Analysis) -> dict[str, Any]:
    return {"trtdiag": __version__, "python": platform.python_version(), "onnx": _onnx_version()}


# -- what the log says


def _build(a: Analysis) -> dict[str, Any]:
    b = a.log.build
    return {
        "tensorrt_version": b.tensorrt_version,
        "tensorrt_version_source": b.tensorrt_version_source,
        "producer": b.producer,
        "int8": b.int8,
        "fp16": b.fp16,
        "best": b.best,
        "strongly_typed": b.strongly_typed,
        "precision": b.precision,
        "command": b.command,
        "calibrator": b.calibrator,
        "calibration_algorithm": b.calibration_algorithm,
        "calibration_cache_read": b.calibration_cache_read,
        "calibration_cache_written": b.calibration_cache_written,
        "calibration_dynamic": b.calibration_dynamic,
        "fp32_int8_notice": b.fp32_int8_notice,
        "evidence_lines": dict(sorted(b.evidence.items())),
        "outcome": _outcome(a),
        "int8_evidence": [asdict(e) for e in a.log.int8_evidence],
        "index": a.log.build_index,
        **_quantization(a),
    }


def _quantization(a: Analysis) -> dict[str, Any]:
    """``build.quantization``: explicit (Q/DQ), implicit (calibration), none, or null when unknown; and why."""
    q = a.quantization
    return {
        "quantization": None if q is None or q.mode is None else q.mode.value,
        "quantization_evidence": [asdict(e) for e in q.evidence] if q is not None else [],
    }


def _outcome(a: Analysis) -> dict[str, Any]:
    o = a.log.outcome
    return {"outcome": o.outcome.value, "cause": o.cause, "line": o.line, "text": o.text, "built_line": o.built_line,
            "failures": [asdict(e) for e in o.failures]}


def _builds(a: Analysis) -> list[dict[str, Any]]:
    """Every build of the log (one row each); ``build`` above describes the one whose ``index`` it has."""
    return [asdict(s) | {"outcome": s.outcome.value, "analysed": s.index == a.log.build_index}
            for s in a.log.builds]


def _calibration(a: Analysis) -> dict[str, Any]:
    c = a.log.calibration
    return {
        "started_line": c.started_line,
        "batch_size": c.batch_size,
        "batches": c.batches,
        "batch_seconds": c.batch_seconds,
        "completed_seconds": c.completed_seconds,
        "completed_line": c.completed_line,
        "events": [asdict(e) for e in c.events],
    }


def _mapping(a: Analysis) -> dict[str, Any]:
    m = a.mapping
    return {
        "verbose_parse": bool(a.log.registrations),
        "parsed_nodes": len(a.log.parsed_nodes),
        "node_registrations": a.log.node_registrations,
        "nameable_tensors": m.nameable,
        "nameable_found": m.found,
        "registrations_checked": m.registrations_checked,
        "registrations_found": m.registrations_found,
        "mismatch": m.mismatch,
        "mismatch_reason": m.mismatch_reason,
    }


def _log_events(a: Analysis) -> dict[str, Any]:
    facts = a.log
    return {
        "no_int8_implementation": [asdict(e) for e in facts.no_int8_impl],
        "trt11": [asdict(e) for e in facts.trt11],
        "deprecations": [asdict(e) for e in facts.deprecations],
        "plugins": [asdict(e) for e in facts.plugins],
        "network_inputs": [
            {"name": n, "dtype": dt, "dims": d, "line": ln} for n, dt, d, ln in facts.network_inputs
        ],
        "layer_info_lines": facts.layer_info_lines,
    }


# -- what was found


def _findings(a: Analysis) -> list[dict[str, Any]]:
    return [finding_dict(f) for f in a.findings]


def _compute(a: Analysis) -> dict[str, Any] | None:
    cp = a.compute
    if cp is None:
        return None
    return {
        "input_shapes": {k: list(v) for k, v in cp.input_shapes.items()},
        "shapes_source": cp.shapes_source,
        "total_macs": cp.total_macs,
        "gemm_nodes": len(cp.macs),
        "unresolved_nodes": list(cp.unresolved),
        "int8_blocked_macs": sum(cp.macs.get(n, 0) for n in a.blocked_gemms),
        "int8_blocked_share": a.int8_blocked_share,
        "int8_blocked_basis": a.int8_blocked_basis,
        "notes": list(cp.notes),
    }


def _calibration_cache(a: Analysis) -> dict[str, Any] | None:
    cc = a.cache_check
    if cc is None:
        return None
    return {
        "path": cc.cache.path,
        "format": cc.cache.format,
        "header": cc.cache.header,
        "tensorrt_version": cc.cache.tensorrt_version,
        "algorithm": cc.cache.algorithm,
        "entries": len(cc.cache.entries),
        "matched_in_model": cc.matched,
        "absent_from_model": list(cc.absent_from_model),
        "gemm_inputs_total": cc.gemm_inputs_total,
        "gemm_inputs_missing": list(cc.gemm_inputs_missing),
        "bad_values": [{"tensor": t, "problem": p, "line": ln} for t, p, ln in cc.cache.bad_values],
        "version_note": cc.version_note,
        "algorithm_note": cc.algorithm_note,
        "stale": cc.stale,
        "stale_reason": cc.stale_reason,
        "model_checked": cc.model_checked,
        "verdict": cc.verdict,
    }


def _transformer_view(a: Analysis) -> dict[str, Any] | None:
    grid = a.grid
    if grid is None:
        return None
    return {
        "rows": list(grid.rows),
        "columns": list(grid.columns),
        "cells": [asdict(c) | {"tensors": list(c.tensors)} for c in grid.cells],
        "unplaced": len(grid.unplaced),
    }


def _comparison(a: Analysis) -> dict[str, Any] | None:
    # Embedded without its own timestamp: the analysis document carries the one ``generated_at``.
    return None if a.comparison is None else comparison_document(a.comparison, timestamp=False)


def _engine_layers(a: Analysis) -> dict[str, Any] | None:
    return None if a.engine is None else engine_layers_dict(a.engine, a.graph)


def _accuracy(a: Analysis) -> dict[str, Any] | None:
    # Embedded without its own timestamp, as the comparison is.
    return None if a.accuracy is None else accuracy_document(a.accuracy, timestamp=False)


def _lint(a: Analysis) -> dict[str, Any] | None:
    # The ``trtdiag.lint/1`` document of a Q/DQ model, embedded without its own timestamp.
    return None if a.lint is None else lint_document(a.lint, timestamp=False)


def _notes(a: Analysis) -> list[str]:
    return list(a.notes)


FIELDS: tuple[Field, ...] = (
    Field("verdict", _verdict),
    Field("inputs", _inputs),
    Field("versions", _versions),
    Field("build", _build),
    Field("builds", _builds),
    Field("calibration", _calibration),
    Field("missing_scale", _missing_scale),
    Field("missing_scale_summary", _missing_scale_summary),
    Field("mapping", _mapping),
    Field("log_events", _log_events),
    Field("findings", _findings),
    Field("compute", _compute),
    Field("calibration_cache", _calibration_cache),
    Field("transformer_view", _transformer_view),
    Field("comparison", _comparison),
    Field("engine_layers", _engine_layers),
    Field("accuracy", _accuracy),
    Field("lint", _lint),
    Field("notes", _notes),
)


def analysis_document(a: Analysis, *, timestamp: bool = True, rows: bool = True) -> dict[str, Any]:
    """The versioned JSON document of an analysis: header keys, then every :data:`FIELDS` entry in order.

    ``rows=False`` leaves the per-tensor rows as a :class:`~trtdiag.documents.tensor_rows.TensorRows`
    view (rows built when read) instead of a list: what the HTML report and the streamed JSON writer
    (:func:`trtdiag.documents.stream.iter_json`) take, so that a million warned tensors never become a
    million dicts at once."""
    doc: dict[str, Any] = {"schema": SCHEMA, "trtdiag_version": __version__}
    if timestamp:
        doc["generated_at"] = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
    for field in FIELDS:
        value = field.build(a)
        doc[field.key] = list(value) if rows and isinstance(value, TensorRows) else value
    return doc
