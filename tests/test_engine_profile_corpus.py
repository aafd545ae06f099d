"""Profiles, performance summaries and classification on every real artifact of the corpus
(skipped when the corpus is absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import artifact, manifest
from tests.test_engine_profile import classify_artifact
from trtdiag.engine.layers import read_engine_layers
from trtdiag.engine.profile import (
    read_perf_summaries,
    read_perf_summary,
    read_profile,
    read_times,
)

# --- real artifacts ---------------------------------------------------------------------------------------------------

#: corpus/logs profiles (MANIFEST feature profile_table): (rows of the last run, runs, iterations, format).
#: Independent counts: JSON rows  grep -c '"name"' f      (036: awk '/"count"/{n=0} /"name"/{n++} END{print n}')
#:                     JSON runs  grep -c '"count"' f     iterations: the last '"count" : N'
#:                     tables     rows between the '=== Profile' header and the 'Total' row, by hand
PROFILE_EXPECTED = {
    "022": (840, 1, 641, "profile-json"),
    "036": (58, 7, 15, "profile-json"),
    "072": (36, 1, 1, "profile-json"),
    "074": (37, 1, 1, "profile-json"),
    "076": (86, 1, 1, "profile-json"),
    "078": (63, 1, 1, "profile-json"),
    "098": (15, 1, 18362, "dump-profile-86"),
    "099": (16, 1, 21248, "dump-profile-86"),
}

#: corpus/trex profiles (the corpus MANIFEST), rows = grep -c '"name"' f, iterations = the '"count"' value.
TREX_PROFILES = {"002": (37, 1), "008": (36, 1), "012": (73, 6610), "016": (63, 1)}

#: corpus/logs performance summaries (MANIFEST feature perf_summary):
#: (format, summaries in the file, throughput, GPU Compute median ms, Total GPU Compute s) of the LAST summary.
#: Independent: grep -c 'Performance summary' (or 'Host Latency$' for TRT 7); grep 'Throughput:' / 'throughput:' | tail -1;
#:              grep 'GPU Compute Time: min' | grep -o 'median = ...'; grep 'Total GPU Compute Time' / 'total compute time' | tail -1.
#:              TRT 7 (034/035) GPU median: the 'median:' line after the last 'GPU Compute' line.
PERF_EXPECTED = {
    "023": ("perf-86", 1, 471.185, 1.44275, 2.06038),
    "024": ("perf-86", 1, 295.434, 2.77808, 2.4738),
    "025": ("perf-86", 1, 261.791, 2.48584, 1.96681),
    "026": ("perf-86", 1, 158.197, 5.08105, 2.41974),
    "027": ("perf-86", 1, 142.795, 4.60999, 1.9838),
    "028": ("perf-86", 1, 83.0696, 9.71161, 2.44054),
    "029": ("perf-86", 1, 76.3473, 8.61597, 1.99124),
    "030": ("perf-86", 1, 42.6595, 18.6931, 2.43254),
    "031": ("perf-86", 1, 40.7618, 16.384, 2.05641),
    "032": ("perf-86", 1, 21.5972, 36.2042, 2.45022),
    "033": ("perf-86", 1, 119.016, 7.69299, 2.76229),
    "034": ("perf-7", 7, 508.664, 247.036, 3.47004),
    "035": ("perf-7", 7, 1333.49, 91.6031, 3.13782),
    "092": ("perf-80", 1, 6182.1, 0.151611, 2.82322),
    "093": ("perf-80", 1, 6239.67, 0.153595, 2.88472),
    "094": ("perf-80", 1, 6106.55, 0.154663, 2.97694),
    "102": ("perf-86", 1, 15374.3, 0.0361328, 1.6586),
}


def test_tables_cover_every_profile_and_perf_artifact(corpus_logs: Path) -> None:
    artifacts = manifest(corpus_logs)
    assert {a["file"][:3] for a in artifacts if "profile_table" in a["features"]} == set(PROFILE_EXPECTED)
    assert {a["file"][:3] for a in artifacts if "perf_summary" in a["features"]} == set(PERF_EXPECTED)


@pytest.mark.parametrize("number", sorted(PROFILE_EXPECTED))
def test_corpus_profile(corpus_logs: Path, number: str) -> None:
    rows, runs, iterations, fmt = PROFILE_EXPECTED[number]
    pr = read_profile(artifact(corpus_logs, number))
    assert (len(pr.layers), pr.runs, pr.iterations, pr.format) == (rows, runs, iterations, fmt)
    assert all(t.average_ms >= 0 and "[profile" not in t.name for t in pr.layers)


@pytest.mark.parametrize("number", sorted(TREX_PROFILES))
def test_corpus_trex_profile(corpus_trex: Path, number: str) -> None:
    rows, iterations = TREX_PROFILES[number]
    pr = read_profile(artifact(corpus_trex, number))
    assert (len(pr.layers), pr.iterations, pr.format) == (rows, iterations, "profile-json")
    assert all(t.median_ms is not None for t in pr.layers)


def test_036_last_of_seven_runs_without_median(corpus_logs: Path) -> None:
    pr = read_profile(artifact(corpus_logs, "036"))
    first = pr.layers[0]
    assert first.name == "conv1 + conv1_relu + pool1 input reformatter 0"
    assert (first.time_ms, first.average_ms, first.median_ms, first.percentage) == (85.8941, 5.72628, None, 2.32559)


def test_098_dump_profile_myelin_rows_and_total(corpus_logs: Path) -> None:
    pr = read_profile(artifact(corpus_logs, "098"))
    assert pr.total_ms == 0.0833  # the Total row: "1529.13  0.0833  0.0804  100.0  Total"
    assert sum(t.time_ms for t in pr.layers) == pytest.approx(1529.13, abs=0.05)
    first = pr.layers[0]
    assert (first.name, first.time_ms, first.average_ms, first.median_ms, first.percentage) == (
        "__mye59_0_myl0_0", 31.40, 0.0017, 0.0018, 2.1)
    assert pr.layers[3].name == "Reformatting CopyNode for Input Tensor 0 to {ForeignNode[node_conv2d_1...node_relu_1]}"
    assert [t.name for t in pr.layers if t.name.startswith("__myl_")] == [
        "__myl_Resh_myl5_1", "__myl_MaxrSubExpSum_myl5_4", "__myl_DivMulTopk_myl5_5", "__myl_CastReshCast_myl5_6",
        "__myl_Cast_myl5_7"]
    pr99 = read_profile(artifact(corpus_logs, "099"))
    assert pr99.layers[8].name == "PWN((Unnamed Layer* 11) [ElementWise] + node_relu_2)"


def test_022_profile_names_join_021_layer_names(corpus_logs: Path) -> None:
    layers = [layer.name for layer in read_engine_layers(artifact(corpus_logs, "021")).layers]
    profile = [t.name for t in read_profile(artifact(corpus_logs, "022")).layers]
    assert profile == layers


def test_trex_profile_names_join_graph_names(corpus_trex: Path) -> None:
    for graph, prof in (("001", "002"), ("007", "008"), ("011", "012"), ("015", "016")):
        names = [layer.name for layer in read_engine_layers(artifact(corpus_trex, graph)).layers]
        assert [t.name for t in read_profile(artifact(corpus_trex, prof)).layers] == names


@pytest.mark.parametrize("number", sorted(PERF_EXPECTED))
def test_corpus_perf_summary(corpus_logs: Path, number: str) -> None:
    fmt, count, throughput, gpu_median, total_gpu = PERF_EXPECTED[number]
    path = artifact(corpus_logs, number)
    summaries = read_perf_summaries(path)
    assert len(summaries) == count
    s = read_perf_summary(path)
    assert s == summaries[-1]
    assert (s.format, s.throughput_qps, s.gpu_compute_ms["median"], s.total_gpu_compute_s) == (fmt, throughput, gpu_median, total_gpu)
    assert set(s.latency_ms) >= {"min", "max", "mean", "median", "p99"}
    if fmt == "perf-86":
        assert {"p90", "p95"} <= set(s.latency_ms)


def test_023_and_102_details(corpus_logs: Path) -> None:
    s = read_perf_summary(artifact(corpus_logs, "023"))
    assert s is not None
    assert s.latency_ms == {"min": 1.9754, "max": 2.91333, "mean": 2.04992, "median": 2.0188, "p90": 2.12784,
                            "p95": 2.20337, "p99": 2.56396}
    assert s.enqueue_ms["p99"] == 0.839844 and s.unstable_cov_percent is None
    s = read_perf_summary(artifact(corpus_logs, "102"))
    assert s is not None and s.unstable_cov_percent == 6.58751  # grep 'coefficient of variance'


def test_034_trt7_summary_details(corpus_logs: Path) -> None:
    first = read_perf_summaries(artifact(corpus_logs, "034"))[0]
    assert first.latency_ms == {"min": 3.05505, "max": 5.60945, "mean": 3.1141, "median": 3.09796, "p99": 3.4563}
    assert first.enqueue_ms == {"min": 3.02222, "max": 5.35538, "median": 3.05493}
    assert first.throughput_qps == 318.785


def test_logs_without_perf_summary_return_none(corpus_logs: Path) -> None:
    for number in ("095", "098", "100", "109"):
        assert read_perf_summary(artifact(corpus_logs, number)) is None


def test_trex_times_and_metadata(corpus_trex: Path) -> None:
    times = read_times(artifact(corpus_trex, "006"))
    assert times.count == 3614  # grep -c latencyMs
    meta = read_perf_summary(artifact(corpus_trex, "003"))  # same engine and run, summarised by trtexec
    assert meta is not None and meta.format == "trex-metadata" and meta.throughput_qps == 1130.01
    # trtexec's summary skips warm-up queries that --exportTimes keeps; median and p99 are unaffected here
    assert times.latency_ms["median"] == meta.latency_ms["median"] == 0.882568
    assert times.latency_ms["p99"] == meta.latency_ms["p99"] == 0.884766
    assert times.latency_ms["compute_median"] == meta.gpu_compute_ms["median"]
    assert read_perf_summary(artifact(corpus_trex, "013")).latency_ms["p95"] == 0.352295  # type: ignore[union-attr]
    for number in ("004", "005", "010", "014"):
        assert read_perf_summary(artifact(corpus_trex, number)) is None


def _expected_kind(name: str) -> str:
    """Class by provenance (file name in the corpus MANIFEST), independent of the content sniffing."""
    if "exportLayerInfo" in name or name.endswith("-graph.json"):
        return "layers-json"
    if "exportProfile" in name or name.endswith("-profile.json"):
        return "profile-json"
    if name.endswith("-timing.json"):
        return "times-json"
    if "metadata" in name:
        return "trex-metadata"
    if name.endswith((".log", ".cache")):
        return "log"  # calibration caches are text, too
    return "unknown"  # 008 ORT calibration table JSON, 017 JSON schema


def test_classify_every_corpus_artifact(corpus_logs: Path, corpus_trex: Path) -> None:
    for folder in (corpus_logs, corpus_trex):
        for entry in manifest(folder):
            name = entry["file"]
            assert classify_artifact(folder / name) == _expected_kind(name), name
