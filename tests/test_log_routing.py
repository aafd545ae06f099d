"""The fast read paths give exactly the facts of the plain definition.

The plain definition: every candidate line offered to every handler in registry order, through the
general prefix splitter (``LogCollector.feed``, no routing). The fast paths: routing each line only
to the handlers its strings concern (``trtdiag/log/routing.py``), the plain missing-scale fast path,
implied keywords dropped from the matcher, the vectorised line location, both matchers.
"""

from __future__ import annotations

import gzip
from dataclasses import replace
from pathlib import Path

import pytest

from tests.conftest import CORPUS
from trtdiag.io.matchers import make_matcher
from trtdiag.io.scan import KeywordFeed, _keyword_union, scan
from trtdiag.log.collector import LogCollector, read_log
from trtdiag.log.facts import LogFacts
from trtdiag.log.tables import IndexArray, MissingScale, MissingScaleTable

ROOT = Path(__file__).resolve().parent.parent
FIXTURE_LOGS = sorted([*(ROOT / "fixtures" / "logs").glob("*.log"), *(ROOT / "fixtures" / "engines").glob("*/*.log")])
SCANNERS = sorted({make_matcher((b"x",), "auto")[0], "python"})
TS = "[04/25/2026-00:54:25]"

#: Lines that hold strings of several handlers, or look like the fast path's line but are not.
TRICKY = [
    "&&&& RUNNING TensorRT.trtexec [TensorRT v100300] # trtexec --onnx=m.onnx --int8 --fp16",
    f"{TS} [I] Precision: FP32+FP16+INT8",
    f"{TS} [I] [TRT] [MemUsageChange] Init CUDA: CPU +2, GPU +0, now: CPU 30, GPU 1000 (MiB)",
    f"{TS} [W] [TRT] Missing scale and zero-point for tensor first, expect fall back to non-int8 implementation",
    f"{TS} [W] [TRT] Missing scale and zero-point for tensor a, expect fall back to non-int8 implementation",
    f"{TS} [W] [TRT] Missing scale and zero-point for tensor a, expect fall back to non-int8 implementation",
    f"{TS} [W] [TRT] Missing scale and zero-point for tensor QuantizeLinear_7_Error, expect fall back to non-int8",
    f"{TS} [W] [TRT] Missing scale and zero-point for tensor x &&&& RUNNING y, expect fall back to non-int8",
    f"{TS} [W] [TRT] Missing scale and zero-point for tensor sample_net/t, expect fall back to non-int8",
    f"{TS} [W] [TRT] Missing scale and zero-point for tensor Sample_Net/t, expect fall back to non-int8",
    f"{TS} [W] [TRT] Missing scale and zero-point for tensor n:onnxruntime:x, expect fall back to non-int8",
    f"{TS} [W] [TRT] Missing scale and zero-point for tensor nvdsinfer_t, expect fall back to non-int8",
    f"{TS} [W] [TRT] Missing scale and zero-point for tensor Conversion Context] t, expect fall back to non-int8",
    f"{TS} [TRT] [W] Missing scale and zero-point for tensor py_api, expect fall back to non-int8",
    f"{TS} [W]  [TRT] Missing scale and zero-point for tensor two_spaces, expect fall back to non-int8",
    f"> {TS} [W] [TRT] Missing scale and zero-point for tensor quoted, expect fall back to non-int8",
    f"{TS} [W] [TRT] Missing scale and zero-point for tensor Missing dynamic range for tensor z, expect fall back",
    f"{TS} [W] [TRT] Missing dynamic range for tensor old_t, expect fall back to non-int8 implementation.",
    f"{TS} [W] [TRT] Missing scale and zero-point for tensor crlf_t, expect fall back to non-int8\r",
    f"{TS} [W] [TRT] Missing scale and zero-point for tensor bad\udcff, expect fall back to non-int8",
    f"{TS} [V] [TRT] Registering layer: Q/DQ_1 for ONNX node: Q/DQ_1",
    f"{TS} [V] [TRT] Registering tensor: TensorRT-t for ONNX tensor: t",
    f"{TS} [I] Building with flags: INT8 | FP16",
    f"{TS} [I] [TRT] Loaded engine size: 3 MiB with libnvinfer.so.10.3.0 --stronglyTyped",
    f"{TS} [W] [TRT] Calibrator won't be used in explicit precision mode. Use quantization aware training.",
    f"{TS} [I] [TRT] Engine generation completed in 2.1 seconds.",
    f"{TS} [W] [TRT] Missing scale and zero-point for tensor cut_short",
]


def _write(path: Path, lines: list[str]) -> Path:
    path.write_bytes("\n".join(lines).encode("utf-8", "surrogateescape") + b"\n")
    return path


