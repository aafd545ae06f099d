"""The keyword search in a second process (trtdiag/io/hits_process.py) gives the facts of the threads' search,
and any failure of the child only hands the search back to the main process."""

from __future__ import annotations

import multiprocessing
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import CORPUS
from trtdiag.engine.artifacts import LogScan
from trtdiag.io import hits_process
from trtdiag.io.scan import scan
from trtdiag.log.collector import LogCollector
from trtdiag.log.facts import LogFacts

ROOT = Path(__file__).resolve().parent.parent
LOGS = sorted([*(ROOT / "fixtures" / "logs").glob("*.log"), *(ROOT / "fixtures" / "engines").glob("*/*.log")])


def _read(path: Path, monkeypatch: pytest.MonkeyPatch, setting: str, chunk_bytes: int = 4096) -> tuple[LogFacts, str]:
    """Facts and the last layer listing of one pass, small chunks so that a log spans many."""
    monkeypatch.setenv("TRTDIAG_SCAN_PROCESS", setting)
    collector, layers = LogCollector(), LogScan(path)
    stats = scan(path, (collector, *layers.consumers), chunk_bytes=chunk_bytes, on_head=collector.vote_on_sample)
    facts = collector.result(stats)
    return replace(facts, read=replace(facts.read, scanner="any")), repr(layers.found())


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Path, hits_process.HitsProcess]]:
    """The children started, with their files (the tests would prove nothing if the threads did every search)."""
    paths: list[tuple[Path, hits_process.HitsProcess]] = []
    real = hits_process.HitsProcess.__init__

    def spy(self, path, *args):
        paths.append((path, self))
        real(self, path, *args)

    monkeypatch.setattr(hits_process.HitsProcess, "__init__", spy)
    return paths


def _concatenated(tmp_path: Path) -> Path:
    joined = tmp_path / "joined.log"
    corpus = sorted(p for p in (CORPUS / "logs").glob("*.log") if p.stat().st_size < 2_000_000)[:20]
    joined.write_bytes(b"".join(p.read_bytes().rstrip(b"\n") + b"\n" for p in [*LOGS, *corpus]))
    return joined


def test_the_child_s_search_gives_the_threads_facts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    started: list) -> None:
    joined = _concatenated(tmp_path)
    assert hits_process.wanted(joined, joined.stat().st_size) is False  # small: threads, unless forced
    monkeypatch.setenv("TRTDIAG_SCAN_PROCESS", "1")
    assert hits_process.wanted(joined, joined.stat().st_size) is True
    for path in [*LOGS[:6], joined]:
        assert _read(path, monkeypatch, "1") == _read(path, monkeypatch, "0")
    assert [p for p, _ in started] == [*LOGS[:6], joined] and not any(h.failed for _, h in started)
    assert not multiprocessing.active_children()  # every child reaped


def test_a_gzip_file_or_a_stream_is_searched_by_threads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import gzip

    monkeypatch.setenv("TRTDIAG_SCAN_PROCESS", "1")
    gz = tmp_path / "b.log.gz"
    gz.write_bytes(gzip.compress(LOGS[0].read_bytes()))
    assert not hits_process.wanted(gz, gz.stat().st_size)
    assert not hits_process.wanted(LOGS[0], None)


@pytest.mark.parametrize("failure", ["wrong-chunk", "dies", "silent"])
def test_a_failing_child_hands_the_search_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failure: str,
                                               started: list) -> None:
    joined = _concatenated(tmp_path)
    expected = _read(joined, monkeypatch, "0")
    real = hits_process.keyword_line_table
    sent = {"n": 0}

    def faulty(chunk, match, masks, routes):  # runs in the forked child: the patch is inherited
        sent["n"] += 1
        table = real(chunk, match, masks, routes)
        if sent["n"] == 3:
            if failure == "dies":
                raise SystemExit(1)
            if failure == "silent":
                import time

                time.sleep(30)
            table = table.copy()
            table[0, 0] += 1  # says it is another chunk
        return table

    monkeypatch.setattr(hits_process, "keyword_line_table", faulty)
    monkeypatch.setattr(hits_process, "SILENCE_S", 1.0)
    assert _read(joined, monkeypatch, "1") == expected
    assert [p for p, _ in started] == [joined] and started[0][1].failed  # it did fail, and was handed back
    assert not multiprocessing.active_children()


