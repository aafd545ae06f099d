"""Engine readers on the real variants of their formats (hand-written files in tests/engine_variants):
TRT 7 summaries and profile tables without their header, listings broken by a blank line, two engines in
one file, lines quoted from a forum. Whatever is dropped is said, with the count."""

from __future__ import annotations

from pathlib import Path

import pytest

from trtdiag.analysis import analyze
from trtdiag.comparison import compare_artifacts
from trtdiag.engine.artifacts import load_artifacts
from trtdiag.engine.formats import dump_profile, perf_summary
from trtdiag.io.prefix import split_prefix, unquote

from .conftest import artifact

VARIANTS = Path(__file__).parent / "engine_variants"


def _load(name: str):
    return load_artifacts([VARIANTS / name], "INT8")


@pytest.mark.parametrize("name", ["layer_info_blank_line.log", "forum_quoted.log", "forum_double_quoted.log"])
def test_a_blank_line_or_forum_quoting_loses_no_layer(name: str) -> None:
    layers = _load(name).layers
    assert layers is not None and len(layers.layers) == 5
    names = [layer.name for layer in layers.layers]
    assert names[2].startswith("{ForeignNode[") and names[-1] == "/pooler/dense/Gemm"
    assert layers.tensorrt_version == "8.6.1"


def test_quotes_and_fences_are_stripped_before_the_prefix() -> None:
    assert unquote("> [W] [TRT] x") == "[W] [TRT] x"
    assert unquote(">> > Layer(Reformat): a") == "Layer(Reformat): a"
    assert unquote("```text") == "" and unquote("~~~") == ""
    assert unquote("a > b") == "a > b"
    line = split_prefix(3, "> [10/03/2023-08:00:00] [W] [TRT] Missing scale and zero-point for tensor x")
    assert line.severity == "W" and line.message.startswith("Missing scale") and line.raw.startswith("> ")


def test_two_engines_in_one_file_keep_the_last_and_say_so() -> None:
    art = _load("two_engines.log")
    assert art.layers is not None and len(art.layers.layers) == 5
    assert art.perf is not None and art.perf.throughput_qps == 1200.0
    assert any("2 engine layer listings found" in n and "1 earlier" in n for n in art.notes)
    assert any("2 performance summaries found" in n for n in art.notes)


def test_compare_and_analyze_report_the_ignored_listing(tmp_path: Path) -> None:
    c = compare_artifacts(VARIANTS / "swin_fp16_trt82.log", VARIANTS / "two_engines.log")
    assert any("2 engine layer listings" in n for n in c.int8.notes)
    assert "2 engine layer listings" in c.to_html(timestamp=False)
    a = analyze(VARIANTS / "two_engines.log")
    doc = a.to_dict(timestamp=False)
    assert any("2 engine layer listings" in n for n in doc["engine_layers"]["notes"])
    assert "2 engine layer listings" in a.to_html(timestamp=False)


def test_trt7_profile_table_without_its_profile_line() -> None:
    prof = _load("trt7_profile_column_header_only.log").profile
    assert prof is not None and prof.iterations is None and prof.format == "dump-profile-7"
    assert [t.name for t in prof.layers] == ["conv1", "res2a_branch2a + relu", "pool5", "fc1000"]
    assert prof.total_ms == pytest.approx(1.246)


def test_trt7_profile_rows_without_any_header() -> None:
    prof = dump_profile.read(VARIANTS / "trt7_profile_rows_only.txt")
    assert len(prof.layers) == 4 and prof.total_ms == pytest.approx(1.246)


def test_trt7_summary_excerpt_starting_at_gpu_compute() -> None:
    perf = _load("trt7_perf_gpu_compute_block.log").perf
    assert perf is not None and perf.format == "perf-7"
    assert perf.gpu_compute_ms == {"min": 1.39, "max": 1.62, "mean": 1.43, "median": 1.42, "p99": 1.58}
    assert perf.total_gpu_compute_s == pytest.approx(0.0512)


def test_no_timing_is_null_not_zero() -> None:
    c = compare_artifacts(VARIANTS / "swin_fp16_trt82.log", VARIANTS / "swin_int8_trt82.log")
    doc = c.to_dict(timestamp=False)
    assert doc["int8"]["reformat_ms"] is None and doc["int8"]["fp32_ms"] is None
    assert all(b["int8_ms"] is None for b in doc["blocks"])
    assert "0.000 ms" not in c.to_html(timestamp=False)


def test_corpus_trt71_multi_batch_runs_are_all_read(corpus_logs: Path) -> None:
    for number, runs in (("034", 7), ("035", None)):
        path = artifact(corpus_logs, number)
        summaries = perf_summary.read_all(path)
        assert summaries and all(s.format == "perf-7" and s.gpu_compute_ms.get("median") for s in summaries)
        if runs is not None:
            assert len(summaries) == runs
        art = load_artifacts([path], "INT8")
        assert any("performance summaries found" in n for n in art.notes)