def unrouted(path: Path, scanner: str = "auto") -> LogFacts:
    """The plain definition: the collector's own keywords, every line through ``LogCollector.feed``."""
    collector = LogCollector()
    stats = scan(path, [KeywordFeed(collector.keywords, collector.feed)], scanner=scanner,
                 on_head=collector.vote_on_sample)
    return collector.result(stats)


def _same(a: LogFacts, b: LogFacts) -> None:
    assert a == b
    assert repr(a) == repr(b)  # the tables compare element by element: their records too


def _any_scanner(facts: LogFacts) -> LogFacts:
    return replace(facts, read=replace(facts.read, scanner="any"))


def test_tricky_lines_give_the_facts_of_the_plain_definition(tmp_path: Path) -> None:
    path = _write(tmp_path / "tricky.log", [*TRICKY, *TRICKY])  # twice: two builds (&&&& RUNNING)
    by_scanner = {}
    for scanner in SCANNERS:
        routed = by_scanner[scanner] = read_log(path, scanner=scanner)
        _same(routed, unrouted(path, scanner))
        assert len(routed.builds) == 4  # the RUNNING headers, and the warning that quotes one (a marker too)
        assert routed.build_index == 4 and routed.missing_scale[0].tensor == "x &&&& RUNNING y"
    assert len({repr(_any_scanner(f)) for f in by_scanner.values()}) == 1  # Hyperscan and Python: same facts


@pytest.mark.parametrize("path", FIXTURE_LOGS, ids=lambda p: p.parent.name + "/" + p.name)
def test_fixture_logs_routed_equal_unrouted(path: Path) -> None:
    _same(read_log(path), unrouted(path))


def test_corpus_logs_routed_equal_unrouted_and_both_scanners_agree(tmp_path: Path) -> None:
    logs = sorted(p for p in (CORPUS / "logs").glob("*.log") if p.stat().st_size < 2_000_000)
    if not logs:
        pytest.skip("real-artifact corpus not present")
    joined = tmp_path / "joined.log"  # many builds in one log: segmentation must not move
    joined.write_bytes(b"".join(p.read_bytes().rstrip(b"\n") + b"\n" for p in logs[:12]))
    for path in [*logs, joined]:
        try:
            routed = read_log(path)
        except Exception as exc:  # a corpus file that is not a log errs the same way on both paths
            with pytest.raises(type(exc)):
                unrouted(path)
            continue
        _same(routed, unrouted(path))
    python = read_log(joined, scanner="python")
    assert python.builds == read_log(joined).builds and len(python.builds) > 1


def test_gzip_crlf_log_of_repeated_warnings(tmp_path: Path) -> None:
    lines = [TRICKY[0]] + [f"{TS} [W] [TRT] Missing scale and zero-point for tensor t{i % 7}, expect fall back to "
                           "non-int8" for i in range(500)]
    path = tmp_path / "w.log.gz"
    path.write_bytes(gzip.compress(("\r\n".join(lines) + "\r\n").encode()))
    facts = read_log(path)
    _same(facts, unrouted(path))
    assert [m.count for m in facts.missing_scale] == [72, 72, 72, 71, 71, 71, 71]
    assert facts.missing_scale[0].lines[:3] == (2, 9, 16) and len(facts.missing_scale[0].lines) == 20
    assert facts.read.crlf and len(facts.warning_order) == 500


def test_implied_keywords_leave_the_matcher_only_when_they_add_nothing() -> None:
    a = KeywordFeed((b"Missing ", b"Missing scale"), lambda n, t: False)
    keywords, masks, _routes = _keyword_union([a])
    assert keywords == (b"Missing ",) and masks.tolist() == [1]
    b = KeywordFeed((b"Missing scale",), lambda n, t: False)  # another consumer's keyword: its bit matters
    keywords, masks, _routes = _keyword_union([a, b])
    assert keywords == (b"Missing ", b"Missing scale") and masks.tolist() == [1, 3]
    collector = LogCollector()
    keywords, _masks, _routes = _keyword_union([collector])
    assert b"Q/DQ" in keywords and b"Missing scale" not in keywords  # a trigger; an implied keyword
    assert set(collector.keywords) - set(keywords) <= {k for k in collector.keywords if any(
        o != k and o in k for o in keywords)}


def test_missing_scale_table_reads_as_a_tuple_of_records() -> None:
    from array import array

    table = MissingScaleTable(["a", "b"], array("Q", [2, 1]), array("Q", [3, 5]), {0: array("Q", [9])}, bytes([0, 1]))
    records = (MissingScale("a", 2, 3, (3, 9), "scale-and-zero-point"), MissingScale("b", 1, 5, (5,), "dynamic-range"))
    assert table == records and tuple(table) == records and records == tuple(table)
    assert table[-1] == records[1] and table[0:1] == records[:1] and len(table) == 2
    assert repr(table) == repr(records) and hash(table) == hash(records)
    with pytest.raises(IndexError):
        table[2]
    order = IndexArray(array("I", [0, 1, 0]))
    assert order == (0, 1, 0) and list(order) == [0, 1, 0] and order[1:] == (1, 0) and order != (0, 1)
    with pytest.raises(AttributeError):
        records[0].count = 3  # type: ignore[misc]


