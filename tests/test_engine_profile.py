"""Per-layer profiles, performance summaries, --exportTimes traces and artifact classification:
small hand-written inputs for each format, then every real artifact of ../shared/corpus."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from trtdiag.engine.artifacts import sniff_file
from trtdiag.engine.profile import (
    read_perf_summaries,
    read_perf_summary,
    read_profile,
    read_times,
)
from trtdiag.errors import InputError


def classify_artifact(path: Path) -> str:
    """The old one-word classification, derived from the registry: a JSON format's id, "log" for
    text (which every text format accepts) or "unknown"."""
    formats = sniff_file(path)
    if not formats:
        return "unknown"
    if any(f.section is not None for f in formats):
        return "log"
    assert len(formats) == 1, formats  # JSON sniffers are mutually exclusive
    return str(formats[0].id)


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def assert_one_line_error(exc: pytest.ExceptionInfo[InputError]) -> None:
    message = str(exc.value)
    assert message and "\n" not in message


# --- profile JSON -----------------------------------------------------------------------------------------

PROFILE_86 = """[
  { "count" : 20 }
, { "name" : "QuantizeLinear_2", "timeMs" : 2.0, "averageMs" : 0.1, "medianMs" : 0.09, "percentage" : 25 }
, { "name" : "conv1 + relu1", "timeMs" : 6.0, "averageMs" : 0.3, "medianMs" : 0.28, "percentage" : 75 }
]
"""

PROFILE_7_TWO_RUNS = """[
  { "count" : 100 }
, { "name" : "conv1 input reformatter 0", "timeMs" : 5.0, "averageMs" : 0.05, "percentage" : 50 }
, { "name" : "conv1", "timeMs" : 5.0, "averageMs" : 0.05, "percentage" : 50 }
]
[
  { "count" : 10 }
, { "name" : "conv1 input reformatter 0", "timeMs" : 2.0, "averageMs" : 0.2, "percentage" : 40 }
, { "name" : "conv1", "timeMs" : 3.0, "averageMs" : 0.3, "percentage" : 60 }
]
"""


def test_profile_json_with_median(tmp_path: Path) -> None:
    pr = read_profile(write(tmp_path, "p.json", PROFILE_86))
    assert (pr.format, pr.iterations, pr.runs) == ("profile-json", 20, 1)
    assert [(t.name, t.time_ms, t.average_ms, t.median_ms, t.percentage) for t in pr.layers] == [
        ("QuantizeLinear_2", 2.0, 0.1, 0.09, 25.0), ("conv1 + relu1", 6.0, 0.3, 0.28, 75.0)]
    assert pr.total_ms == pytest.approx(0.4)
    assert all(t.profile is None for t in pr.layers)


def test_profile_json_without_median_several_runs_takes_last(tmp_path: Path) -> None:
    pr = read_profile(write(tmp_path, "p.json", PROFILE_7_TWO_RUNS))
    assert (pr.runs, pr.iterations) == (2, 10)
    assert [(t.name, t.average_ms, t.median_ms) for t in pr.layers] == [
        ("conv1 input reformatter 0", 0.2, None), ("conv1", 0.3, None)]
    assert pr.total_ms == pytest.approx(0.5)


def test_profile_json_profile_suffix(tmp_path: Path) -> None:
    data = [{"count": 1}, {"name": "a", "averageMs": 1}, {"name": "a [profile 1]", "averageMs": 2},
            {"name": "__myl_Mul_myl3_0", "averageMs": 3}]
    pr = read_profile(write(tmp_path, "p.json", json.dumps(data)))
    assert [(t.name, t.profile) for t in pr.layers] == [("a", 0), ("a", 1), ("__myl_Mul_myl3_0", 1)]
    assert pr.layers[0].time_ms is None and pr.layers[0].percentage is None


# --- --dumpProfile tables -----------------------------------------------------------------------------------

DUMP_7 = """\
[01/02/2021-10:00:00] [I] Average on 10 runs - GPU latency: 3.0 ms - Host latency: 3.1 ms (end to end 3.2 ms, enqueue 3.0 ms)
[01/02/2021-10:00:00] [I]
[01/02/2021-10:00:00] [I] === Profile (124 iterations ) ===
[01/02/2021-10:00:00] [I]                               Layer   Time (ms)   Avg. Time (ms)   Time %
[01/02/2021-10:00:00] [I]           conv1 input reformatter 0        1.24           0.0100      10.0
[01/02/2021-10:00:00] [I]  (Unnamed Layer* 3) [Shuffle] + fc1       11.16           0.0900      90.0
[01/02/2021-10:00:00] [I]                               Total       12.40           0.1000     100.0
[01/02/2021-10:00:00] [I]
&&&& PASSED TensorRT.trtexec # trtexec --dumpProfile
"""

DUMP_86 = """\
[01/02/2025-10:00:00] [I] === Profile (500 iterations ) ===
[01/02/2025-10:00:00] [I]    Time(ms)     Avg.(ms)   Median(ms)   Time(%)   Layer
[01/02/2025-10:00:00] [I]       10.00       0.0200       0.0190      40.0   Reformatting CopyNode for Input Tensor 0 to {ForeignNode[a...b]}
[01/02/2025-10:00:00] [I]       15.00       0.0300       0.0290      60.0   __myl_MulAdd_myl0_1
[01/02/2025-10:00:00] [I]       25.00       0.0500       0.0480     100.0   Total
[01/02/2025-10:00:00] [I]
"""


def test_dump_profile_7_columns(tmp_path: Path) -> None:
    pr = read_profile(write(tmp_path, "run.log", DUMP_7))
    assert (pr.format, pr.iterations, pr.runs) == ("dump-profile-7", 124, 1)
    assert [(t.name, t.time_ms, t.average_ms, t.median_ms, t.percentage) for t in pr.layers] == [
        ("conv1 input reformatter 0", 1.24, 0.01, None, 10.0), ("(Unnamed Layer* 3) [Shuffle] + fc1", 11.16, 0.09, None, 90.0)]
    assert pr.total_ms == 0.1  # the Total row's average, per iteration


def test_dump_profile_86_columns_and_last_table(tmp_path: Path) -> None:
    pr = read_profile(write(tmp_path, "run.log", DUMP_7 + DUMP_86))
    assert (pr.format, pr.iterations, pr.runs) == ("dump-profile-86", 500, 2)
    assert [(t.name, t.median_ms) for t in pr.layers] == [
        ("Reformatting CopyNode for Input Tensor 0 to {ForeignNode[a...b]}", 0.019), ("__myl_MulAdd_myl0_1", 0.029)]
    assert pr.total_ms == 0.05


def test_dump_profile_gzip(tmp_path: Path) -> None:
    p = tmp_path / "run.log.gz"
    p.write_bytes(gzip.compress(DUMP_86.encode()))
    assert len(read_profile(p).layers) == 2


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("empty.json", b""),
        ("binary.bin", bytes(range(256)) * 40),
        ("graph.json", b'{"Layers": ["a"]}'),
        ("times.json", b'[{"startEnqMs": 1, "latencyMs": 0.5, "computeMs": 0.4}]'),
        ("broken.json", b'[{"count": 1},'),
        ("build.log", b"[I] [TRT] no profile here\n"),
    ],
)
def test_profile_bad_input(tmp_path: Path, name: str, content: bytes) -> None:
    p = tmp_path / name
    p.write_bytes(content)
    with pytest.raises(InputError) as exc:
        read_profile(p)
    assert_one_line_error(exc)


# --- performance summaries ------------------------------------------------------------------------------------

PERF_7 = """\
[02/22/2021-15:14:52] [I] Host Latency
[02/22/2021-15:14:52] [I] min: 3.05 ms (end to end 3.06 ms)
[02/22/2021-15:14:52] [I] max: 5.6 ms (end to end 5.61 ms)
[02/22/2021-15:14:52] [I] mean: 3.11 ms (end to end 3.12 ms)
[02/22/2021-15:14:52] [I] median: 3.09 ms (end to end 3.10 ms)
[02/22/2021-15:14:52] [I] percentile: 3.45 ms at 99% (end to end 3.47 ms at 99%)
[02/22/2021-15:14:52] [I] throughput: 318.785 qps
[02/22/2021-15:14:52] [I] walltime: 3.00516 s
[02/22/2021-15:14:52] [I] Enqueue Time
[02/22/2021-15:14:52] [I] min: 3.02 ms
[02/22/2021-15:14:52] [I] max: 5.35 ms
[02/22/2021-15:14:52] [I] median: 3.05 ms
[02/22/2021-15:14:52] [I] GPU Compute
[02/22/2021-15:14:52] [I] min: 3.0 ms
[02/22/2021-15:14:52] [I] max: 5.5 ms
[02/22/2021-15:14:52] [I] mean: 3.05 ms
[02/22/2021-15:14:52] [I] median: 3.04 ms
[02/22/2021-15:14:52] [I] percentile: 3.41 ms at 99%
[02/22/2021-15:14:52] [I] total compute time: 2.92575 s
&&&& PASSED TensorRT.trtexec # trtexec --int8
"""

PERF_80 = """\
&&&& RUNNING TensorRT.trtexec [TensorRT v8203] # trtexec --onnx=m.onnx
[I] === Performance summary ===
[I] Throughput: 6239.67 qps
[I] Latency: min = 0.157 ms, max = 0.455 ms, mean = 0.16 ms, median = 0.16 ms, percentile(99%) = 0.165 ms
[I] End-to-End Host Latency: min = 0.165 ms, max = 0.59 ms, mean = 0.287 ms, median = 0.29 ms, percentile(99%) = 0.3 ms
[I] Enqueue Time: min = 0.042 ms, max = 0.152 ms, mean = 0.053 ms, median = 0.049 ms, percentile(99%) = 0.084 ms
[I] H2D Latency: min = 0.003 ms, max = 0.029 ms, mean = 0.004 ms, median = 0.003 ms, percentile(99%) = 0.006 ms
[I] GPU Compute Time: min = 0.151 ms, max = 0.449 ms, mean = 0.154 ms, median = 0.153 ms, percentile(99%) = 0.158 ms
[I] D2H Latency: min = 0.001 ms, max = 0.011 ms, mean = 0.002 ms, median = 0.002 ms, percentile(99%) = 0.003 ms
[I] Total Host Walltime: 3.00048 s
[I] Total GPU Compute Time: 2.88472 s
[I] Explanations of the performance metrics are printed in the verbose logs.
[V]
[V] === Explanations of the performance metrics ===
[V] Latency: the summation of H2D Latency, GPU Compute Time, and D2H Latency.
"""

PERF_86 = """\
&&&& RUNNING TensorRT.trtexec # trtexec --onnx=m.onnx
[I] === Performance summary ===
[I] Throughput: 471.185 qps
[I] Latency: min = 1.97 ms, max = 2.91 ms, mean = 2.04 ms, median = 2.01 ms, percentile(90%) = 2.12 ms, percentile(95%) = 2.2 ms, percentile(99%) = 2.56 ms
[I] Enqueue Time: min = 0.24 ms, max = 0.98 ms, mean = 0.35 ms, median = 0.29 ms, percentile(90%) = 0.57 ms, percentile(95%) = 0.65 ms, percentile(99%) = 0.83 ms
[I] GPU Compute Time: min = 1.41 ms, max = 2.25 ms, mean = 1.45 ms, median = 1.44 ms, percentile(90%) = 1.47 ms, percentile(95%) = 1.5 ms, percentile(99.9%) = 1.79 ms
[I] Total GPU Compute Time: 2.06038 s
[W] * GPU compute time is unstable, with coefficient of variance = 25.6499%.
[W]   If not already in use, locking GPU clock frequency or adding --useSpinWait may improve the stability.
[I] Explanations of the performance metrics are printed in the verbose logs.
&&&& PASSED TensorRT.trtexec
"""


def test_perf_summary_trt7(tmp_path: Path) -> None:
    s = read_perf_summary(write(tmp_path, "run.log", PERF_7))
    assert s is not None and s.format == "perf-7"
    assert s.throughput_qps == 318.785
    assert s.latency_ms == {"min": 3.05, "max": 5.6, "mean": 3.11, "median": 3.09, "p99": 3.45}
    assert s.enqueue_ms == {"min": 3.02, "max": 5.35, "median": 3.05}
    assert s.gpu_compute_ms == {"min": 3.0, "max": 5.5, "mean": 3.05, "median": 3.04, "p99": 3.41}
    assert s.total_gpu_compute_s == 2.92575 and s.unstable_cov_percent is None


def test_perf_summary_80(tmp_path: Path) -> None:
    s = read_perf_summary(write(tmp_path, "run.log", PERF_80))
    assert s is not None and s.format == "perf-80"
    assert s.throughput_qps == 6239.67
    assert s.latency_ms == {"min": 0.157, "max": 0.455, "mean": 0.16, "median": 0.16, "p99": 0.165}  # not End-to-End
    assert s.gpu_compute_ms["p99"] == 0.158 and s.enqueue_ms["median"] == 0.049
    assert s.total_gpu_compute_s == 2.88472


def test_perf_summary_86_with_cov(tmp_path: Path) -> None:
    s = read_perf_summary(write(tmp_path, "run.log", PERF_86))
    assert s is not None and s.format == "perf-86"  # no version line: three percentiles say 8.6+
    assert s.latency_ms == {"min": 1.97, "max": 2.91, "mean": 2.04, "median": 2.01, "p90": 2.12, "p95": 2.2, "p99": 2.56}
    assert s.gpu_compute_ms["p99.9"] == 1.79
    assert s.unstable_cov_percent == 25.6499


def test_perf_summaries_all_and_last(tmp_path: Path) -> None:
    p = write(tmp_path, "runs.log", PERF_7 + PERF_80 + PERF_86)
    assert [s.format for s in read_perf_summaries(p)] == ["perf-7", "perf-80", "perf-86"]
    assert read_perf_summary(p).throughput_qps == 471.185  # type: ignore[union-attr]


def test_perf_summary_none_and_errors(tmp_path: Path) -> None:
    assert read_perf_summary(write(tmp_path, "build.log", "[I] [TRT] building\n[I] done\n")) is None
    for name, content in (("empty.log", b""), ("engine.plan", bytes(range(256)) * 40)):
        p = tmp_path / name
        p.write_bytes(content)
        with pytest.raises(InputError) as exc:
            read_perf_summary(p)
        assert_one_line_error(exc)


def test_perf_summary_from_trex_metadata(tmp_path: Path) -> None:
    doc = {"performance_summary": {"Throughput": 100.0, "Latency": [1, 5, 2, 1.5, 4], "GPU Compute Time": [1, 2, 3, 4, 5, 6, 7],
                                   "Total GPU Compute Time": 2.5}}
    s = read_perf_summary(write(tmp_path, "e.profile.metadata.json", json.dumps(doc)))
    assert s is not None and s.format == "trex-metadata"
    assert s.latency_ms == {"min": 1, "max": 5, "mean": 2, "median": 1.5, "p99": 4}
    assert s.gpu_compute_ms == {"min": 1, "max": 2, "mean": 3, "median": 4, "p90": 5, "p95": 6, "p99": 7}
    assert read_perf_summary(write(tmp_path, "e.build.metadata.json", '{"build_options": {"Precision": "FP32+INT8"}}')) is None


# --- --exportTimes -------------------------------------------------------------------------------------------------


def test_times_stats_follow_trtexec(tmp_path: Path) -> None:
    records = [{"startEnqMs": i, "latencyMs": v, "computeMs": v / 2} for i, v in enumerate([4.0, 1.0, 3.0, 2.0])]
    t = read_times(write(tmp_path, "times.json", json.dumps(records)))
    assert t.count == 4
    # median of an even count averages the middle two; p99 excludes int(0.01 * 4) = 0 from the top
    assert t.latency_ms == {"mean": 2.5, "median": 2.5, "min": 1.0, "max": 4.0, "p99": 4.0,
                            "compute_mean": 1.25, "compute_median": 1.25, "compute_min": 0.5, "compute_max": 2.0,
                            "compute_p99": 2.0}
    many = [{"latencyMs": float(v), "computeMs": float(v)} for v in range(1, 201)]
    t = read_times(write(tmp_path, "many.json", json.dumps(many)))
    # trtexec computes int((1 - 99 / 100) * 200) in float32: 1 (not 2), so sorted[198] = 199
    assert t.latency_ms["p99"] == 199.0


@pytest.mark.parametrize("content", ['{"Layers": []}', '[{"count": 1}, {"name": "a", "averageMs": 1}]', "[I] log line\n", ""])
def test_times_bad_input(tmp_path: Path, content: str) -> None:
    with pytest.raises(InputError) as exc:
        read_times(write(tmp_path, "t.json", content))
    assert_one_line_error(exc)


# --- classification ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        (b'{"Layers": ["a"], "Bindings": []}', "layers-json"),
        (b'{\n  "I/O Tensors": []\n}', "layers-json"),
        (b'[\n  { "count" : 3 }\n, { "name" : "a", "timeMs" : 1, "averageMs" : 1, "percentage" : 100 }\n]', "profile-json"),
        (b'[\n  { "startEnqMs" : 1, "latencyMs" : 2 }\n]', "times-json"),
        (b'[{"startInMs": 1, "computeMs": 1, "latencyMs": 2}]', "times-json"),
        (b'{"performance_summary": {"Throughput": 1}}', "trex-metadata"),
        (b'{"model_options": {}, "build_options": {}}', "trex-metadata"),
        (b'[{"Name": "NVIDIA A100", "ComputeCapability": [8, 0]}]', "trex-metadata"),
        (b"[I] [TRT] a log line\n", "log"),
        (b"[07/07/2026-02:11:29] [I] === Model Options ===\n", "log"),
        (b"&&&& RUNNING TensorRT.trtexec # trtexec\n", "log"),
        (b'{"$schema": "x"}', "unknown"),
        (b"", "unknown"),
        (bytes(range(256)) * 40, "unknown"),
    ],
)
def test_classify_artifact(tmp_path: Path, content: bytes, kind: str) -> None:
    p = tmp_path / "artifact.log"  # the name says nothing: classification is by content
    p.write_bytes(content)
    assert classify_artifact(p) == kind


def test_classify_gzip_and_missing(tmp_path: Path) -> None:
    p = tmp_path / "build.log.gz"
    p.write_bytes(gzip.compress(b"[I] [TRT] hello\n"))
    assert classify_artifact(p) == "log"
    with pytest.raises(InputError):
        classify_artifact(tmp_path / "missing.log")
