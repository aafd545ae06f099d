"""HTML rendering: one self-contained file (inline CSS/JS, no external requests), jinja2 autoescaped.

The report renders the versioned documents (``trtdiag/documents``), never the pipeline's
dataclasses, so the HTML cannot show anything the JSON does not hold. A page is a shell
(``templates/report.html.j2`` or ``templates/compare.html.j2``) around a list of :class:`Section`;
each section is one template under ``templates/sections/`` that receives ``section``, ``data`` (its
document key) and ``doc`` (the whole document). Adding a section = one document key + one template +
one entry in :data:`SECTIONS`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, Protocol, runtime_checkable

import jinja2
from markupsafe import Markup, escape

from trtdiag.report.charts import latency_chart, precision_strip
from trtdiag.report.template_cache import template_cache

#: HTML tables list at most this many rows (with the totals, and a note); the JSON document keeps every row.
ROW_LIMIT = 2000


@dataclass(frozen=True)
class Section:
    """One part of a report page, in page order."""

    id: str  # the HTML anchor; links and tests use it
    title: str  # its heading
    key: str | None  # the document key the template gets as ``data`` (None: the whole document)
    template: str  # under templates/


SECTIONS: tuple[Section, ...] = (
    Section("verdict", "Verdict", "verdict", "sections/verdict.html.j2"),
    Section("transformer-view", "Transformer view: what lacked scales, by block and sub-module", "transformer_view",
            "sections/transformer_view.html.j2"),
    Section("findings", "Findings", "findings", "sections/findings.html.j2"),
    Section("builds", "Build outcome and builds in the log", "builds", "sections/builds.html.j2"),
    Section("engine-layers", "INT8 engine: layers by precision", "engine_layers", "sections/engine_layers.html.j2"),
    Section("accuracy", "Outputs against the FP32 reference", "accuracy", "sections/accuracy.html.j2"),
    Section("tensors", "Tensors without INT8 scales", "missing_scale", "sections/tensors.html.j2"),
    Section("unmapped", "Unmapped names", "missing_scale", "sections/unmapped.html.j2"),
    Section("build", "Build configuration", "build", "sections/build.html.j2"),
    Section("calibration", "Calibration", "calibration", "sections/calibration.html.j2"),
    Section("calibration-cache", "Calibration cache", "calibration_cache", "sections/calibration_cache.html.j2"),
    Section("events", "Other log events", "log_events", "sections/events.html.j2"),
    Section("comparison", "FP16 vs INT8 engines", "comparison", "sections/comparison.html.j2"),
    Section("notes", "Notes", "notes", "sections/notes.html.j2"),
    Section("inputs", "Inputs and versions", "inputs", "sections/inputs.html.j2"),
)
"""The analysis report (``trtdiag analyze``)."""

COMPARISON_SECTIONS: tuple[Section, ...] = (
    Section("comparison", "FP16 vs INT8 engines", None, "sections/comparison.html.j2"),
)
"""The standalone comparison page (``trtdiag compare``): the comparison section over its own document."""

BUILD_FIELDS = (
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
"""Rows of the build-configuration table: ``build`` document key and label."""

TENSOR_GROUPS = (("class", "class"), ("op type", "op_type"), ("block", "block"), ("sub-module", "submodule"))
"""The "By ..." tables above the tensor table: title and ``missing_scale`` column."""


class Documented(Protocol):
    """Anything with a versioned document (``Analysis``, ``Comparison``); keeps this module free of them."""

    def to_dict(self, *, timestamp: bool = True) -> dict[str, Any]: ...


# -- filters and helpers the templates call


def _yesno(value: Any) -> str:
    if value is True:
        return "yes"
    if value is False:
        return "no"
    if value is None:
        return "not stated in the log"
    return str(value)


def _ms(value: float | None) -> str:
    """No timing reads ``n/a``: an empty cell or ``0.000 ms`` would pass for a measurement."""
    return "n/a" if value is None else f"{value:.3f} ms"


def _time(value: float | None) -> str:
    """A time in the unit that shows its digits: µs below a millisecond (profiles hold 0.004 ms layers)."""
    if value is None:
        return ""
    if abs(value) < 1.0:
        return f"{value * 1000:.1f} \u00b5s"
    return f"{value:.3f} ms"


def _breakable(value: Any) -> Markup:
    """A long name that may wrap after ``/`` and ``.`` (``<wbr>``), escaped."""
    text = str(escape("" if value is None else value))
    return Markup(text.replace("/", "/<wbr>").replace(".", ".<wbr>"))


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.1f}%"


def build_rows(build: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The build table: label, value, the log line it came from, and where the TensorRT version came from."""
    evidence = build["evidence_lines"]
    rows = [{"label": label, "value": build[key], "line": evidence.get(key)}
            for key, label in BUILD_FIELDS if key in build]
    if build.get("tensorrt_version_source"):
        rows[0]["source"] = build["tensorrt_version_source"]
    return rows


