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


def _group_table(df: Any, column: str) -> list[dict[str, Any]]:
    """Warned tensors grouped by one column: tensors, warnings, and how many are mapped."""
    if df.empty:
        return []
    key = df[column].astype(object).where(df[column].notna(), "(none)").astype(str)
    grouped = df.assign(_key=key, _mapped=df["mapped_by"] != "none").groupby("_key", sort=False)
    table = grouped.agg(tensors=("tensor", "size"), warnings=("count", "sum"), mapped=("_mapped", "sum"))
    table = table.sort_values(["tensors"], ascending=False, kind="stable")
    return [
        {"key": k, "tensors": int(r.tensors), "warnings": int(r.warnings), "mapped": int(r.mapped)}
        for k, r in table.iterrows()
    ]


def render_analysis(analysis: Analysis, *, timestamp: bool = True) -> str:
    """Render the analysis report as one HTML document."""
    doc = analysis.to_dict(timestamp=timestamp)
    df = analysis.tensors_df()
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
        "class": _group_table(df, "class"),
        "op type": _group_table(df, "op_type"),
        "block": _group_table(df, "block"),
        "sub-module": _group_table(df, "submodule"),
    }
    unmapped = [t for t in doc["missing_scale"] if t["mapped_by"] == "none"]
    return _environment().get_template("report.html.j2").render(
        doc=doc,
        build_rows=build_rows,
        groups=groups,
        unmapped=unmapped,
        tensors=doc["missing_scale"],
    )
