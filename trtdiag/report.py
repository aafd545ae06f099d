"""HTML rendering: one self-contained file (inline CSS/JS, no external requests), jinja2 autoescaped."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import jinja2

if TYPE_CHECKING:
    from trtdiag.analysis import Analysis

_BUILD_FIELDS = (
    ("tensorrt_version", "TensorRT version"),
    ("producer", "Producer"),
    ("int8", "INT8 enabled"),
    ("fp16", "FP16 enabled"),
    ("best", "--best"),
    ("strongly_typed", "Strongly typed"),
    ("precision", "Precision"),
    ("calibrator", "Calibrator"),
    ("calibration_algorithm", "Calibration algorithm"),
    ("calibration_cache_read", "Calibration cache read"),
    ("calibration_cache_written", "Calibration cache written"),
    ("calibration_dynamic", "Calibration: Dynamic (no calibrator)"),
    ("fp32_int8_notice", "\u201cFP32 and INT8 precisions have been specified\u201d"),
    ("command", "Command"),
)


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("trtdiag", "templates"),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "j2"), default=True),
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["yesno"] = _yesno
    return env


def _yesno(value: Any) -> str:
    if value is True:
        return "yes"
    if value is False:
        return "no"
    if value is None:
        return "not stated in the log"
    return str(value)


def _group_table(rows: list[dict[str, Any]], column: str) -> list[dict[str, Any]]:
    """Warned tensors grouped by one column: tensors, warnings, and how many are mapped.

    Plain Python rather than pandas: the report is on the hot path of every run, and importing
    pandas costs more than the whole grouping.
    """
    groups: dict[str, dict[str, Any]] = {}
    for r in rows:
        key = "(none)" if r[column] is None or r[column] == "" else str(r[column])
        g = groups.setdefault(key, {"key": key, "tensors": 0, "warnings": 0, "mapped": 0})
        g["tensors"] += 1
        g["warnings"] += r["count"]
        g["mapped"] += r["mapped_by"] != "none"
    return sorted(groups.values(), key=lambda g: -g["tensors"])


def render_analysis(analysis: Analysis, *, timestamp: bool = True) -> str:
    """Render the analysis report as one HTML document."""
    doc = analysis.to_dict(timestamp=timestamp)
    rows = doc["missing_scale"]
    build = doc["build"]
    evidence = build["evidence_lines"]
    build_rows = [
        {"label": label, "value": build[key], "line": evidence.get(key)}
        for key, label in _BUILD_FIELDS
        if key in build
    ]
    if build.get("tensorrt_version_source"):
        build_rows[0]["source"] = build["tensorrt_version_source"]
    groups = {
        "class": _group_table(rows, "class"),
        "op type": _group_table(rows, "op_type"),
        "block": _group_table(rows, "block"),
        "sub-module": _group_table(rows, "submodule"),
    }
    unmapped = [t for t in rows if t["mapped_by"] == "none"]
    grid = doc.get("transformer_view")
    grid_cells = {(c["row"], c["column"]): c for c in grid["cells"]} if grid else {}
    cell_of = {t: f"{c['row']}|{c['column']}" for c in (grid["cells"] if grid else []) for t in c["tensors"]}
    tensors = [dict(t, cell=cell_of.get(t["tensor"], "")) for t in rows]
    return _environment().get_template("report.html.j2").render(
        doc=doc,
        build_rows=build_rows,
        groups=groups,
        unmapped=unmapped,
        tensors=tensors,
        grid=grid,
        grid_cells=grid_cells,
    )