@runtime_checkable
class GroupedRows(Protocol):
    """Rows that count their own groups (``trtdiag.documents.tensor_rows.TensorRows``): totals of a
    million warned tensors come from their few shared mappings, not from a million rows."""

    def grouped(self, column: str) -> list[dict[str, Any]]: ...

    def unmapped(self, limit: int) -> list[dict[str, Any]]: ...


def group_table(rows: Sequence[Mapping[str, Any]], column: str) -> list[dict[str, Any]]:
    """Warned tensors grouped by one column: tensors, warnings, and how many are mapped.

    Plain Python rather than pandas: the report is on the hot path of every run, and importing
    pandas costs more than the whole grouping.
    """
    if isinstance(rows, GroupedRows):
        return rows.grouped(column)
    groups: dict[str, dict[str, Any]] = {}
    for r in rows:
        key = "(none)" if r[column] is None or r[column] == "" else str(r[column])
        g = groups.setdefault(key, {"key": key, "tensors": 0, "warnings": 0, "mapped": 0})
        g["tensors"] += 1
        g["warnings"] += r["count"]
        g["mapped"] += r["mapped_by"] != "none"
    return sorted(groups.values(), key=lambda g: -g["tensors"])


def top_fix(findings: list[Mapping[str, Any]]) -> dict[str, Any] | None:
    """The first screen's fix: the worst finding that has a command to run, and that command (a runnable
    command before a template; comment-only lines never)."""
    for f in findings:
        blocks = [b for b in f.get("command_blocks", []) if not b["text"].startswith("# ") or b["kind"] == "template"]
        runnable = [b for b in blocks if b["kind"] == "command"]
        if runnable or blocks:
            return {"finding": f, "command": (runnable or blocks)[0], "more": len(f["commands"]) - 1}
    return None


def group_reasons(rows: Sequence[Mapping[str, Any]], limit: int = ROW_LIMIT) -> list[dict[str, Any]]:
    """Unmapped names grouped by their reason, most common first: one line per reason with its ``count``
    and its first ``limit`` names (``rows``); every name is in the JSON document."""
    if isinstance(rows, GroupedRows):
        return rows.unmapped(limit)
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for r in rows:
        if r.get("mapped_by", "none") == "none":
            groups.setdefault(r.get("reason") or "(no reason recorded)", []).append(r)
    return sorted(({"reason": k, "count": len(v), "rows": v[:limit]} for k, v in groups.items()),
                  key=lambda g: -g["count"])


def grid_cells(grid: Mapping[str, Any] | None) -> dict[tuple[str, str], dict[str, Any]]:
    """Transformer-view cells by (row, column)."""
    return {(c["row"], c["column"]): c for c in grid["cells"]} if grid else {}


def cell_of_tensor(grid: Mapping[str, Any] | None) -> dict[str, str]:
    """Tensor -> ``"row|column"`` of its transformer-view cell (the tensor table filters on it)."""
    return {t: f"{c['row']}|{c['column']}" for c in (grid["cells"] if grid else []) for t in c["tensors"]}


@cache
def environment() -> jinja2.Environment:
    """The jinja2 environment of every report page (built once: templates compile on first use)."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("trtdiag.report", "templates"),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "j2"), default=True),
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
        bytecode_cache=template_cache(),
    )
    env.filters.update(yesno=_yesno, ms=_ms, pct=_pct, time=_time, breakable=_breakable)
    env.globals.update(strip=precision_strip, latency_chart=latency_chart, build_rows=build_rows,
                       group_table=group_table, tensor_groups=TENSOR_GROUPS, grid_cells=grid_cells,
                       cell_of_tensor=cell_of_tensor, top_fix=top_fix, group_reasons=group_reasons,
                       row_limit=ROW_LIMIT)
    return env


def render_page(page: str, doc: Mapping[str, Any], sections: tuple[Section, ...]) -> str:
    """Render a page shell with its sections, each given its slice of ``doc``."""
    parts = [{"section": s, "data": doc if s.key is None else doc[s.key]} for s in sections]
    return environment().get_template(page).render(doc=doc, parts=parts)


def analysis_html(doc: Mapping[str, Any]) -> str:
    """The analysis report of a ``trtdiag.analysis/1`` document."""
    return render_page("report.html.j2", doc, SECTIONS)


def comparison_html(doc: Mapping[str, Any]) -> str:
    """The standalone comparison page of a ``trtdiag.comparison/1`` document."""
    return render_page("compare.html.j2", doc, COMPARISON_SECTIONS)


def render_analysis(analysis: Documented, *, timestamp: bool = True) -> str:
    """Render an analysis report (kept for callers holding the object rather than its document)."""
    return analysis_html(analysis.to_dict(timestamp=timestamp))


def render_comparison(comparison: Documented, *, timestamp: bool = True) -> str:
    """Standalone compare.html (kept for callers holding the object rather than its document)."""
    return comparison_html(comparison.to_dict(timestamp=timestamp))
