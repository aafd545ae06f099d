"""Logs saved on Windows: PowerShell 5's ``>`` writes UTF-16 with a byte-order mark (and CRLF); Notepad may
add a UTF-8 BOM. Each reads like the bare log, from a file, from a pipe and gzip-free or not."""

from __future__ import annotations

import codecs
import os
import subprocess
import sys
from pathlib import Path

import pytest

from trtdiag.analysis import analyze
from trtdiag.io.files import read_head

from .conftest import LOGS, ROOT

BARE = LOGS / "xlmr_int8_only_trtexec.log"
ENCODINGS = {
    "utf-16-le-bom": lambda t: codecs.BOM_UTF16_LE + t.encode("utf-16-le"),
    "utf-16-be-bom": lambda t: codecs.BOM_UTF16_BE + t.encode("utf-16-be"),
    "utf-8-bom": lambda t: codecs.BOM_UTF8 + t.encode("utf-8"),
}


def _summary(path: Path) -> tuple:
    d = analyze(path).to_dict()
    return (d["verdict"], [f["id"] for f in d["findings"]], d["build"]["precision"], d["build"]["tensorrt_version"],
            [t["tensor"] for t in d["missing_scale"]])


@pytest.mark.parametrize("encoding", list(ENCODINGS))
def test_windows_encodings_read_like_the_bare_log(tmp_path: Path, encoding: str) -> None:
    text = BARE.read_text().replace("\n", "\r\n")
    log = tmp_path / "build.log"
    log.write_bytes(ENCODINGS[encoding](text))
    assert _summary(log) == _summary(BARE)


def test_utf16_head_is_text_for_sniffing(tmp_path: Path) -> None:
    log = tmp_path / "build.log"
    log.write_bytes(ENCODINGS["utf-16-le-bom"](BARE.read_text()))
    assert read_head(log, 200).startswith(b"&&&& RUNNING TensorRT.trtexec")


def test_utf16_log_from_a_pipe(tmp_path: Path) -> None:
    data = ENCODINGS["utf-16-le-bom"](BARE.read_text().replace("\n", "\r\n"))
    out = tmp_path / "r.json"
    proc = subprocess.run([sys.executable, "-m", "trtdiag", "analyze", "-", "-o", str(tmp_path / "r.html"),
                           "--json", str(out)], input=data, capture_output=True,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)), timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert b"130 tensors lacked INT8 scales" in proc.stdout


def test_odd_utf16_tail_is_replaced_not_fatal(tmp_path: Path) -> None:
    log = tmp_path / "build.log"
    log.write_bytes(ENCODINGS["utf-16-le-bom"](BARE.read_text()) + b"\x41")  # one stray byte at the end
    assert _summary(log)[1] == _summary(BARE)[1]
