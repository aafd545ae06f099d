"""HTML rendering: one self-contained file (inline CSS/JS, no external requests), jinja2 autoescaped."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import jinja2
from markupsafe import Markup, escape

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
        loader=jinja2.PackageLoader("trtdiag.report", "templates"),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "j2"), default=True),
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["yesno"] = _yesno
    env.filters["ms"] = _ms
    env.filters["pct"] = _pct
    env.globals["strip"] = _strip
    return env


def _ms(value: Any) -> str:
    return "" if value is None else f"{value:.3f} ms"


def _pct(value: Any) -> str:
    return "n/a" if value is None else f"{value * 100:.1f}%"


def _strip(counts: dict[str, int]) -> Markup:
    """A precision strip: one coloured segment per precision, width by layer count."""
    total = sum(counts.values())
    if not total:
        return Markup("")
    parts = "".join(
        f'<span class="p-{escape(k)}" style="width:{v / total * 100:.1f}%" title="{escape(k)}: {v} layers"></span>'
        for k, v in sorted(counts.items())
    )
    return Markup(f'<div class="strip">{parts}</div>')


def _latency_chart(blocks: list[dict[str, Any]]) -> Markup:
    """Inline SVG: latency by block for both engines (two bars per block, reformat time hatched on top)."""
    if not blocks:
        return Markup("")
    width, bar, gap, left, top = 900, 9, 8, 120, 20
    values = [max(b["fp16_ms"] + b["fp16_reformat_ms"], b["int8_ms"] + b["int8_reformat_ms"]) for b in blocks]
    vmax = max(values) or 1.0
    scale = (width - left - 80) / vmax
    height = top + len(blocks) * (2 * bar + gap) + 30
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
           'aria-label="Latency by block, FP16 and INT8 engines">']
    for i, b in enumerate(blocks):
        y = top + i * (2 * bar + gap)
        out.append(f'<text x="{left - 6}" y="{y + bar + 4}" text-anchor="end">{escape(b["block"])}</text>')
        for j, (label, ms, ref, colour) in enumerate((("FP16", b["fp16_ms"], b["fp16_reformat_ms"], "#2e90fa"),
                                                      ("INT8", b["int8_ms"], b["int8_reformat_ms"], "#12b76a"))):
            yy = y + j * bar
            w = ms * scale
            out.append(f'<rect x="{left}" y="{yy}" width="{w:.1f}" height="{bar - 1}" fill="{colour}">'
                       f'<title>{label} {escape(b["block"])}: {ms:.3f} ms + {ref:.3f} ms reformat</title></rect>')
            if ref:
                out.append(f'<rect x="{left + w:.1f}" y="{yy}" width="{ref * scale:.1f}" height="{bar - 1}" '
                           f'fill="#fdb022"><title>{label} reformat: {ref:.3f} ms</title></rect>')
            out.append(f'<text x="{left + (ms + ref) * scale + 4:.1f}" y="{yy + bar - 1}">{ms + ref:.3f}</text>')
    y = height - 10
    out.append(f'<rect x="{left}" y="{y - 9}" width="10" height="9" fill="#2e90fa"/>'
               f'<text x="{left + 14}" y="{y}">FP16</text>'
               f'<rect x="{left + 60}" y="{y - 9}" width="10" height="9" fill="#12b76a"/>'
               f'<text x="{left + 74}" y="{y}">INT8</text><rect x="{left + 120}" y="{y - 9}" width="10" height="9" '
               f'fill="#fdb022"/><text x="{left + 134}" y="{y}">reformat</text></svg>')
    return Markup("".join(out))


def render_comparison(comparison: Any, *, timestamp: bool = True) -> str:
    """Standalone compare.html."""
    cmp = comparison.to_dict(timestamp=timestamp)
    return _environment().get_template("compare.html.j2").render(cmp=cmp, chart=_latency_chart(cmp["blocks"]))


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
        cmp=doc.get("comparison"),
        chart=_latency_chart(doc["comparison"]["blocks"]) if doc.get("comparison") else "",
    )
