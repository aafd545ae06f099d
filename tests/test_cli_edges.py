"""Bad input at the edges: logs from standard input and pipes, files that are not logs, bad caches,
truncated gzip, and the small CLI arguments that used to end in exit 3 or exit 0."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from trtdiag.analysis import analyze
from trtdiag.cli import main
from trtdiag.errors import InputError
from trtdiag.io.files import open_binary, read_head
from trtdiag.io.scan import KeywordFeed, scan
from trtdiag.io.sniff import CACHE_HINT, SWAPPED_HINT, looks_onnx, text_hint, text_signals
from trtdiag.log.collector import read_log

from .conftest import FIXTURES, LOGS, MODELS, ROOT, manifest

LOG = LOGS / "xlmr_int8_only_trtexec.log"
ENGINES = FIXTURES / "engines" / "fp16"
CACHES = FIXTURES / "caches"


def run(*args: str, stdin: bytes | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[bytes]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "trtdiag", *args], input=stdin, capture_output=True, cwd=cwd,
                          env=env, timeout=300)


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def _one_error_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("trtdiag: error: ")
    return lines[0]


# ---- the log from standard input, pipes and process substitution (subprocess: real file descriptors) --------


def test_log_from_stdin_dash(tmp_path: Path) -> None:
    proc = run("analyze", "-", "-o", str(tmp_path / "r.html"), "--json", str(tmp_path / "r.json"),
               stdin=LOG.read_bytes())
    assert proc.returncode == 0, proc.stderr
    doc = json.loads((tmp_path / "r.json").read_text())
    assert doc["inputs"]["log"]["path"] == "<stdin>"
    assert doc["inputs"]["log"]["size_bytes"] == LOG.stat().st_size
    assert sum(t["count"] for t in doc["missing_scale"]) > 100
    assert b"130 tensors lacked INT8 scales" in proc.stdout


def test_gzip_log_from_a_pipe_and_default_report_name(tmp_path: Path) -> None:
    proc = run("analyze", "-", "--json", "r.json", stdin=gzip.compress(LOG.read_bytes()), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "stdin.trtdiag.html").exists()
    doc = json.loads((tmp_path / "r.json").read_text())
    assert doc["inputs"]["log"]["compressed"] is True and doc["inputs"]["log"]["lines"] == 304


def test_stdin_build_log_is_also_the_int8_engine_artifact(tmp_path: Path) -> None:
    """The INT8 side defaults to the log's Engine Layer Information: read from the one pass over stdin."""
    build = FIXTURES / "engines" / "int8_implicit" / "build.log"
    proc = run("analyze", "-", "--fp16-layers", str(ENGINES / "layers.json"), "-o", str(tmp_path / "r.html"),
               "--json", str(tmp_path / "r.json"), stdin=build.read_bytes())
    assert proc.returncode == 0, proc.stderr
    comparison = json.loads((tmp_path / "r.json").read_text())["comparison"]
    assert comparison["int8"]["layers"] > 0 and comparison["int8"]["sources"] == ["-"]


def test_dev_stdin_is_read_as_a_stream(tmp_path: Path) -> None:
    if not Path("/dev/stdin").exists():
        pytest.skip("no /dev/stdin on this system")
    proc = run("analyze", "/dev/stdin", "-o", str(tmp_path / "r.html"), stdin=LOG.read_bytes())
    assert proc.returncode == 0, proc.stderr
    assert b"130 tensors lacked INT8 scales" in proc.stdout


