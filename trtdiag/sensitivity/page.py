"""The self-contained HTML page: ranking table, error curve as inline SVG, findings, commands.

The template lives here (not under ``report/templates``) so the package needs no new package-data entry;
jinja2 autoescapes everything, node names included.
"""

from __future__ import annotations

import math
from typing import Any

import jinja2
from markupsafe import Markup

from trtdiag.sensitivity.document import to_document
from trtdiag.sensitivity.grid import SensitivityGrid, build_grid
from trtdiag.sensitivity.pipeline import SensitivityReport

_W, _H, _PAD = 560, 220, 40

_TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>trtdiag sensitivity: {{ doc.model }}</title>
<style>
body{font:14px system-ui,sans-serif;margin:2em;max-width:1100px;color:#222}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:4px 8px;text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.note{background:#fff3cd;padding:8px;border-left:4px solid #e0a800}

.finding{background:#fdecea;padding:8px;border-left:4px solid #c62828}
pre{background:#f4f4f4;padding:8px;overflow-x:auto;white-space:pre-wrap}
.bar{display:inline-block;height:10px;background:#c62828}details{margin:2px 0}
table.grid td,table.grid th{text-align:center;border:1px solid #eee;font-size:12px}
</style></head><body>
<h1>INT8 sensitivity of {{ doc.model }}</h1>
<p>Granularity: <b>{{ doc.granularity }}</b>; data: {{ doc.data.source }} ({{ doc.data.calibration_batches }}
calibration / {{ doc.data.evaluation_batches }} held-out batches); all-INT8 error (1 - cosine):
<b>{{ '%.3g' % doc.all_int8.error }}</b>; {{ doc.variants }} variants in {{ doc.seconds }} s.</p>
{% for n in doc.notes %}<p class="note">{{ n }}</p>{% endfor %}
{% for f in doc.findings %}<div class="finding"><b>{{ f.id }}</b>: {{ f.title }}<br>{{ f.explanation }}
<ul>{% for t in f.evidence.notes %}<li><code>{{ t }}</code></li>{% endfor %}</ul>{{ f.fix }}</div>{% endfor %}
<h2>Ranking (most sensitive first)</h2>
<table><tr><th>#</th><th>group</th><th>block</th><th>role</th><th>error, only this INT8</th><th></th>
<th>SQNR dB</th><th>error, all but this INT8</th><th>nodes</th></tr>
{% for r in doc.ranking %}<tr><td>{{ loop.index }}</td><td>{{ r.label }}</td>
<td>{{ r.block if r.block is not none else '' }}</td>
<td>{{ r.role or '' }}</td><td class="num">{{ '%.3g' % r.error }}</td>
<td><span class="bar" style="width:{{ bars[loop.index0] }}px"></span></td>
<td class="num">{{ '%.1f' % r.sqnr_db if r.sqnr_db is not none else 'inf' }}</td>
<td class="num">{{ '%.3g' % r.error_without }}</td>
<td><details><summary>{{ r.nodes|length }}</summary>
{% for n in r.nodes %}<code>{{ n }}</code><br>{% endfor %}</details></td></tr>
{% endfor %}</table>
{% if grid %}<h2>Transformer grid: error with only the cell's group in INT8</h2>
<p>Darker is more sensitive (colour scale relative to the largest error, {{ '%.3g' % grid.top }}); hover a cell
for its nodes.</p>
<table class="grid"><tr><th></th>{% for c in grid.columns %}<th>{{ c }}</th>{% endfor %}</tr>
{% for r in grid.rows %}<tr><th>{{ r }}</th>{% for c in grid.columns %}{% set cell = cells.get((r, c)) %}
{% if cell %}<td style="background:{{ shade(cell.error) }}" title="{{ cell.group }}: {{ cell.nodes|join(', ') }}">
{{ '%.2g' % cell.error }}</td>{% else %}<td></td>{% endif %}{% endfor %}</tr>
{% endfor %}</table>{% endif %}
<h2>Error with the top k groups kept out of INT8</h2>
{{ svg }}
<p>Recommended: exclude the top {{ doc.recommended.excluded_groups }} group(s),
{{ doc.recommended.nodes|length }} node(s).</p>
<h2>Commands</h2>
{% for c in doc.commands %}<h3>{{ c.purpose }}</h3><pre>{{ c.command }}</pre>{% endfor %}
</body></html>
"""


def curve_svg(curve: list[dict[str, Any]]) -> str:
    """A log-x line chart of error against groups excluded (plain SVG, no script)."""
    if not curve:
        return ""
    top = max(p["error"] for p in curve) or 1.0
    last = max(p["excluded"] for p in curve) or 1

    def xy(p: dict[str, Any]) -> tuple[float, float]:
        x = _PAD + (_W - 2 * _PAD) * math.log2(1 + p["excluded"]) / math.log2(1 + last)
        return x, _H - _PAD - (_H - 2 * _PAD) * p["error"] / top

    points = [xy(p) for p in curve]
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    dots = "".join(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="#c62828"><title>top {p["excluded"]}: '
                   f'{p["error"]:.3g}</title></circle>'
                   f'<text x="{x:.1f}" y="{_H - _PAD + 14}" font-size="11" text-anchor="middle">{p["excluded"]}</text>'
                   for (x, y), p in zip(points, curve, strict=True))
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{_W}" height="{_H}" role="img">'
            f'<line x1="{_PAD}" y1="{_H - _PAD}" x2="{_W - _PAD}" y2="{_H - _PAD}" stroke="#888"/>'
            f'<line x1="{_PAD}" y1="{_PAD}" x2="{_PAD}" y2="{_H - _PAD}" stroke="#888"/>'
            f'<text x="4" y="{_PAD - 8}" font-size="11">error {top:.3g}</text>'
            f'<polyline points="{line}" fill="none" stroke="#c62828" stroke-width="2"/>{dots}</svg>')


def shader(grid: SensitivityGrid | None) -> Any:
    """Cell colour: red with an opacity on a log scale of error / largest error (three decades shown)."""
    top = grid.top if grid is not None and grid.top > 0 else 1.0

    def shade(error: float) -> str:
        alpha = 0.0 if error <= 0 else max(0.0, 1 + math.log10(error / top) / 3)
        return f"rgba(198,40,40,{0.08 + 0.8 * alpha:.2f})"

    return shade


def to_html(report: SensitivityReport) -> str:
    doc = to_document(report)
    env = jinja2.Environment(autoescape=True)
    top = max((r["error"] for r in doc["ranking"]), default=0.0) or 1.0
    bars = [round(120 * r["error"] / top) for r in doc["ranking"]]
    grid = build_grid(report.graph, report.result.ranking)
    cells = {(c.row, c.column): c for c in grid.cells} if grid is not None else {}
    return env.from_string(_TEMPLATE).render(doc=doc, bars=bars, svg=Markup(curve_svg(doc["curve"])), grid=grid,
                                             cells=cells, shade=shader(grid))
