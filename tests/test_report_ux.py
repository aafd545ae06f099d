"""What the report pages show: times in µs, top fix, grouped unmapped reasons, slowdown regions, row caps."""

from __future__ import annotations

import csv
import io

from trtdiag.analysis import analyze
from trtdiag.comparison import compare_artifacts
from trtdiag.report.html import ROW_LIMIT, _time, analysis_html, group_reasons, top_fix

from .conftest import FIXTURES, MODELS

ENGINES = FIXTURES / "engines"
XLMR = MODELS / "xlmr_tiny_ts_op17.onnx"


def test_small_times_in_microseconds() -> None:
    assert _time(0.004321) == "4.3 \u00b5s" and _time(1.5) == "1.500 ms" and _time(None) == ""


def test_top_fix_prefers_a_runnable_command() -> None:
    findings = [{"id": "a", "commands": ["# note", "x"], "command_blocks": [
        {"text": "# note", "kind": "command", "fill": None}, {"text": "x", "kind": "command", "fill": None}]}]
    top = top_fix(findings)
    assert top is not None and top["command"]["text"] == "x" and top["more"] == 1
    assert top_fix([]) is None


def test_unmapped_reasons_grouped() -> None:
    rows = [{"tensor": f"t{i}", "reason": "no verbose parse", "class": "parser-helper"} for i in range(45)]
    rows.append({"tensor": "u", "reason": "other", "class": "unknown"})
    groups = group_reasons(rows)
    assert [len(g["rows"]) for g in groups] == [45, 1]


def test_slowdown_regions_include_reformats_and_real_deltas_only() -> None:
    doc = compare_artifacts([ENGINES / "fp16"], [ENGINES / "int8_implicit"], model=XLMR).to_dict()
    regions = doc["slowdown_regions"]
    assert regions and all(r["delta_ms"] > 0 for r in regions)
    assert regions[0]["kind"] == "reformat layers"
    deltas = [r["delta_ms"] for r in regions]
    assert deltas == sorted(deltas, reverse=True)
    only = compare_artifacts([ENGINES / "fp16"], [ENGINES / "int8_only"], model=XLMR).to_dict()
    assert only["slowdown_regions"][0]["kind"] == "fused region"


def test_csv_macs_are_integers() -> None:
    c = compare_artifacts([ENGINES / "fp16"], [ENGINES / "int8_only"], model=XLMR)
    macs = [r["macs"] for r in csv.DictReader(io.StringIO(c.to_csv())) if r["macs"]]
    assert macs and all(m.isdigit() for m in macs)


def test_tensor_table_capped_with_totals() -> None:
    row = {"tensor": "t", "count": 1, "first_line": 1, "class": "activation", "onnx_node": None, "op_type": None,
           "block": None, "submodule": None, "onnx_consumers": [], "mapped_by": "none", "dtype": None, "reason": "r"}
    doc = analyze(FIXTURES / "logs" / "xlmr_int8_only_trtexec.log", XLMR).to_dict(timestamp=False)
    n = ROW_LIMIT + 5
    doc["missing_scale"] = [dict(row, tensor=f"t{i}") for i in range(n)]
    doc["missing_scale_summary"] = dict(doc["missing_scale_summary"], tensors=n, warnings=n)
    html = analysis_html(doc)
    assert f"the first {ROW_LIMIT:,} of {n:,} tensors" in html
    table = html[html.index('id="tensor-table"'):]
    assert table.count("<tr data-cell=") == ROW_LIMIT
