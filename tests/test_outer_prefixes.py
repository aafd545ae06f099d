"""Logs wrapped by other tools read like the bare log: CI timestamps, docker compose service names, glog
(Triton), syslog/journald and ANSI colours in front of the TensorRT prefix."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from trtdiag.analysis import analyze
from trtdiag.io.outer import strip_outer
from trtdiag.io.prefix import split_prefix

from .conftest import LOGS, MODELS

MSG = "Missing scale and zero-point for tensor x, expect fall back to non-int8 implementation"
WRAPS = {
    "github-actions": lambda line: f"2024-05-01T10:11:12.1234567Z {line}",
    "compose-v2": lambda line: f"trt-builder-1  | {line}",
    "compose-v1": lambda line: f"trt_builder_1  | {line}",
    "glog": lambda line: f"I1201 10:11:12.123456 12345 tensorrt.cc:10] {line}",
    "syslog": lambda line: f"Dec  1 10:11:12 gpu-host trtexec[4242]: {line}",
    "ansi": lambda line: line.replace("[W]", "\x1b[33m[W]\x1b[0m").replace("[I]", "\x1b[32m[I]\x1b[0m"),
}


@pytest.mark.parametrize("wrap", list(WRAPS))
def test_outer_prefix_then_tensorrt_prefix(wrap: str) -> None:
    line = split_prefix(3, WRAPS[wrap](f"[08/20/2023-11:13:10] [W] [TRT] {MSG}"))
    assert (line.severity, line.message, line.has_prefix) == ("W", MSG, True)


def test_glog_severity_counts_when_the_tensorrt_prefix_has_none() -> None:
    line = split_prefix(1, f"W1201 10:11:12.123456 1 logging.cc:46] {MSG}")
    assert (line.severity, line.message) == ("W", MSG)


@pytest.mark.parametrize("text", [
    "Layer(CaskConvolution): conv1, Tactic: 0x1, x (Float[1,3]) -> y (Half[1,3])",
    "    Flags                  | [FP16, INT8]",
    "Calibrator | <class 'Calibrator'>",
    "2023-08-21 16:33:00.127300669 [W:onnxruntime:Default, x.h:75 log] [2023-08-21 14:33:00 WARNING] hi",
    "Dec is not a date here: the message goes on",
])
def test_lines_that_are_not_wrapped_stay_as_they_are(text: str) -> None:
    assert strip_outer(text) == (text, "")


@pytest.mark.parametrize("wrap", list(WRAPS))
def test_a_wrapped_build_log_analyses_like_the_bare_one(tmp_path: Path, wrap: str) -> None:
    bare = LOGS / "xlmr_int8_only_trtexec.log"
    wrapped = tmp_path / "wrapped.log"
    wrapped.write_text("".join(WRAPS[wrap](line) + "\n" for line in bare.read_text().splitlines()))
    model = MODELS / "xlmr_tiny_ts_op17.onnx"
    want, got = analyze(bare, model).to_dict(), analyze(wrapped, model).to_dict()
    for key in ("tensorrt_version", "producer", "int8", "fp16", "precision", "quantization", "calibrator"):
        assert got["build"][key] == want["build"][key], key
    assert [e["kind"] for e in got["build"]["int8_evidence"]] == [e["kind"] for e in want["build"]["int8_evidence"]]
    assert [f["id"] for f in got["findings"]] == [f["id"] for f in want["findings"]]
    assert json.dumps(got["verdict"]) == json.dumps(want["verdict"])


@pytest.mark.parametrize("piece", ["a-1 ", "a/", "[W] ", "I1201 10:11:12.1 1 a:1] ", "2024-05-01T10:11:12.1Z ",
                                   "Dec  1 10:11:12 h a[1]: ", "\x1b[33m", "trt-1  | ", "> "])
def test_split_prefix_is_linear_on_megabyte_lines(piece: str) -> None:
    """Engine-format readers call split_prefix on lines up to the 1 MiB read cap (the log collector caps them
    at 16 KiB first): a prefix pattern that backtracks would hang them."""
    line = (piece * (1_048_576 // len(piece) + 1))[:1_048_576]
    start = time.process_time()
    split_prefix(1, line)
    split_prefix(1, line[:-1] + " tail")
    assert time.process_time() - start < 2.0  # a quadratic pattern takes minutes here
