"""The one-pass scanner: several consumers, keyword lines and sections, against a line-by-line reference."""

from __future__ import annotations

import gzip
import random
import sys
from pathlib import Path

import pytest

from trtdiag.errors import InputError
from trtdiag.io.matchers import make_matcher
from trtdiag.io.scan import KeywordFeed, scan, scan_marked_lines

SCANNERS = sorted({make_matcher((b"x",), "auto")[0], "python"})


class Section:
    """Takes every line from a line holding ``BEGIN`` up to the next line holding ``END``."""

    def __init__(self, keywords: tuple[bytes, ...] = (b"BEGIN",)) -> None:
        self.keywords = keywords
        self.lines: list[tuple[int, str]] = []
        self._inside = False

    def feed(self, number: int, text: str) -> bool:
        self.lines.append((number, text))
        if "BEGIN" in text:
            self._inside = True
        elif "END" in text:
            self._inside = False
        return self._inside


class Keywords:
    def __init__(self, keywords: tuple[bytes, ...]) -> None:
        self.keywords = keywords
        self.lines: list[tuple[int, str]] = []

    def feed(self, number: int, text: str) -> bool:
        self.lines.append((number, text))
        return False


def reference(lines: list[str], consumers: list[Section | Keywords]) -> None:
    """The definition: a line goes to a consumer holding one of its keywords, or while it is active."""
    active = [False] * len(consumers)
    for number, text in enumerate(lines, start=1):
        for i, c in enumerate(consumers):
            if active[i] or any(k.decode() in text for k in c.keywords):
                active[i] = c.feed(number, text)


def _consumers() -> list[Section | Keywords]:
    return [Keywords((b"Missing ", b"TensorRT v")), Section(), Keywords((b"TensorRT version", b"END")),
            Section((b"BEGIN", b"Layer("))]


def _random_log(seed: int) -> list[str]:
    rng = random.Random(seed)
    words = ["Tactic: 0x1 Time: 0.1", "Missing scale for tensor t", "BEGIN listing", "row", "END listing",
             "TensorRT version: 10.1.0", "Layer(Conv): a", "", "x" * 300, "BEGIN END same line", "üñí€"]
    return [rng.choice(words) + f" #{i}" * rng.randint(0, 1) for i in range(rng.randint(1, 400))]


@pytest.mark.parametrize("scanner", SCANNERS)
@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("section_window", [1, 5, 1 << 16])
def test_one_pass_equals_the_line_by_line_definition(tmp_path: Path, scanner: str, seed: int, section_window: int,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("trtdiag.io.dispatch._Window.SIZE", section_window)  # lines longer than the copy made for sections
    lines = _random_log(seed)
    path = tmp_path / "x.log"
    path.write_bytes("\n".join(lines).encode() + (b"\n" if seed % 2 else b""))
    want = _consumers()
    reference(lines, want)
    for chunk in (7, 61, 1000, 1 << 20):
        got = _consumers()
        stats = scan(path, got, scanner=scanner, chunk_bytes=chunk)
        assert [c.lines for c in got] == [c.lines for c in want], chunk
        assert stats.lines == len(lines) and stats.scanner == scanner
        assert stats.candidate_lines == len(want[0].lines)


def test_a_pass_is_the_sum_of_separate_passes(tmp_path: Path) -> None:
    path = tmp_path / "x.log"
    path.write_text("\n".join(_random_log(99)) + "\n")
    together = _consumers()
    stats = scan(path, together, chunk_bytes=100)
    for i in range(len(together)):
        alone = _consumers()[i]
        alone_stats = scan(path, [alone], chunk_bytes=333)
        assert alone.lines == together[i].lines
        if i == 0:
            assert alone_stats == stats  # the stats describe the first consumer's view only


def test_overlapping_keywords_reach_both_consumers(tmp_path: Path) -> None:
    path = tmp_path / "x.log"
    path.write_text("[I] TensorRT version: 8.6.1\n")
    for scanner in SCANNERS:
        a, b = Keywords((b"TensorRT v",)), Keywords((b"TensorRT version", b"version: 8"))
        scan(path, [a, b], scanner=scanner)
        assert a.lines == b.lines == [(1, "[I] TensorRT version: 8.6.1")]


def test_marked_lines_wrapper_and_gzip_truncation(tmp_path: Path) -> None:
    text = "".join(f"noise {i}\n" for i in range(2000)) + "BEGIN\nrow a\nEND\n" + "tail\n" * 5000
    data = gzip.compress(text.encode())
    path = tmp_path / "t.log.gz"
    path.write_bytes(data)
    got: list[tuple[int, str]] = []
    section = Section()
    scan_marked_lines(path, (b"BEGIN",), section.feed)
    got = section.lines
    assert got == [(2001, "BEGIN"), (2002, "row a"), (2003, "END")]
    path.write_bytes(data[: len(data) - 40])  # the stream ends early: what was read is kept
    section = Section()
    stats = scan(path, [KeywordFeed((b"BEGIN",), section.feed)])
    assert stats.truncated_stream and stats.compressed
    assert section.lines == got


def test_scan_refuses_missing_empty_and_binary_files(tmp_path: Path) -> None:
    feed = Keywords((b"x",)).feed
    with pytest.raises(InputError, match="not found"):
        scan_marked_lines(tmp_path / "nope", (b"x",), feed)
    (tmp_path / "empty").write_bytes(b"")
    with pytest.raises(InputError, match="empty"):
        scan_marked_lines(tmp_path / "empty", (b"x",), feed)
    (tmp_path / "empty.gz").write_bytes(gzip.compress(b""))
    with pytest.raises(InputError, match="empty"):
        scan_marked_lines(tmp_path / "empty.gz", (b"x",), feed)
    (tmp_path / "bin").write_bytes(bytes(range(256)) * 10)
    with pytest.raises(InputError, match="binary"):
        scan_marked_lines(tmp_path / "bin", (b"x",), feed)
    with pytest.raises(InputError, match="directory"):
        scan_marked_lines(tmp_path, (b"x",), feed)


def test_hyperscan_absent_falls_back_to_python(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "x.log"
    path.write_text("a\nMissing b\n")
    monkeypatch.setitem(sys.modules, "hyperscan", None)
    consumer = Keywords((b"Missing ",))
    assert scan(path, [consumer]).scanner == "python"
    assert consumer.lines == [(2, "Missing b")]
    with pytest.raises(InputError, match="hyperscan"):
        scan(path, [consumer], scanner="hyperscan")


@pytest.mark.parametrize("window", [1, 16, 333])
def test_lines_are_placed_alike_whatever_the_newline_window(tmp_path: Path, window: int,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Newline positions are taken window by window (trtdiag/io/chunks.py): lines across windows, long
    lines spanning several, and windows without a newline must not move a line."""
    monkeypatch.setattr("trtdiag.io.chunks.WINDOW_BYTES", window)
    for seed in range(4):
        lines = _random_log(seed)
        path = tmp_path / f"x{seed}.log"
        path.write_bytes("\n".join(lines).encode() + b"\n")
        want = _consumers()
        reference(lines, want)
        for chunk in (61, 1000, 1 << 20):
            got = _consumers()
            stats = scan(path, got, chunk_bytes=chunk)
            assert [c.lines for c in got] == [c.lines for c in want], (seed, chunk)
            assert stats.lines == len(lines)
