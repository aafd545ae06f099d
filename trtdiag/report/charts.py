"""Inline graphics for the HTML report: precision strips and the latency-by-block SVG.

Both are built from document dicts (``trtdiag.comparison/1`` blocks) so the report needs no
JavaScript charting library and no network. Every name that reaches the markup is escaped here,
because the result is marked safe for the (autoescaping) templates.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from markupsafe import Markup, escape

#: Engine colours: deliberately not the precision colours of the strips (green INT8, blue FP16, red FP32), so a
#: bar of the INT8 *engine* is never read as INT8 *precision*.
FP16_COLOUR, INT8_COLOUR, REFORMAT_COLOUR = "#475467", "#9e77ed", "#fdb022"


def precision_strip(counts: Mapping[str, int]) -> Markup:
    """A precision strip: one coloured segment per precision, width by layer count."""
    total = sum(counts.values())
    if not total:
        return Markup("")
    parts = "".join(
        f'<span class="p-{escape(k)}" style="width:{v / total * 100:.1f}%" title="{escape(k)}: {v} layers"></span>'
        for k, v in sorted(counts.items())
    )
    return Markup(f'<div class="strip">{parts}</div>')


def _block_bars(b: Mapping[str, Any], left: int, y: int, bar: int, scale: float) -> list[str]:
    """The two bars of one block (FP16 above INT8), reformat time stacked on each, total at the end."""
    out = [f'<text x="{left - 6}" y="{y + bar + 4}" text-anchor="end">{escape(b["block"])}</text>']
    sides = (("FP16", b["fp16_ms"], b["fp16_reformat_ms"], FP16_COLOUR),
             ("INT8", b["int8_ms"], b["int8_reformat_ms"], INT8_COLOUR))
    for j, (label, ms, ref, colour) in enumerate(sides):
        yy = y + j * bar
        w = ms * scale
        out.append(f'<rect x="{left}" y="{yy}" width="{w:.1f}" height="{bar - 1}" fill="{colour}">'
                   f'<title>{label} {escape(b["block"])}: {ms:.3f} ms + {ref:.3f} ms reformat</title></rect>')
        if ref:
            out.append(f'<rect x="{left + w:.1f}" y="{yy}" width="{ref * scale:.1f}" height="{bar - 1}" '
                       f'fill="{REFORMAT_COLOUR}"><title>{label} reformat: {ref:.3f} ms</title></rect>')
        out.append(f'<text x="{left + (ms + ref) * scale + 4:.1f}" y="{yy + bar - 1}">{_fmt(ms + ref)}</text>')
    return out


def _fmt(ms: float) -> str:
    """A bar's total in the chart's unit: µs below a millisecond."""
    return f"{ms * 1000:.1f} \u00b5s" if ms < 1.0 else f"{ms:.3f} ms"


def _axis(left: int, y: int, right: int, top: int, vmax: float, scale: float) -> list[str]:
    """The time axis under the bars: a line, gridlines and ticks at round values, and its unit."""
    unit, factor = ("\u00b5s", 1000.0) if vmax < 1.0 else ("ms", 1.0)
    raw = vmax * factor / 5 or 1.0
    step = 10 ** math.floor(math.log10(raw))
    step *= next(m for m in (1, 2, 5, 10) if raw <= step * m)
    out = [f'<line x1="{left}" y1="{y}" x2="{right}" y2="{y}" stroke="#98a2b3"/>']
    tick = 0.0
    while tick <= vmax * factor + 1e-9:
        x = left + tick / factor * scale
        out.append(f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{y + 4}" stroke="#eaecf0"/>'
                   f'<text x="{x:.1f}" y="{y + 16}" text-anchor="middle">{tick:g}</text>')
        tick += step
    out.append(f'<text x="{right}" y="{y + 30}" text-anchor="end">time per inference ({unit})</text>')
    return out


def _legend(left: int, y: int) -> str:
    return (f'<rect x="{left}" y="{y - 9}" width="10" height="9" fill="{FP16_COLOUR}"/>'
            f'<text x="{left + 14}" y="{y}">FP16 engine</text>'
            f'<rect x="{left + 100}" y="{y - 9}" width="10" height="9" fill="{INT8_COLOUR}"/>'
            f'<text x="{left + 114}" y="{y}">INT8 engine</text><rect x="{left + 200}" y="{y - 9}" width="10" '
            f'height="9" fill="{REFORMAT_COLOUR}"/><text x="{left + 214}" y="{y}">reformat layers</text>')


def latency_chart(blocks: list[dict[str, Any]]) -> Markup:
    """Inline SVG: latency by block for both engines (two bars per block, reformat time on top).

    None when an engine has no per-layer timing (its block times are null): bars of zero would show
    an engine that costs nothing."""
    keys = ("fp16_ms", "fp16_reformat_ms", "int8_ms", "int8_reformat_ms")
    if not blocks or any(b[k] is None for b in blocks for k in keys):
        return Markup("")
    width, bar, gap, left, top = 900, 9, 8, 120, 20
    values = [max(b["fp16_ms"] + b["fp16_reformat_ms"], b["int8_ms"] + b["int8_reformat_ms"]) for b in blocks]
    vmax = max(values) or 1.0
    scale = (width - left - 80) / vmax
    axis_y = top + len(blocks) * (2 * bar + gap)
    height = axis_y + 56
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" role="img" aria-label="Time by block, FP16 and INT8 engines">',
           f'<text x="{left}" y="12">Time by block: FP16 engine (upper bar), INT8 engine (lower bar), '
           'reformat time stacked</text>']
    out.extend(_axis(left, axis_y, width - 80, top, vmax, scale))
    for i, b in enumerate(blocks):
        out.extend(_block_bars(b, left, top + i * (2 * bar + gap), bar, scale))
    out.append(_legend(left, height - 4) + "</svg>")
    return Markup("".join(out))