def test_table_round_trip() -> None:
    from trtdiag.io.chunks import hits_from_table, keyword_line_table
    from trtdiag.io.matchers import make_matcher

    _, match = make_matcher((b"b", b"zz"))
    chunk = memoryview(b"a\nbb\nzz b\nc\r\n")
    hits = hits_from_table(keyword_line_table(chunk, match, np.array([1, 2]), np.array([4, 8])))
    assert (hits.rows, hits.starts, hits.ends, hits.masks, hits.routes) == ([1, 2], [2, 5], [4, 9], [1, 3], [4, 12])
    assert hits.newlines == 4 and hits.ends_with_newline and not hits.crlf


def test_the_cli_starts_the_search_early_and_the_pass_takes_it_over(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                     started: list) -> None:
    from click.testing import CliRunner

    from trtdiag.cli import main

    monkeypatch.setenv("TRTDIAG_SCAN_PROCESS", "1")
    adopted: list[bool] = []
    real_adopt = hits_process.adopt

    def adopt(key):
        helper = real_adopt(key)
        adopted.append(helper is not None)
        return helper

    monkeypatch.setattr(hits_process, "adopt", adopt)
    log = LOGS[0]
    out = CliRunner().invoke(main, ["analyze", str(log), "-o", str(tmp_path / "r.html"), "--json",
                                    str(tmp_path / "r.json")])
    assert out.exit_code == 0, out.output
    assert [p for p, _ in started] == [log] and adopted[-1] is True  # one child, started by the CLI, taken over
    bad_model = tmp_path / "m.onnx"
    bad_model.write_bytes(b"\x08\x07 not a model")
    out = CliRunner().invoke(main, ["analyze", str(log), str(bad_model), "-o", str(tmp_path / "s.html")])
    assert out.exit_code == 2  # the analysis fails before its pass: the waiting search is stopped
    assert len(started) == 2 and hits_process._waiting is None and not multiprocessing.active_children()


def test_a_line_cut_at_the_cap_hands_the_rest_of_the_file_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                started: list) -> None:
    """The chunk after a line cut at MAX_LINE_BYTES is not the file's next bytes: the main process reads on from
    there itself (trtdiag/io/mapped.py), with the same facts and the same count of cut lines."""
    monkeypatch.setattr("trtdiag.io.chunks.MAX_LINE_BYTES", 5000)
    text = LOGS[0].read_text()
    long_line = "[W] [TRT] Missing scale and zero-point for tensor " + "x" * 20000 + "\n"
    path = tmp_path / "long.log"
    path.write_text(text + long_line + text)
    threads, _ = _read(path, monkeypatch, "0")
    process, _ = _read(path, monkeypatch, "1")
    assert process == threads and process.read.long_lines == 1 and process.read.skipped_bytes > 0
    assert [p for p, _ in started] == [path] and not started[0][1].failed


@pytest.mark.parametrize("refusal", ["fork", "map"])
def test_a_system_that_refuses_a_process_or_a_map_gets_the_threads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                  refusal: str) -> None:
    """No process allowed (seccomp, no pids left) or a file system without maps: the same facts, the head read once
    (its producer votes and signals are in the facts)."""
    joined = _concatenated(tmp_path)
    expected = _read(joined, monkeypatch, "0")

    def refuse(*_args, **_kwargs):
        raise OSError("refused")

    if refusal == "fork":
        monkeypatch.setattr(hits_process.HitsProcess, "__init__", refuse)
    else:
        monkeypatch.setattr("trtdiag.io.mapped.mmap.mmap", refuse)
    assert _read(joined, monkeypatch, "1") == expected
    assert not multiprocessing.active_children()