def test_process_substitution_of_zcat(tmp_path: Path) -> None:
    bash = shutil.which("bash")
    if bash is None or shutil.which("zcat") is None:
        pytest.skip("needs bash and zcat")
    gz = tmp_path / "build.log.gz"
    gz.write_bytes(gzip.compress(LOG.read_bytes()))
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run([bash, "-c", f'"{sys.executable}" -m trtdiag analyze <(zcat "$1") -o "$2"', "_", str(gz),
                           str(tmp_path / "r.html")], capture_output=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert b"130 tensors lacked INT8 scales" in proc.stdout


@pytest.mark.parametrize(("data", "message"), [
    (b"", "log file is empty: <stdin>"),
    (b"  \n\n\t\n", "log file is empty (only whitespace): <stdin>"),
    ((ROOT / "README.md").read_bytes(), "no TensorRT log lines in <stdin>"),
], ids=["empty", "whitespace", "readme"])
def test_bad_stdin_exits_2_with_one_line(tmp_path: Path, data: bytes, message: str) -> None:
    proc = run("analyze", "-", "-o", str(tmp_path / "r.html"), stdin=data)
    assert proc.returncode == 2
    assert message in _one_error_line(proc.stderr.decode())
    assert proc.stdout == b""


def test_truncated_gzip_never_says_ok(tmp_path: Path) -> None:
    half = tmp_path / "fp16.log.gz"
    half.write_bytes(gzip.compress((FIXTURES / "engines" / "fp16" / "build.log").read_bytes())[:2500])
    proc = run("analyze", str(half), "-o", str(tmp_path / "r.html"))
    assert proc.returncode == 2
    assert "truncated" in _one_error_line(proc.stderr.decode())
    out = proc.stdout.decode()
    assert out.count("\n") == 1 and ": ok:" not in out
    assert out.startswith("trtdiag: verdict: incomplete \u2014 log truncated (the gzip stream ends early)")


# ---- streams in the readers (in process) -------------------------------------------------------------------


def _fifo_with(tmp_path: Path, data: bytes) -> tuple[Path, threading.Thread]:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)

    def write() -> None:
        with open(fifo, "wb") as fh:
            for i in range(0, len(data), 4096):  # a pipe delivers the data in small pieces
                fh.write(data[i:i + 4096])

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    return fifo, writer


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
@pytest.mark.parametrize("compress", [False, True], ids=["plain", "gzip"])
def test_scan_streams_a_named_pipe(tmp_path: Path, compress: bool) -> None:
    text = LOG.read_bytes()
    fifo, writer = _fifo_with(tmp_path, gzip.compress(text) if compress else text)
    seen: list[int] = []
    stats = scan(fifo, (KeywordFeed((b"Missing scale",), lambda n, t: bool(seen.append(n))),), chunk_bytes=8192)
    writer.join(5)
    assert stats.lines == text.count(b"\n") and stats.compressed is compress
    assert stats.size_bytes == len(text)
    assert len(seen) == text.count(b"Missing scale")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_open_binary_hands_the_sniffed_magic_back_on_a_pipe(tmp_path: Path) -> None:
    fifo, writer = _fifo_with(tmp_path, b"ab")  # shorter than nothing but the magic
    fh, compressed = open_binary(fifo)
    with fh:
        assert fh.read() == b"ab" and not compressed
    writer.join(5)


def test_proc_files_are_not_empty() -> None:
    status = Path("/proc/self/status")
    if not status.exists():
        pytest.skip("no /proc")
    assert read_head(status).startswith(b"Name:")
    with pytest.raises(InputError, match="no TensorRT log lines"):
        analyze(status)


# ---- files that are not build logs -------------------------------------------------------------------------

NOT_LOGS = [
    (ROOT / "README.md", "no TensorRT log lines in"),
    (ROOT / "CONTRIBUTING.md", "no TensorRT log lines in"),
    (CACHES / "xlmr_good_trt100300.cache", CACHE_HINT),
    (CACHES / "xlmr_ort_table.cache", CACHE_HINT),
    (CACHES / "xlmr_ort_table.json", CACHE_HINT),
    (ENGINES / "layers.json", "this looks like engine layer information: use trtdiag compare or --int8-layers"),
    (ENGINES / "profile.json", "--int8-profile"),
    (ENGINES / "times.json", "inference times"),
    (MODELS / "tiny_cnn_op17.onnx", SWAPPED_HINT),
]


@pytest.mark.parametrize(("path", "message"), NOT_LOGS, ids=[p.name for p, _ in NOT_LOGS])
def test_a_file_that_is_not_a_log_exits_2_with_a_hint(tmp_path: Path, path: Path, message: str) -> None:
    code, stdout, stderr = invoke("analyze", str(path), "-o", str(tmp_path / "r.html"))
    assert code == 2 and stdout == ""
    assert message in _one_error_line(stderr)
    assert not (tmp_path / "r.html").exists()


def test_whitespace_only_log_file_exits_2(tmp_path: Path) -> None:
    log = tmp_path / "blank.log"
    log.write_text(" \n\n   \r\n\t\n")
    code, _out, stderr = invoke("analyze", str(log), "-o", str(tmp_path / "r.html"))
    assert code == 2 and "only whitespace" in _one_error_line(stderr)


def test_a_log_of_tensorrt_lines_without_keywords_is_still_a_log(tmp_path: Path) -> None:
    log = tmp_path / "short.log"
    log.write_text("[12/01/2026-10:00:00] [I] [TRT] Loaded engine size: 12 MiB\n")
    code, stdout, stderr = invoke("analyze", str(log), "-o", str(tmp_path / "r.html"))
    assert code == 0, stderr
    assert "no INT8 build" in stdout


