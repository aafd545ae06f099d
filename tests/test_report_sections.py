"""The report is rendered from the documents alone, one template per section, in SECTIONS order."""

from __future__ import annotations

import fnmatch
import json
from importlib import resources

import pytest

import trtdiag
from trtdiag.documents.analysis import FIELDS
from trtdiag.report.html import COMPARISON_SECTIONS, SECTIONS, analysis_html, comparison_html, render_page

from .conftest import FIXTURES, LOGS, MODELS, ROOT

ENGINES = FIXTURES / "engines"
MODEL = MODELS / "xlmr_tiny_ts_op17.onnx"


def _full_analysis() -> trtdiag.Analysis:
    """An analysis that fills every section: findings, grid, cache, unmapped names, events, engines, outputs."""
    return trtdiag.analyze(LOGS / "xlmr_int8_fp16_pyapi_calibrator.log", MODEL,
                           calib_cache=FIXTURES / "caches" / "xlmr_stale_other_export.cache",
                           fp16_layers=ENGINES / "fp16" / "layers.json", fp16_profile=ENGINES / "fp16" / "profile.json",
                           int8_layers=ENGINES / "int8_implicit" / "layers.json",
                           int8_profile=ENGINES / "int8_implicit" / "profile.json",
                           outputs=[FIXTURES / "outputs" / "xlmr_int8.json", FIXTURES / "outputs" / "xlmr_fp32.json"])


def test_sections_are_declared_once_with_a_template_and_a_document_key() -> None:
    templates = resources.files("trtdiag.report") / "templates"
    keys = {f.key for f in FIELDS}
    assert len({s.id for s in SECTIONS}) == len(SECTIONS)
    for s in SECTIONS + COMPARISON_SECTIONS:
        assert (templates / s.template).is_file(), s.template
        assert s.template.startswith("sections/") and s.title
    assert {s.key for s in SECTIONS} <= keys


def test_report_is_rendered_from_the_json_document_alone() -> None:
    a = _full_analysis()
    doc = json.loads(a.to_json(timestamp=False))
    html = analysis_html(doc)
    assert html == a.to_html(timestamp=False)
    shown = [s.id for s in SECTIONS if f'id="{s.id}"' in html]
    assert shown == [s.id for s in SECTIONS if s.id != "events"]  # this log has no other events
    positions = [html.index(f'id="{i}"') for i in shown]
    assert positions == sorted(positions), shown
    assert "<svg" in html and 'class="strip"' in html
    events = trtdiag.analyze(LOGS / "xlmr_trt11_failure.log").to_html()
    assert events.index('id="events"') < events.index('id="inputs"')


def test_comparison_page_is_rendered_from_its_document() -> None:
    c = trtdiag.compare(ENGINES / "fp16", ENGINES / "int8_implicit", model=MODEL)
    html = comparison_html(json.loads(c.to_json(timestamp=False)))
    assert html == c.to_html(timestamp=False)
    assert 'id="comparison"' in html and 'id="node-table"' in html


def test_a_page_renders_any_subset_of_sections() -> None:
    doc = _full_analysis().to_dict(timestamp=False)
    only = tuple(s for s in SECTIONS if s.id in ("verdict", "inputs"))
    html = render_page("report.html.j2", doc, only)
    assert 'id="verdict"' in html and 'id="inputs"' in html
    assert 'id="findings"' not in html and 'id="tensors"' not in html


def test_empty_sections_are_left_out() -> None:
    html = trtdiag.analyze(LOGS / "xlmr_fp16_only_trtexec.log").to_html()
    for absent in ("transformer-view", "calibration-cache", "unmapped", "comparison"):
        assert f'id="{absent}"' not in html
    assert 'id="verdict"' in html and "No missing-scale warnings in this log." in html


def test_every_template_is_packaged() -> None:
    """An installed (non-editable) trtdiag must ship every template, sections included."""
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["trtdiag"]
    package = ROOT / "trtdiag"
    for path in (package / "report" / "templates").rglob("*"):
        if path.is_file():
            rel = path.relative_to(package).as_posix()
            assert any(fnmatch.fnmatch(rel, p) and rel.count("/") == p.count("/") for p in patterns), rel
