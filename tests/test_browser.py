"""The reports in a real browser: headless Chromium over the DevTools protocol (tests/browser.py).

Checks what a reader meets: no console errors, no network requests, the verdict and the top fix on the first
1400x900 screen, a grid click that brings the filtered rows into view, blanks sorting last, copy buttons
beside (not over) the commands, and a page usable 390 px wide. Skipped, with one line, without Chromium
(Debian/Ubuntu: ``apt-get install chromium``) or websocket-client.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .browser import Page, chromium_page, find_chromium
from .conftest import FIXTURES, LOGS, MODELS, ROOT

CHROMIUM = find_chromium()
if CHROMIUM is None or importlib.util.find_spec("websocket") is None:
    pytest.skip("browser tests skipped: no Chromium (apt-get install chromium) or no websocket-client",
                allow_module_level=True)

WIDE, TALL = 1400, 900


def _trtdiag(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "trtdiag", *args, "--no-timestamp"], cwd=ROOT, check=True,
                   capture_output=True, timeout=300)


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("reports")
    eng = FIXTURES / "engines"
    _trtdiag("analyze", str(LOGS / "xlmr_int8_only_trtexec.log"), str(MODELS / "xlmr_tiny_ts_op17.onnx"),
             "-o", str(out / "analyze.html"))
    _trtdiag("compare", "--fp16", str(eng / "fp16"), "--int8", str(eng / "int8_only"), "--model",
             str(MODELS / "xlmr_tiny_ts_op17.onnx"), "-o", str(out / "compare.html"))
    subprocess.run([sys.executable, "-m", "trtdiag", "lint", str(MODELS / "qdq" / "ort_default_qdq.onnx"), "-o",
                    str(out / "lint.html"), "--no-timestamp", "--fail-on", "never"], cwd=ROOT, check=True,
                   capture_output=True, timeout=300)
    return {name: out / f"{name}.html" for name in ("analyze", "compare", "lint")}


@pytest.fixture(scope="module")
def page() -> Iterator[Page]:
    assert CHROMIUM is not None
    with chromium_page(CHROMIUM) as p:
        yield p


def _open(page: Page, path: Path, width: int = WIDE, height: int = TALL) -> None:
    page.viewport(width, height)
    page.console_errors.clear()
    page.requests.clear()
    page.open(path)


def _rect(page: Page, selector: str) -> dict[str, Any]:
    rect = page.js(f"(function(){{var e=document.querySelector({selector!r}); if(!e) return null;"
                   "var r=e.getBoundingClientRect(); return {top:r.top,bottom:r.bottom,left:r.left,right:r.right};})()")
    assert rect is not None, f"{selector} not on the page"
    return dict(rect)


@pytest.mark.parametrize("name", ["analyze", "compare", "lint"])
def test_first_screen_has_verdict_and_top_fix(page: Page, reports: dict[str, Path], name: str) -> None:
    _open(page, reports[name])
    assert page.console_errors == []
    assert page.external_requests() == []
    verdict = _rect(page, ".verdict")
    fix = _rect(page, ".topfix .cmd")
    change = _rect(page, ".topfix p")
    for r in (verdict, fix, change):
        assert r["top"] >= 0 and r["bottom"] <= TALL, (name, r)
    assert page.js("document.querySelector('.topfix button.copy') !== null")


@pytest.mark.parametrize("name", ["analyze", "compare", "lint"])
def test_copy_buttons_never_cover_text(page: Page, reports: dict[str, Path], name: str) -> None:
    _open(page, reports[name])
    overlaps = page.js("""(function(){
      var bad = [];
      document.querySelectorAll('button.copy').forEach(function(b){
        var pre = b.parentNode.querySelector('pre'); if (!pre) { bad.push('no pre'); return; }
        var x = b.getBoundingClientRect(), y = pre.getBoundingClientRect();
        if (x.left < y.right && y.left < x.right && x.top < y.bottom && y.top < x.bottom) bad.push(pre.textContent.slice(0, 60));
      });
      return [document.querySelectorAll('button.copy').length, bad];
    })()""")
    count, bad = overlaps
    assert count > 0 and bad == []


def test_grid_click_brings_filtered_rows_into_view(page: Page, reports: dict[str, Path]) -> None:
    _open(page, reports["analyze"])
    cell = page.js("""(function(){
      var cells = Array.prototype.filter.call(document.querySelectorAll('td.cell[data-cell]'),
        function(td){ return parseInt(td.textContent, 10) > 0; });
      var td = cells[cells.length - 1]; td.scrollIntoView(); td.click(); return td.getAttribute('data-cell');
    })()""")
    state = page.js("""(function(){
      var rows = Array.prototype.filter.call(document.querySelectorAll('#tensor-table tbody tr'),
        function(r){ return r.style.display !== 'none'; });
      var r = rows[0].getBoundingClientRect();
      return {n: rows.length, top: r.top, bottom: r.bottom, cells: rows.map(function(x){ return x.getAttribute('data-cell'); }),
              label: document.getElementById('cell-filter').hidden ? '' : document.getElementById('cell-filter').textContent};
    })()""")
    assert state["n"] > 0 and set(state["cells"]) == {cell}
    assert state["top"] >= 0 and state["bottom"] <= TALL
    assert cell.replace("|", " / ") in state["label"] and "clear" in state["label"]
    page.js("document.getElementById('clear-cell').click()")
    assert page.js("document.getElementById('cell-filter').hidden")


@pytest.mark.parametrize(("name", "table", "column"), [("analyze", "tensor-table", 6), ("analyze", "tensor-table", 4),
                                                       ("compare", "node-table", 3)])
def test_blanks_sort_last_both_ways(page: Page, reports: dict[str, Path], name: str, table: str, column: int) -> None:
    _open(page, reports[name])
    for _direction in ("asc", "desc"):
        cells = page.js(f"""(function(){{
          var t = document.getElementById({table!r}); t.tHead.rows[0].cells[{column}].click();
          return Array.prototype.map.call(t.tBodies[0].rows, function(r){{ return r.cells[{column}].textContent.trim(); }});
        }})()""")
        blanks = [i for i, c in enumerate(cells) if c == ""]
        assert blanks, "the column should have blank cells for this test"
        assert blanks == list(range(len(cells) - len(blanks), len(cells))), _direction


def test_compare_per_node_table_has_a_search_box(page: Page, reports: dict[str, Path]) -> None:
    _open(page, reports["compare"])
    shown = page.js("""(function(){
      var i = document.getElementById('node-filter'); i.value = 'Softmax'; i.dispatchEvent(new Event('input'));
      return Array.prototype.filter.call(document.querySelectorAll('#node-table tbody tr'),
        function(r){ return r.style.display !== 'none'; }).map(function(r){ return r.textContent; });
    })()""")
    assert shown and all("Softmax" in s for s in shown)


@pytest.mark.parametrize("name", ["analyze", "compare", "lint"])
def test_usable_390_px_wide(page: Page, reports: dict[str, Path], name: str) -> None:
    _open(page, reports[name], 390, 844)
    widths = page.js("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert widths[0] <= widths[1], f"{name}: the body scrolls sideways ({widths[0]} > {widths[1]} px)"
    assert page.console_errors == []
