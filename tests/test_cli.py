"""End-to-end CLI runs on the project's fixture logs and models, and on bad input."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import LOGS, MODELS, ROOT


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "trtdiag", *args], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=300)


def _analyze(tmp_path: Path, log: Path, model: Path | None = None, *extra: str) -> tuple[subprocess.CompletedProcess[str], dict]:
    html, js = tmp_path / "r.html", tmp_path / "r.json"
    args = [str(log)] + ([str(model)] if model else []) + ["-o", str(html), "--json", str(js), *extra]
    proc = run("analyze", *args)
    doc = json.loads(js.read_text()) if js.exists() else {}
    return proc, doc


FIXTURE_CASES = [
    # log, model, expected finding ids (in order)
    ("xlmr_int8_only_trtexec.log", "xlmr_tiny_ts_op17.onnx",
     ["int8-without-fp16", "implicit-int8-transformer", "activations-missing-scales", "implicit-int8-deprecated",
      "integer-inputs"]),
    ("xlmr_int8_fp16_pyapi_calibrator.log", "xlmr_tiny_ts_op17.onnx",
     ["implicit-int8-transformer", "int8-requested-not-used", "foreign-node-not-int8", "calibration-profile",
      "fp16-overflow-constant", "implicit-int8-deprecated", "integer-inputs"]),  # its engine: no Int8 layer, Myelin FP16
    ("xlmr_verbose_parse_trt10.log", "xlmr_tiny_ts_op17.onnx",
     ["implicit-int8-transformer", "int8-requested-not-used", "activations-missing-scales", "foreign-node-not-int8",
      "fp16-overflow-constant", "implicit-int8-deprecated", "integer-inputs"]),
    ("xlmr_trt11_failure.log", "xlmr_tiny_ts_op17.onnx", ["trt11-implicit-int8-removed"]),
    ("resnet_like_benign_int8_fp16.log", "tiny_cnn_op17.onnx", ["benign-warnings-only", "integer-inputs"]),
]


@pytest.mark.parametrize(("log", "model", "findings"), FIXTURE_CASES, ids=[c[0] for c in FIXTURE_CASES])
def test_fixture_logs_end_to_end(tmp_path: Path, expected_logs: dict, log: str, model: str, findings: list[str]) -> None:
    proc, doc = _analyze(tmp_path, LOGS / log, MODELS / model)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert [f["id"] for f in doc["findings"]] == findings
    exp = expected_logs[log]
    warned = [t["tensor"] for t in doc["missing_scale"] for _ in range(t["count"])]
    assert sorted(warned) == sorted(exp["missing_scale_tensors"])
    assert doc["mapping"]["node_registrations"] == exp["registrations"]
    b = doc["build"]
    assert (b["tensorrt_version"], b["producer"], b["int8"], b["fp16"]) == (
        exp["tensorrt_version"], exp["producer"], exp["int8"], exp["fp16"])
    assert not doc["mapping"]["mismatch"]
    assert proc.stdout.startswith("trtdiag: ") and proc.stdout.count("\n") == 1


def _logs_with_truth() -> list[str]:
    import json as _json

    data = _json.loads((LOGS / "EXPECTED.json").read_text())
    return [k for k, v in data.items() if isinstance(v, dict) and v.get("tensors") and v.get("model")]


@pytest.mark.parametrize("log", _logs_with_truth())
def test_mapping_matches_the_generators_ground_truth(tmp_path: Path, expected_logs: dict, log: str) -> None:
    """Every warned tensor's class, ONNX node and block equal what make_logs.py intended (all exporters:
    TorchScript opset 11/14/17, dynamo 17/18, external data, TensorRT-uniquified names)."""
    exp = expected_logs[log]
    proc, doc = _analyze(tmp_path, LOGS / log, MODELS / exp["model"])
    assert proc.returncode == 0, proc.stderr
    warned = [t["tensor"] for t in doc["missing_scale"] for _ in range(t["count"])]
    assert warned == exp["missing_scale_tensors"] or sorted(warned) == sorted(exp["missing_scale_tensors"])
    assert not doc["mapping"]["mismatch"]
    truth = {t["name"]: t for t in exp["tensors"]}
    for t in doc["missing_scale"]:
        want = truth[t["tensor"]]
        assert t["class"] == want["class"], (log, t["tensor"])
        if t["mapped_by"] == "none":  # unmapped names must be those the generator made unmappable
            assert want["class"] in ("parser-helper", "unnamed-trt-layer") and not want["owner_node_in_log"], t
            continue
        if want["class"] == "activation":
            assert t["onnx_node"] == want["node"], (log, t["tensor"])
        if want["class"] == "parser-helper":  # attributed through its parse block
            assert t["onnx_node"] == want["owner_node"], (log, t["tensor"])
        if want["block"] is not None:
            assert t["block"] == want["block"], (log, t["tensor"])


def test_without_model_the_report_says_what_it_could_not_do(tmp_path: Path) -> None:
    proc, doc = _analyze(tmp_path, LOGS / "xlmr_int8_only_trtexec.log")
    assert proc.returncode == 0
    assert any("No ONNX model given" in n for n in doc["notes"])
    assert doc["inputs"]["model"] is None
    assert "int8-without-fp16" in [f["id"] for f in doc["findings"]]


def test_log_without_int8_says_so(tmp_path: Path) -> None:
    proc, doc = _analyze(tmp_path, LOGS / "xlmr_fp16_only_trtexec.log", MODELS / "xlmr_tiny_ts_op17.onnx")
    assert proc.returncode == 0
    assert doc["verdict"]["severity"] == "ok"
    assert "no INT8 build" in doc["verdict"]["headline"]
    assert "no INT8 build" in proc.stdout


def test_wrong_model_is_reported_first(tmp_path: Path) -> None:
    proc, doc = _analyze(tmp_path, LOGS / "xlmr_int8_only_trtexec.log", MODELS / "tiny_cnn_op17.onnx")
    assert proc.returncode == 0
    assert doc["findings"][0]["id"] == "model-log-mismatch"
    assert doc["mapping"]["mismatch"] and doc["notes"][0].startswith("Model and log do not match")
    html = (tmp_path / "r.html").read_text()
    assert html.index('id="mismatch"') < html.index('id="verdict"')


def test_gzip_log_gives_the_same_document(tmp_path: Path) -> None:
    src = LOGS / "xlmr_verbose_parse_trt10.log"
    gz = tmp_path / "build.log.gz"
    gz.write_bytes(gzip.compress(src.read_bytes()))
    _, plain = _analyze(tmp_path, src, MODELS / "xlmr_tiny_ts_op17.onnx", "--no-timestamp")
    _, packed = _analyze(tmp_path, gz, MODELS / "xlmr_tiny_ts_op17.onnx", "--no-timestamp")
    assert packed["missing_scale"] == plain["missing_scale"]
    assert packed["findings"] == plain["findings"]
    assert packed["inputs"]["log"]["compressed"] is True


def test_output_is_deterministic_without_timestamp(tmp_path: Path) -> None:
    outs = []
    for i in range(2):
        d = tmp_path / str(i)
        d.mkdir()
        proc = run("analyze", str(LOGS / "xlmr_verbose_parse_trt10.log"), str(MODELS / "xlmr_tiny_ts_op17.onnx"),
                   "-o", "r.html", "--json", "r.json", "--no-timestamp", cwd=d)
        assert proc.returncode == 0
        outs.append(((d / "r.html").read_bytes(), (d / "r.json").read_bytes()))
    assert outs[0] == outs[1]


# --- bad input: one line on stderr, exit code 2, never a traceback ------------------------------------


def _assert_one_line_error(proc: subprocess.CompletedProcess[str], needle: str) -> None:
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("trtdiag: error: ") and needle in lines[0]
    assert "Traceback" not in proc.stderr


def test_missing_log(tmp_path: Path) -> None:
    _assert_one_line_error(run("analyze", str(tmp_path / "nope.log")), "not found")


def test_random_bytes(tmp_path: Path) -> None:
    p = tmp_path / "random.log"
    p.write_bytes(os.urandom(200_000))
    _assert_one_line_error(run("analyze", str(p)), "binary file")


def test_empty_log(tmp_path: Path) -> None:
    p = tmp_path / "empty.log"
    p.write_bytes(b"")
    _assert_one_line_error(run("analyze", str(p)), "empty")


def test_non_onnx_model(tmp_path: Path) -> None:
    _assert_one_line_error(run("analyze", str(LOGS / "xlmr_int8_only_trtexec.log"),
                               str(LOGS / "xlmr_int8_only_trtexec.log")), "not an ONNX model")


def test_truncated_log_writes_partial_report(tmp_path: Path) -> None:
    text = (LOGS / "xlmr_int8_only_trtexec.log").read_text()
    cut = text.index("Missing scale", len(text) // 2) + 30  # inside a warning
    p = tmp_path / "cut.log"
    p.write_text(text[:cut])
    proc = run("analyze", str(p), "-o", str(tmp_path / "r.html"), "--json", str(tmp_path / "r.json"))
    _assert_one_line_error(proc, "truncated")
    doc = json.loads((tmp_path / "r.json").read_text())
    assert doc["inputs"]["log"]["truncated"] and doc["missing_scale"]


def test_truncated_gzip(tmp_path: Path) -> None:
    data = gzip.compress((LOGS / "xlmr_verbose_parse_trt10.log").read_bytes())
    p = tmp_path / "cut.log.gz"
    p.write_bytes(data[: len(data) // 2])
    _assert_one_line_error(run("analyze", str(p), "-o", str(tmp_path / "r.html")), "truncated")
    assert (tmp_path / "r.html").exists()


def test_unwritable_output(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    _assert_one_line_error(run("analyze", str(LOGS / "xlmr_int8_only_trtexec.log"), "-o", str(blocker / "r.html")),
                           "cannot write")


def test_demo_command(tmp_path: Path) -> None:
    proc = run("demo", "-o", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "xlmr-int8-only.html").exists()
    doc = json.loads((tmp_path / "xlmr-int8-only.json").read_text())
    assert doc["findings"][0]["id"] == "int8-without-fp16"


def test_version_and_help() -> None:
    assert run("--version").stdout.startswith("trtdiag, version ")
    assert "analyze" in run("--help").stdout


def test_progress_bar_goes_to_stderr_only_when_asked(tmp_path: Path) -> None:
    log = str(LOGS / "xlmr_verbose_parse_trt10.log")
    forced = run("analyze", log, "--progress", "-o", str(tmp_path / "a.html"))
    assert forced.returncode == 0 and "reading log" in forced.stderr and "reading log" not in forced.stdout
    quiet = run("analyze", log, "-o", str(tmp_path / "b.html"))  # not a terminal: no bar
    assert quiet.stderr == ""


@pytest.mark.parametrize(("log", "model", "args", "code"), [
    ("xlmr_int8_only_trtexec.log", "xlmr_tiny_ts_op17.onnx", ["--fail-on", "error"], 1),
    ("xlmr_int8_only_trtexec.log", "xlmr_tiny_ts_op17.onnx", ["--fail-on", "never"], 0),
    ("xlmr_int8_only_trtexec.log", "xlmr_tiny_ts_op17.onnx", [], 0),
    ("resnet_like_benign_int8_fp16.log", "tiny_cnn_op17.onnx", ["--fail-on", "warning"], 0),
    ("resnet_like_benign_int8_fp16.log", "tiny_cnn_op17.onnx", ["--min-int8-mac-share", "0.95"], 0),
    ("xlmr_int8_only_trtexec.log", "xlmr_tiny_ts_op17.onnx", ["--min-int8-mac-share", "0.5"], 1),
    ("xlmr_int8_fp16_pyapi_calibrator.log", "xlmr_tiny_ts_op17.onnx", ["--fail-on", "warning"], 1),
])
def test_verdict_exit_codes(tmp_path: Path, log: str, model: str, args: list[str], code: int) -> None:
    proc = run("analyze", str(LOGS / log), str(MODELS / model), "-o", str(tmp_path / "r.html"), *args)
    assert proc.returncode == code, proc.stdout + proc.stderr
    assert proc.stdout.count("\n") == 1
    assert proc.stdout.startswith("trtdiag: FAIL: " if code else "trtdiag: ")
    if code:
        assert " | failed: " in proc.stdout
