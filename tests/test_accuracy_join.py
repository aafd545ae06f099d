"""Outputs joined with the build log: ``analyze(..., outputs=...)``, ``trtdiag analyze --outputs`` and
``trtdiag accuracy --log`` give ONE root cause citing both the outputs (class, relative error) and the log
lines; the model's static hazards join ``analyze`` and ``lint``; ``calibration-range-overflow`` from caches.

The outputs are fixtures/outputs (written by fixtures/make_outputs.py): the FP32 reference, an INT8-noise
candidate and a same-as-reference candidate, both under TensorRT runner names."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest

pytest.importorskip("onnxruntime")

from trtdiag.accuracy.classify import AccuracyClass
from trtdiag.analysis import analyze
from trtdiag.documents.schemas import validate
from trtdiag.findings import Finding

from .conftest import FIXTURES, LOGS, MODELS
from .test_cli import run

OUT = FIXTURES / "outputs"
XLMR = MODELS / "xlmr_tiny_ts_op17.onnx"
INT8_ONLY = LOGS / "xlmr_int8_only_trtexec.log"
FP32, INT8, NOT_ENGAGED, INPUTS = (OUT / f"xlmr_{n}.json" for n in ("fp32", "int8", "int8_not_engaged", "inputs"))


def _by_id(findings: tuple[Finding, ...] | list[Finding], rule: str) -> list[Finding]:
    return [f for f in findings if f.id == rule]


def _assert_merged(f: Finding) -> None:
    """One finding citing the outputs (file, class, relative error) and the log's lines."""
    notes = " ".join(f.evidence.notes)
    assert "xlmr_int8_not_engaged.json" in notes and "same-as-reference" in notes
    assert "relative L2 error 2" in notes  # 2e-07: FP32 rounding
    assert {1, 9, 119} <= set(f.evidence.lines)  # trtexec command, precision line, "FP32 and INT8" notice
    assert "outputs confirm it" in f.title and "int8-not-engaged" in f.explanation


def test_merged_root_cause_cites_outputs_and_log_lines() -> None:
    a = analyze(INT8_ONLY, XLMR, outputs=[NOT_ENGAGED, FP32])
    assert a.accuracy is not None and a.accuracy.worst_class is AccuracyClass.SAME
    merged = _by_id(a.findings, "int8-without-fp16")
    assert len(merged) == 1
    _assert_merged(merged[0])
    assert _by_id(a.findings, "int8-not-engaged") == []  # not a second root cause
    assert a.findings[0].id == "int8-without-fp16" and "outputs confirm it" in a.verdict.headline
    doc = a.to_dict(timestamp=False)
    validate(doc)
    assert doc["accuracy"]["class"] == "same-as-reference" and doc["accuracy"]["log"] == str(INT8_ONLY)
    assert [f["id"] for f in doc["accuracy"]["findings"]] == [f["id"] for f in doc["findings"]]
    html = a.to_html(timestamp=False)
    assert 'id="accuracy"' in html and "xlmr_int8_not_engaged.json" in html


def test_no_analysis_without_outputs_has_a_null_accuracy_key() -> None:
    doc = analyze(INT8_ONLY, XLMR).to_dict(timestamp=False)
    assert doc["accuracy"] is None
    validate(doc)


def test_int8_level_outputs_leave_the_log_finding_alone() -> None:
    plain = analyze(INT8_ONLY, XLMR)
    joined = analyze(INT8_ONLY, XLMR, outputs=[INT8, FP32])
    assert joined.accuracy is not None and joined.accuracy.worst_class is AccuracyClass.INT8
    assert _by_id(joined.findings, "int8-without-fp16") == _by_id(plain.findings, "int8-without-fp16")
    assert [f.id for f in joined.findings] == [f.id for f in plain.findings]


def test_candidate_only_runs_the_reference_on_cpu_with_the_saved_inputs() -> None:
    a = analyze(INT8_ONLY, XLMR, outputs=[NOT_ENGAGED, INPUTS])
    assert a.accuracy is not None and a.accuracy.reference_runner.startswith("onnxrt-runner-trtdiag")
    assert a.accuracy.worst_class is AccuracyClass.SAME
    _assert_merged(_by_id(a.findings, "int8-without-fp16")[0])


def test_not_engaged_without_a_cause_in_the_log_stays_its_own_finding() -> None:
    a = analyze(LOGS / "xlmr_fp16_only_trtexec.log", XLMR, outputs=[NOT_ENGAGED, FP32])
    [f] = _by_id(a.findings, "int8-not-engaged")
    assert "names no cause" in f.explanation


