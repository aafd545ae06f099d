"""``trtdiag accuracy`` end to end: exit codes 0/1/2, the JSON document, the HTML page, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("onnxruntime")

from trtdiag.documents.schemas import validate

from .test_accuracy_classes import XLMR, saved_runs, xlmr_feeds  # noqa: F401
from .test_cli import _assert_one_line_error, run


def test_saved_reference_json_html_and_fail_on(saved_runs: dict[str, Path], tmp_path: Path) -> None:  # noqa: F811
    out_json, out_html = tmp_path / "acc.json", tmp_path / "acc.html"
    proc = run("accuracy", "--reference", str(saved_runs["fp32"]), "--candidate", str(saved_runs["int8"]),
               "--candidate", str(saved_runs["large"]), "--model", str(XLMR), "--json", str(out_json),
               "-o", str(out_html), "--no-timestamp")
    assert proc.returncode == 0, proc.stderr
    assert "int8-level" in proc.stdout and "degraded" in proc.stdout
    doc = json.loads(out_json.read_text())
    validate(doc)
    assert doc["schema"] == "trtdiag.accuracy/1" and doc["class"] == "degraded"
    assert "fp16-overflow-constant" in {f["id"] for f in doc["findings"]}
    assert out_html.read_text().startswith("<!DOCTYPE html>")
    failing = run("accuracy", "--reference", str(saved_runs["fp32"]), "--candidate", str(saved_runs["large"]),
                  "--fail-on", "degraded")
    assert failing.returncode == 1 and "FAILED" in failing.stdout


def test_cpu_reference_from_model(saved_runs: dict[str, Path], tmp_path: Path) -> None:  # noqa: F811
    data = tmp_path / "calib.npz"
    feed = xlmr_feeds()[0]
    np.savez(data, input_ids=feed["input_ids"], attention_mask=feed["attention_mask"])
    proc = run("accuracy", str(XLMR), "--candidate", str(saved_runs["int8"]), "--data", str(data),
               "--fail-on", "broken")
    assert proc.returncode == 0, proc.stderr
    assert "int8-level" in proc.stdout


def test_bad_inputs_are_one_line_errors(saved_runs: dict[str, Path], tmp_path: Path) -> None:  # noqa: F811
    _assert_one_line_error(run("accuracy", "--reference", str(tmp_path / "none.json"), "--candidate",
                               str(saved_runs["int8"])), "not found")
    junk = tmp_path / "junk.json"
    junk.write_text("{\"a\": 1}")
    _assert_one_line_error(run("accuracy", "--reference", str(junk), "--candidate", str(saved_runs["int8"])),
                           "not a Polygraphy RunResults file")
    other = tmp_path / "other.npz"
    np.savez(other, last_hidden_state=np.zeros((1, 8, 64), np.float32))
    _assert_one_line_error(run("accuracy", "--reference", str(saved_runs["fp32"]), "--candidate", str(other)),
                           "has shape [1, 8, 64], the reference [2, 8, 64]")
    _assert_one_line_error(run("accuracy", "--candidate", str(saved_runs["int8"])), "give --reference")
