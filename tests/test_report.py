"""The HTML report: self-contained, escaped, verdict first."""

from __future__ import annotations

import re
from pathlib import Path

import trtdiag

from .conftest import LOGS, MODELS

EVIL = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def _evil_log(tmp_path: Path) -> Path:
    p = tmp_path / "evil.log"
    p.write_text(
        f"[W] [TRT] Missing scale and zero-point for tensor {EVIL}, expect fall back to non-int8 implementation "
        "for any layer consuming or producing given tensor\n"
    )
    return p


def test_tensor_names_with_markup_are_escaped(tmp_path: Path) -> None:
    html = trtdiag.analyze(_evil_log(tmp_path)).to_html()
    assert EVIL not in html and EVIL not in html.replace("<wbr>", "")
    html = html.replace("<wbr>", "")  # long names may break after "/" and "."; the escaping is what matters
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;" in html
    assert html.count("<script>") == 1  # only the report's own inline script


def test_report_is_self_contained(tmp_path: Path) -> None:
    html = trtdiag.analyze(LOGS / "xlmr_verbose_parse_trt10.log", MODELS / "xlmr_tiny_ts_op17.onnx").to_html()
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", html)
    assert "<link" not in html and "@import" not in html and "url(" not in html


def test_sections_in_order(tmp_path: Path) -> None:
    html = trtdiag.analyze(LOGS / "xlmr_int8_only_trtexec.log", MODELS / "xlmr_tiny_ts_op17.onnx").to_html()
    order = [html.index(f'id="{s}"') for s in ("verdict", "findings", "tensors", "build", "inputs")]
    assert order == sorted(order)
    assert 'id="tensor-table"' in html and 'id="filter"' in html
    assert "python -m modelopt.onnx.quantization" in html


def test_unmapped_names_listed_with_reason(tmp_path: Path) -> None:
    html = trtdiag.analyze(LOGS / "xlmr_verbose_parse_trt10.log", MODELS / "xlmr_tiny_ts_op17.onnx").to_html()
    unmapped = html.split('id="unmapped"', 1)[1].split("</table>", 1)[0]
    assert "(Unnamed Layer* 57) [Shuffle]_output" in unmapped
    assert "verbose parse log" in unmapped


def test_dataframe_columns_match_the_json_rows() -> None:
    a = trtdiag.analyze(LOGS / "xlmr_int8_only_trtexec.log", MODELS / "xlmr_tiny_ts_op17.onnx")
    df = a.tensors_df()
    assert list(df.columns) == list(a.to_dict()["missing_scale"][0].keys())
    assert len(df) == 130 and set(df["class"]) >= {"activation", "weight/constant"}