def test_text_signals_and_hints() -> None:
    assert text_signals(b"").blank and text_signals(b" \n\t\n").blank
    assert text_signals(b"[I] [TRT] hello\n&&&& RUNNING TensorRT.trtexec\n").tensorrt_lines == 2
    assert text_signals(b"# README\nINT8 calibration explained\n").tensorrt_lines == 0
    assert text_hint(b"TRT-8601-EntropyCalibration2\ninput: 3c010a14\n") == CACHE_HINT
    assert text_hint(b"a 1.5\nb 2\nc 3e-2\n") == CACHE_HINT
    assert text_hint(b"[I] starting\n") is None
    assert text_hint(b'{"Layers": [') is not None and "layer information" in text_hint(b'{"Layers": [')
    assert text_hint(b'[{"x": 1}]') == "this is JSON, not a build log"
    assert looks_onnx((MODELS / "xlmr_tiny_ts_op17.onnx").read_bytes()[:64])
    assert not looks_onnx(b"\x08\x00\x00\x00") and not looks_onnx(b"hello")


def test_every_corpus_log_is_a_log_and_every_other_artifact_is_not(corpus_logs: Path) -> None:
    """No false "not a log" on real logs; real caches and exports get the right hint."""
    for entry in manifest(corpus_logs):
        path = corpus_logs / entry["file"]
        try:
            facts = read_log(path)
        except InputError as exc:
            partial = getattr(exc, "partial", None)
            if partial is None:
                continue  # binary or unreadable: reported by the reader itself
            facts = partial
        if path.suffix == ".log":
            assert facts.has_tensorrt_lines, entry["file"]
        else:
            assert not facts.has_tensorrt_lines, entry["file"]
            assert facts.signals.hint is not None, entry["file"]
            if "calib_cache" in entry["features"]:
                assert facts.signals.hint == CACHE_HINT


# ---- --calib-cache on files that are not caches -------------------------------------------------------------


def _bad_caches(tmp_path: Path) -> dict[str, Path]:
    files = {
        "text": b"hello world\nthis is not a cache\n",
        "json-array": b"[1, 2]\n",
        "json-not-table": b'{"x": "y"}\n',
        "json-deep": b"[" * 100000 + b"]" * 100000,
        "json-huge-int": b'{"a": [' + b"9" * 5000 + b", 1]}",
        "binary": bytes(range(256)) * 20,
        "dots": b"a ...\nb ...\nc ...\n",
        "empty": b"",
        "whitespace": b"\n  \n",
    }
    out: dict[str, Path] = {}
    for name, data in files.items():
        out[name] = tmp_path / f"{name}.cache"
        out[name].write_bytes(data)
    out["directory"] = tmp_path / "dir.cache"
    out["directory"].mkdir()
    out["missing"] = tmp_path / "missing.cache"
    out["readme"] = ROOT / "README.md"
    out["layers-json"] = ENGINES / "layers.json"
    return out


@pytest.mark.parametrize("kind", ["text", "json-array", "json-not-table", "json-deep", "json-huge-int", "binary",
                                  "dots", "empty", "whitespace", "directory", "missing", "readme", "layers-json"])
def test_calib_cache_that_is_not_a_cache_exits_2(tmp_path: Path, kind: str) -> None:
    cache = _bad_caches(tmp_path)[kind]
    code, stdout, stderr = invoke("analyze", str(LOG), "--calib-cache", str(cache), "-o", str(tmp_path / "r.html"))
    assert code == 2, (stdout, stderr)
    line = _one_error_line(stderr)
    assert "internal error" not in line


# ---- small arguments ---------------------------------------------------------------------------------------


def test_recipe_for_a_missing_model_exits_2(tmp_path: Path) -> None:
    code, stdout, stderr = invoke("recipe", str(tmp_path / "nonexistent.onnx"))
    assert code == 2 and stdout == ""
    assert "not found" in _one_error_line(stderr)


def test_huge_shape_dimension_exits_2(tmp_path: Path) -> None:
    code, _out, stderr = invoke("analyze", str(LOG), str(MODELS / "xlmr_tiny_ts_op17.onnx"), "--shapes",
                                "input_ids:99999999999999999999x1", "-o", str(tmp_path / "r.html"))
    assert code == 2
    assert "larger than TensorRT allows" in _one_error_line(stderr)