@pytest.mark.parametrize("trtexec_lines", [4, 6])
def test_line_votes_of_the_fast_path_decide_the_producer_as_the_plain_path_does(tmp_path: Path,
                                                                                trtexec_lines: int) -> None:
    """Past the head (64 KiB of text without prefixes), the producer is decided by the prefixed keyword lines."""
    filler = ["noise line without any prefix or keyword " + "." * 40] * 1000
    py_api = [f"{TS} [TRT] [W] Missing scale and zero-point for tensor p{i}, expect fall back to non-int8"
              for i in range(5)]
    trtexec = [f"{TS} [W] [TRT] Missing scale and zero-point for tensor t{i}, expect fall back to non-int8"
               for i in range(trtexec_lines)]
    path = _write(tmp_path / "votes.log", [*filler, *py_api, *trtexec])
    facts = read_log(path)
    _same(facts, unrouted(path))
    assert facts.build.producer == ("python-api" if trtexec_lines < 5 else "trtexec")


def unrouted_build(path: Path, build: int | None) -> LogFacts:
    """:func:`unrouted` for one build of the log."""
    collector = LogCollector(build=build)
    stats = scan(path, [KeywordFeed(collector.keywords, collector.feed)], on_head=collector.vote_on_sample)
    return collector.result(stats)


VERBOSE_PARSE = ROOT / "fixtures" / "logs" / "xlmr_verbose_parse_trt10.log"
REGISTRATIONS = [f"{TS} [V] [TRT] Parsing node: n{i} [MatMul]" if i % 3 == 0 else
                 f"{TS} [V] [TRT] Registering layer: l{i} for ONNX node: n{i - i % 3}" for i in range(30)]


@pytest.mark.parametrize("limit", [3, 50_000])
def test_held_parser_lines_give_every_build_the_facts_of_the_plain_definition(tmp_path: Path, monkeypatch,
                                                                              limit: int) -> None:
    """Parser lines are held back and replayed only for the build returned (trtdiag/log/deferred.py): any build
    asked for, a tail without content folded back into the build before it, a replay forced by the hold limit,
    and parser lines that go the usual way (a Q/DQ name brings the INT8-evidence handler in) between held ones."""
    monkeypatch.setattr("trtdiag.log.deferred.HOLD_LIMIT", limit)
    qdq = f"{TS} [V] [TRT] Registering layer: QuantizeLinear_3 for ONNX node: QuantizeLinear_3"
    build = [TRICKY[0], *REGISTRATIONS[:10], qdq, *REGISTRATIONS[10:]]
    tail = [f"{TS} [I] Average on 10 runs - GPU latency: 1.2 ms", "&&&& PASSED TensorRT.trtexec"]
    path = _write(tmp_path / "builds.log", [*VERBOSE_PARSE.read_text().splitlines(), *build, *build[:-4], *tail])
    plain = unrouted_build(path, None)
    assert len(plain.builds) == 3 and len(plain.registrations) == 18  # the last build: 17 of REGISTRATIONS, 1 Q/DQ
    for k in (None, 1, 2, 3):
        facts = read_log(path, build=k)
        _same(facts, unrouted_build(path, k))
        assert facts.registrations  # replayed for the build returned, whichever it is
    folded = _write(tmp_path / "folded.log", [*build, *build, "some trailing text without keywords", *tail])
    _same(read_log(folded), unrouted_build(folded, None))
    assert len(read_log(folded).builds) == 2 and read_log(folded).registrations


def test_a_held_line_cut_short_at_the_end_still_makes_the_log_truncated(tmp_path: Path) -> None:
    cut = f"{TS} [V] [TRT] Registering layer: half_written for ONNX n"
    path = tmp_path / "cut.log"
    path.write_bytes(("\n".join([TRICKY[0], *REGISTRATIONS, cut])).encode())  # no newline at the end
    from trtdiag.errors import TruncatedInputError

    with pytest.raises(TruncatedInputError) as routed:
        read_log(path)
    plain = unrouted_build(path, None)
    assert plain.truncated and routed.value.partial == plain
    for later in (REGISTRATIONS[:3], ["&&&& PASSED TensorRT.trtexec"]):  # a later line decides, held or not
        path.write_bytes(("\n".join([TRICKY[0], cut, *later])).encode())
        assert not read_log(path).truncated and not unrouted_build(path, None).truncated
