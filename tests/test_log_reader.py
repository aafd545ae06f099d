"""The streaming reader: prefixes, chunking, gzip, CRLF, bad bytes, binary and empty files.

The reader is :func:`trtdiag.io.scan.scan` with the log collector's keywords; here a consumer
that only records what it is fed stands in for the collector.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from trtdiag.errors import InputError
from trtdiag.io.matchers import make_matcher
from trtdiag.io.prefix import split_prefix
from trtdiag.io.scan import CHUNK_BYTES, ReadStats, scan
from trtdiag.log.collector import LogCollector

KEYWORDS = LogCollector().keywords

MSG = "Missing scale and zero-point for tensor X, expect fall back to non-int8 implementation"

# (line as logged, expected severity, expected message) for every prefix style TensorRT tools are known to print
PREFIXES = [
    (f"[08/20/2023-11:13:10] [W] [TRT] {MSG}", "W", MSG),
    (f"[W] [TRT] {MSG}", "W", MSG),
    (f"[I] {MSG}", "I", MSG),
    (f"[07/07/2026-06:14:58] [TRT] [W] {MSG}", "W", MSG),
    (f"[TensorRT] WARNING: {MSG}", "W", MSG),
    ("[TensorRT] VERBOSE: ModelImporter.cpp:103: Parsing node: conv1 [Conv]", "V", "Parsing node: conv1 [Conv]"),
    (f"[W] {MSG}", "W", MSG),
    (f"    [W] {MSG}", "W", MSG),
    (f"WARNING: [TRT]: {MSG}", "W", MSG),
    (f"2023-08-21 16:33:00.127300669 [W:onnxruntime:Default, tensorrt_execution_provider.h:75 log] "
     f"[2023-08-21 14:33:00 WARNING] {MSG}", "W", MSG),
    (f"[2022-11-08 06:01:58 WARNING] {MSG}", "W", MSG),
    (f"[WARNING] {MSG}", "W", MSG),
    (f"DEBUG: [TRTorch Conversion Context] - {MSG}", "V", MSG),
    (f"WARNING:torch_tensorrt [TensorRT Conversion Context]:{MSG}", "W", MSG),
    ("[08/09/2023-01:38:35] [V] [TRT] /home/jenkins/workspace/OSS/parsers/onnx/ModelImporter.cpp:107: "
     "Parsing node: n1 [Relu]", "V", "Parsing node: n1 [Relu]"),
    ("[V] [TRT] ImporterContext.hpp:97: Registering tensor: a for ONNX tensor: b", "V",
     "Registering tensor: a for ONNX tensor: b"),
]


@pytest.mark.parametrize(("line", "severity", "message"), PREFIXES)
def test_every_documented_prefix_is_stripped(line: str, severity: str, message: str) -> None:
    parsed = split_prefix(7, line)
    assert parsed.message == message
    assert parsed.severity == severity
    assert parsed.has_prefix
    assert parsed.number == 7


def test_prefixless_continuation_lines_are_kept_whole() -> None:
    line = "Layer(CaskConvolution): node_conv2d + node_relu, Tactic: 0x1, x (Float[-1,1,28,28]) -> relu (Half[-1,32:8,28,28])"
    parsed = split_prefix(3, line)
    assert parsed.message == line
    assert not parsed.has_prefix
    assert parsed.severity == ""


def test_message_brackets_are_not_taken_for_a_prefix() -> None:
    parsed = split_prefix(1, "[W] [TRT] (Unnamed Layer* 117) [ElementWise]_output is odd")
    assert parsed.message == "(Unnamed Layer* 117) [ElementWise]_output is odd"


class Recorder:
    """A consumer that records the lines it is fed (never inside a section)."""

    def __init__(self, keywords: tuple[bytes, ...] = KEYWORDS) -> None:
        self.keywords = keywords
        self.lines: list[tuple[int, str]] = []

    def feed(self, number: int, text: str) -> bool:
        self.lines.append((number, text))
        return False


def read(path: Path, *, chunk_bytes: int = CHUNK_BYTES, scanner: str = "auto") -> tuple[list[tuple[int, str]], ReadStats]:
    recorder = Recorder()
    stats = scan(path, [recorder], chunk_bytes=chunk_bytes, scanner=scanner)
    return recorder.lines, stats


def _write(tmp_path: Path, lines: list[str], newline: str = "\n") -> Path:
    p = tmp_path / "build.log"
    p.write_bytes(newline.join(lines).encode() + newline.encode())
    return p


def _lines(n: int) -> list[str]:
    out = []
    for i in range(n):
        if i % 97 == 5:
            out.append(f"[01/01/2026-00:00:00] [W] [TRT] Missing scale and zero-point for tensor t{i}, expect fall back")
        else:
            out.append(f"[01/01/2026-00:00:00] [V] [TRT] Tactic: 0x{i:016x} Time: 0.{i:05d}")
    return out


@pytest.mark.parametrize("chunk", [64, 1000, 1 << 20])
def test_line_numbers_do_not_depend_on_chunk_size(tmp_path: Path, chunk: int) -> None:
    lines = _lines(3000)
    path = _write(tmp_path, lines)
    got, stats = read(path, chunk_bytes=chunk)
    want = [(i + 1, t) for i, t in enumerate(lines) if "Missing" in t]
    assert got == want
    assert stats.lines == 3000 and stats.candidate_lines == len(want)


def test_both_scanners_agree(tmp_path: Path) -> None:
    lines = _lines(500) + [f"[I] {k.decode()} in the middle" for k in KEYWORDS]
    path = _write(tmp_path, lines)
    names = {make_matcher(KEYWORDS, "auto")[0], "python"}
    results = {n: read(path, scanner=n)[0] for n in names}
    assert len({tuple(v) for v in results.values()}) == 1
    assert len(results["python"]) == 6 + len(KEYWORDS)


def test_gzip_crlf_and_bad_bytes(tmp_path: Path) -> None:
    lines = _lines(200)
    plain = "\r\n".join(lines).encode() + b"\r\n"
    plain = plain.replace(b"t5,", b"t\xff5,")
    p = tmp_path / "build.log.gz"
    p.write_bytes(gzip.compress(plain))
    got, stats = read(p)
    assert got[0] == (6, "[01/01/2026-00:00:00] [W] [TRT] Missing scale and zero-point for tensor t\ufffd5, expect fall back")
    assert stats.compressed and stats.crlf and stats.undecodable_lines == 1
    assert stats.lines == 200


def test_binary_empty_and_missing_files_are_refused(tmp_path: Path) -> None:
    binary = tmp_path / "engine.plan"
    binary.write_bytes(bytes(range(256)) * 100)
    with pytest.raises(InputError, match="binary file"):
        read(binary)
    empty = tmp_path / "empty.log"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match="empty"):
        read(empty)
    with pytest.raises(InputError, match="not found"):
        read(tmp_path / "nope.log")


def test_ansi_colour_codes_are_text(tmp_path: Path) -> None:
    p = tmp_path / "colour.log"
    p.write_bytes(b"\x1b[33m[W] Missing scale and zero-point for tensor a, expect fall back\x1b[0m\n" * 50)
    assert len(read(p)[0]) == 50


@pytest.mark.parametrize("chunk", [256, 5000, 1 << 20])
def test_lines_longer_than_the_lookaround_window(tmp_path: Path, chunk: int) -> None:
    long_name = "n" * 9000
    lines = [
        "x" * 10000,
        f"[W] [TRT] Missing scale and zero-point for tensor {long_name}, expect fall back",
        "y" * 7000 + " Registering layer: tail for ONNX node: tail",
        "short",
    ]
    path = _write(tmp_path, lines)
    got = read(path, chunk_bytes=chunk)[0]
    assert [n for n, _ in got] == [2, 3]
    assert got[0][1] == lines[1] and got[1][1] == lines[2]