def test_cli_analyze_outputs_and_accuracy_log_join_the_same_way(tmp_path: Path) -> None:
    js = tmp_path / "a.json"
    proc = run("analyze", str(INT8_ONLY), str(XLMR), "--outputs", str(NOT_ENGAGED), "--outputs", str(FP32),
               "--json", str(js), "-o", str(tmp_path / "a.html"), "--no-timestamp")
    assert proc.returncode == 0, proc.stderr
    analysis = json.loads(js.read_text())
    acc_js = tmp_path / "acc.json"
    proc = run("accuracy", "--reference", str(FP32), "--candidate", str(NOT_ENGAGED), "--model", str(XLMR),
               "--log", str(INT8_ONLY), "--json", str(acc_js), "--no-timestamp")
    assert proc.returncode == 0, proc.stderr
    acc = json.loads(acc_js.read_text())
    validate(acc)
    assert acc["log"] == str(INT8_ONLY)
    assert [f["id"] for f in acc["findings"]] == [f["id"] for f in analysis["findings"]]
    merged = next(f for f in acc["findings"] if f["id"] == "int8-without-fp16")
    assert any("same-as-reference" in n for n in merged["evidence"]["notes"]) and 119 in merged["evidence"]["lines"]
    assert "int8-not-engaged" not in {f["id"] for f in acc["findings"]}


def test_fp16_overflow_constant_joins_analyze_only_for_fp16_builds() -> None:
    assert _by_id(analyze(INT8_ONLY, XLMR).findings, "fp16-overflow-constant") == []
    fp16 = analyze(LOGS / "xlmr_int8_fp16_pyapi_calibrator.log", XLMR)
    [f] = _by_id(fp16.findings, "fp16-overflow-constant")
    assert f.evidence.nodes == ("/Mul_1",) and "-3.403e+38" in f.evidence.notes[0] and f.evidence.lines
    # with the outputs the hazard is still reported once
    joined = analyze(LOGS / "xlmr_int8_fp16_pyapi_calibrator.log", XLMR, outputs=[INT8, FP32])
    assert len(_by_id(joined.findings, "fp16-overflow-constant")) == 1


def test_fp16_overflow_constant_in_lint() -> None:
    import jsonschema

    from trtdiag.documents.schemas import load_schema
    from trtdiag.lint.document import lint_json
    from trtdiag.lint.run import lint_model

    result = lint_model(MODELS / "xlmr_tiny_ts_op17_qdq.onnx")
    [f] = result.by_id("fp16-overflow-constant")
    assert f.evidence.nodes == ("/Mul_1",)
    doc = json.loads(lint_json(result, timestamp=False))
    jsonschema.Draft202012Validator(load_schema("lint.schema.json")).validate(doc)


def _scale_hex(scale: float) -> str:
    return struct.pack(">f", scale).hex()


@pytest.mark.parametrize("kind", ["tensorrt", "ort-text"])
def test_calibration_range_overflow_names_the_mask_tensors(kind: str, tmp_path: Path) -> None:
    if kind == "tensorrt":
        lines = (FIXTURES / "caches" / "xlmr_good_trt100300.cache").read_text().splitlines()
        lines = [f"/Mul_1_output_0: {_scale_hex(2.7e36)}" if ln.startswith("/Mul_1_output_0:") else ln
                 for ln in lines]
    else:
        lines = (FIXTURES / "caches" / "xlmr_ort_table.cache").read_text().splitlines()
        lines = ["/Mul_1_output_0 3.4028234e+38" if ln.startswith("/Mul_1_output_0 ") else ln for ln in lines]
    cache = tmp_path / "calib.cache"
    cache.write_text("\n".join(lines) + "\n")
    a = analyze(INT8_ONLY, XLMR, calib_cache=cache)
    [f] = _by_id(a.findings, "calibration-range-overflow")
    assert f.evidence.tensors == ("/Mul_1_output_0",) and f.evidence.nodes == ("/Mul_1",)
    assert "mask" in f.fix and "clamp" in f.fix
    assert "e+38" in f.evidence.notes[0] and "e+38" in f.explanation
    validate(a.to_dict(timestamp=False))


def test_good_cache_has_no_range_overflow() -> None:
    a = analyze(INT8_ONLY, XLMR, calib_cache=FIXTURES / "caches" / "xlmr_good_trt100300.cache")
    assert _by_id(a.findings, "calibration-range-overflow") == []


def test_plugin_fixture_writes_the_accuracy_page(pytester: pytest.Pytester) -> None:
    from .conftest import plugin_args

    report_dir = pytester.path / "reports"
    pytester.makepyfile(f"""
        from trtdiag.testing import assert_int8_engaged, assert_outputs_close

        def test_engaged(trtdiag_accuracy):
            r = trtdiag_accuracy(r"{INT8}", reference=r"{FP32}")
            assert str(r.worst_class) == "int8-level" and r.report_path.endswith(".html")
            assert_outputs_close(r"{FP32}", r"{INT8}")
            assert_int8_engaged(r"{FP32}", r"{INT8}")

        def test_not_engaged(trtdiag_accuracy):
            trtdiag_accuracy([r"{NOT_ENGAGED}"], reference=r"{FP32}")
            assert_int8_engaged(r"{FP32}", r"{NOT_ENGAGED}")
    """)
    result = pytester.runpytest_subprocess(*plugin_args(), f"--trtdiag-report-dir={report_dir}")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*INT8 did not engage*same-as-reference*", "*trtdiag reports*"])
    pages = sorted(report_dir.glob("*accuracy*.html"))
    assert len(pages) == 2 and all(p.read_text().startswith("<!DOCTYPE html>") for p in pages)


def test_committed_outputs_are_what_make_outputs_writes() -> None:
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, str(FIXTURES / "make_outputs.py"), "--check"], capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
