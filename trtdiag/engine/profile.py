"""Readers for per-layer timings and whole-engine performance numbers written by trtexec.

Why: an FP16-vs-INT8 comparison has to say where the time goes (per layer) and what the engine
achieved overall, and it has to do so from whatever the user saved. The sources differ per
TensorRT version (``docs/log-formats.md`` §5 of the shared notes):

====================  ===========================================================================
format id             source
====================  ===========================================================================
``profile-json``      ``--exportProfile``: ``[{"count": N}, {"name", "timeMs", "averageMs",
                      ["medianMs",] "percentage"}, ...]`` (``medianMs`` from about 8.4 on);
                      several arrays back to back when a wrapper appends runs (artifact 036)
``dump-profile-7``    ``--dumpProfile`` table of 7.x-8.5: right-aligned names first, then
                      ``Time (ms)  Avg. Time (ms)  Time %``, and a ``Total`` row
``dump-profile-86``   ``--dumpProfile`` table of 8.6-10.x: ``Time(ms) Avg.(ms) Median(ms)
                      Time(%) Layer`` (numbers first, name last) and a ``Total`` row
``perf-7``            TRT 7 multi-line summary: ``Host Latency`` / ``min: 3.05 ms (end to end ..)``
                      ... ``throughput: 318.785 qps``, ``Enqueue Time``, ``GPU Compute``
``perf-80``           8.0-8.5 ``=== Performance summary ===`` with one percentile
``perf-86``           8.6-10.x summary: percentiles 90/95/99 and the coefficient-of-variance warning
``trex-metadata``     TREx ``*.profile.metadata.json`` (its ``performance_summary`` stat lists)
====================  ===========================================================================

Text logs are streamed with :func:`trtdiag.engine.layers.scan_marked_lines`, so a verbose build
log of any size costs about one ``grep``. When a log or file holds several tables or summaries
(one per run), the **last** one is returned: that is the run the log ends with. ``runs`` says how
many were found; :func:`read_perf_summaries` returns all summaries.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from trtdiag.engine.layers import split_profile
from trtdiag.engine.model import EngineProfile, InferenceTimes, LayerTiming, PerfSummary
from trtdiag.errors import InputError
from trtdiag.io.files import load_json_values, looks_binary, looks_json, read_head
from trtdiag.io.prefix import split_prefix
from trtdiag.io.scan import scan_marked_lines
from trtdiag.io.versions import TRTEXEC_VERSION_RE, decode_trt_version

# --- data ------------------------------------------------------------------------------------------










# --- artifact classification -------------------------------------------------------------------------

_TREX_METADATA_KEYS = ("performance_summary", "inference_options", "device_information", "model_options",
                       "build_options")


_LAYERS_JSON_START = re.compile(r'\{\s*"(?:Layers|layers|I/O Tensors|Bindings)"\s*:')
_LAYERS_JSON_KEY = re.compile(r'"Layers"\s*:\s*\[')


def classify_artifact(path: str | os.PathLike[str]) -> str:
    """What a file is, judged by its content (names lie: 101 is JSON saved as ``.log``).

    Returns ``layers-json`` (``--exportLayerInfo``), ``profile-json`` (``--exportProfile``),
    ``times-json`` (``--exportTimes``), ``trex-metadata`` (TREx build/profile/device metadata),
    ``log`` (any text, gzip included) or ``unknown`` (empty, binary, other JSON).
    Raises InputError only when the file does not exist or cannot be read.
    """
    p = Path(path)
    if not p.exists():
        raise InputError(f"file not found: {p}")
    if p.is_dir():
        raise InputError(f"expected a file but got a directory: {p}")
    if p.stat().st_size == 0:
        return "unknown"
    head = read_head(p, 65536)
    if not head or looks_binary(head):
        return "unknown"
    if not looks_json(head):
        return "log"
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n")
    if text.startswith("{"):
        if _LAYERS_JSON_START.match(text) or _LAYERS_JSON_KEY.search(text):
            return "layers-json"
        if any(f'"{k}"' in text for k in _TREX_METADATA_KEYS):
            return "trex-metadata"
        return "unknown"
    first_record = re.match(r"\[\s*\{\s*\"(?P<key>[^\"]+)\"", text)
    if first_record is not None:
        key = first_record.group("key")
        if key == "count":
            return "profile-json"
        if key in ("name",) and "averageMs" in text:
            return "profile-json"
        if key.endswith("Ms") or '"latencyMs"' in text:
            return "times-json"
        if key in ("Name", "ComputeCapability") and "ComputeCapability" in text:
            return "trex-metadata"
    return "unknown"


# --- profile: JSON --------------------------------------------------------------------------------------


def _float(value: Any) -> float | None:
    if value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _profile_from_json_run(run: list[Any]) -> tuple[int | None, list[LayerTiming]]:
    iterations: int | None = None
    layers: list[LayerTiming] = []
    for rec in run:
        if not isinstance(rec, dict):
            continue
        if "count" in rec and "name" not in rec:
            try:
                iterations = int(rec["count"])
            except (TypeError, ValueError):
                iterations = None
            continue
        if "name" not in rec:
            continue
        average = _float(rec.get("averageMs"))
        if average is None:
            continue
        name, profile = split_profile(str(rec["name"]))
        layers.append(
            LayerTiming(
                name=name,
                profile=profile,
                time_ms=_float(rec.get("timeMs")),
                average_ms=average,
                median_ms=_float(rec.get("medianMs")),
                percentage=_float(rec.get("percentage")),
            )
        )
    return iterations, layers


def _profile_from_json(values: list[Any], source: str) -> EngineProfile:
    runs = [v for v in values if isinstance(v, list)]
    parsed = [_profile_from_json_run(run) for run in runs]
    parsed = [(it, layers) for it, layers in parsed if layers or it is not None]
    if not parsed:
        raise InputError(f"{source} is JSON but not a per-layer profile (expected trtexec --exportProfile output)")
    iterations, layers = parsed[-1]
    return EngineProfile(
        source=source,
        format="profile-json",
        iterations=iterations,
        runs=len(parsed),
        layers=tuple(_settle_profiles(layers)),
        total_ms=sum(layer.average_ms for layer in layers) if layers else None,
    )


def _settle_profiles(layers: Sequence[LayerTiming]) -> list[LayerTiming]:
    """Same rule as for engine layers: None for single-profile runs, else inherit the profile of
    the previous row for rows without a ``[profile N]`` suffix (Myelin sub-layers have none)."""
    if not any(t.profile for t in layers):
        return [t if t.profile is None else _with_profile(t, None) for t in layers]
    out: list[LayerTiming] = []
    current = 0
    for t in layers:
        current = t.profile if t.profile is not None else current
        out.append(_with_profile(t, current))
    return out


def _with_profile(t: LayerTiming, profile: int | None) -> LayerTiming:
    return LayerTiming(t.name, profile, t.time_ms, t.average_ms, t.median_ms, t.percentage)


# --- profile: --dumpProfile text ------------------------------------------------------------------------

_NUM = r"-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?|inf|nan"
_PROFILE_HEAD = re.compile(r"^=== Profile \((?P<n>\d+) iterations ?\) ===$")
_ROW_86 = re.compile(rf"^(?P<t>{_NUM})\s+(?P<a>{_NUM})\s+(?P<m>{_NUM})\s+(?P<p>{_NUM})\s+(?P<name>\S.*)$")
_ROW_7 = re.compile(rf"^(?P<name>\S.*?)\s+(?P<t>{_NUM})\s+(?P<a>{_NUM})\s+(?P<p>{_NUM})$")


@dataclass
class _Table:
    iterations: int
    style: str | None = None  # "86" or "7"
    layers: list[LayerTiming] = field(default_factory=list)
    total_ms: float | None = None


class _ProfileTextParser:
    """Collects every ``=== Profile (N iterations ) ===`` table of a log."""

    def __init__(self) -> None:
        self.tables: list[_Table] = []
        self._cur: _Table | None = None

    def feed(self, number: int, text: str) -> bool:
        msg = split_prefix(number, text).message
        cur = self._cur
        if cur is not None:
            if cur.style is None:
                if "Median(ms)" in msg or ("Time(ms)" in msg and "Layer" in msg):
                    cur.style = "86"
                    return True
                if "Avg. Time (ms)" in msg:
                    cur.style = "7"
                    return True
                self._cur = None
            else:
                m = (_ROW_86 if cur.style == "86" else _ROW_7).match(msg)
                if m is not None:
                    self._row(cur, m)
                    return True
                self._cur = None
        m = _PROFILE_HEAD.match(msg)
        if m is not None:
            self._cur = _Table(iterations=int(m.group("n")))
            self.tables.append(self._cur)
            return True
        return False

    @staticmethod
    def _row(table: _Table, m: re.Match[str]) -> None:
        name = m.group("name").strip()
        time_ms = float(m.group("t"))
        average = float(m.group("a"))
        if name == "Total":
            table.total_ms = average
            return
        clean, profile = split_profile(name)
        median = float(m.group("m")) if table.style == "86" else None
        table.layers.append(LayerTiming(clean, profile, time_ms, average, median, float(m.group("p"))))


def read_profile(path: str | os.PathLike[str]) -> EngineProfile:
    """Per-layer timings from ``--exportProfile`` JSON or a log with ``--dumpProfile`` tables.

    InputError (one line) when the file is missing, empty, binary, or holds no profile.
    """
    p = Path(path)
    head = read_head(p, 65536)
    if looks_binary(head):
        raise InputError(f"{p} is a binary file, not a trtexec profile (--exportProfile JSON or --dumpProfile log)")
    if looks_json(head):
        values = load_json_values(p)
        if not any(isinstance(v, list) for v in values):
            raise InputError(f"{p} is JSON but not a per-layer profile (expected trtexec --exportProfile output)")
        return _profile_from_json(values, str(p))
    parser = _ProfileTextParser()
    scan_marked_lines(p, (b"=== Profile (",), parser.feed)
    tables = [t for t in parser.tables if t.layers]
    if not tables:
        raise InputError(f"no per-layer profile found in {p} (expected trtexec --dumpProfile output or "
                         "--exportProfile JSON)")
    last = tables[-1]
    layers = _settle_profiles(last.layers)
    total = last.total_ms if last.total_ms is not None else sum(t.average_ms for t in layers)
    return EngineProfile(
        source=str(p),
        format="dump-profile-86" if last.style == "86" else "dump-profile-7",
        iterations=last.iterations,
        runs=len(tables),
        layers=tuple(layers),
        total_ms=total,
    )


# --- performance summaries ------------------------------------------------------------------------------

_PERF_HEAD = "=== Performance summary ==="
_STATS_LINE = re.compile(
    r"^(?P<key>Latency|End-to-End Host Latency|Enqueue Time|H2D Latency|GPU Compute Time|D2H Latency): (?P<stats>.*)$"
)
_STAT = re.compile(rf"(?P<k>min|max|mean|median|percentile\((?P<pc>[\d.]+)%\)) = (?P<v>{_NUM}) ms")
_THROUGHPUT = re.compile(rf"^Throughput: (?P<v>{_NUM}) qps")
_TOTAL_GPU = re.compile(rf"^Total GPU Compute Time: (?P<v>{_NUM}) s")
_COV = re.compile(rf"coefficient of variance = (?P<v>{_NUM})%")
_SEVEN_BLOCK = re.compile(r"^(?P<b>Host Latency|Enqueue Time|GPU Compute)$")
_SEVEN_STAT = re.compile(rf"^(?P<k>min|max|mean|median): (?P<v>{_NUM}) ms")
_SEVEN_PCT = re.compile(rf"^percentile: (?P<v>{_NUM}) ms at (?P<pc>[\d.]+)%")
_SEVEN_THROUGHPUT = re.compile(rf"^throughput: (?P<v>{_NUM}) qps")
_SEVEN_TOTAL = re.compile(rf"^total compute time: (?P<v>{_NUM}) s")


def _pct_key(pc: str) -> str:
    value = float(pc)
    return f"p{int(value)}" if value.is_integer() else f"p{pc}"


@dataclass
class _Summary:
    style: str  # "7" or "8"
    version: str | None
    throughput: float | None = None
    latency: dict[str, float] = field(default_factory=dict)
    gpu: dict[str, float] = field(default_factory=dict)
    enqueue: dict[str, float] = field(default_factory=dict)
    total_gpu_s: float | None = None
    cov: float | None = None
    block: str = ""


class _PerfParser:
    """Collects every performance summary of a log (7.x multi-line blocks and 8.x+ summaries)."""

    def __init__(self) -> None:
        self.summaries: list[_Summary] = []
        self.version: str | None = None
        self._cur: _Summary | None = None

    def feed(self, number: int, text: str) -> bool:
        msg = split_prefix(number, text).message
        if msg.startswith("&&&& RUNNING"):
            m = TRTEXEC_VERSION_RE.search(text)  # each run states its own version (TRT 7 states none)
            self.version = decode_trt_version(m.group("v")) if m else None
        cur = self._cur
        if msg == _PERF_HEAD:
            self._cur = _Summary(style="8", version=self.version)
            self.summaries.append(self._cur)
            return True
        if msg == "Host Latency":
            self._cur = _Summary(style="7", version=self.version, block="Host Latency")
            self.summaries.append(self._cur)
            return True
        if cur is None:
            return False
        if msg.startswith("&&&&") or (msg.startswith("=== ") and msg.endswith(" ===")):
            self._cur = None
            return False
        if cur.style == "8":
            self._feed8(cur, msg)
            return True
        return self._feed7(cur, msg)

    def _feed8(self, cur: _Summary, msg: str) -> None:
        m = _THROUGHPUT.match(msg)
        if m is not None:
            cur.throughput = float(m.group("v"))
            return
        m = _STATS_LINE.match(msg)
        if m is not None:
            targets = {"Latency": cur.latency, "GPU Compute Time": cur.gpu, "Enqueue Time": cur.enqueue}
            target = targets.get(m.group("key"))
            if target is not None:
                for s in _STAT.finditer(m.group("stats")):
                    key = _pct_key(s.group("pc")) if s.group("pc") else s.group("k")
                    target[key] = float(s.group("v"))
            return
        m = _TOTAL_GPU.match(msg)
        if m is not None:
            cur.total_gpu_s = float(m.group("v"))
            return
        m = _COV.search(msg)
        if m is not None:
            cur.cov = float(m.group("v"))

    def _feed7(self, cur: _Summary, msg: str) -> bool:
        m = _SEVEN_BLOCK.match(msg)
        if m is not None:
            cur.block = m.group("b")
            return True
        target = {"Host Latency": cur.latency, "GPU Compute": cur.gpu, "Enqueue Time": cur.enqueue}.get(cur.block)
        m = _SEVEN_STAT.match(msg)
        if m is not None and target is not None:
            target[m.group("k")] = float(m.group("v"))
            return True
        m = _SEVEN_PCT.match(msg)
        if m is not None and target is not None:
            target[_pct_key(m.group("pc"))] = float(m.group("v"))
            return True
        m = _SEVEN_THROUGHPUT.match(msg)
        if m is not None:
            cur.throughput = float(m.group("v"))
            return True
        m = _SEVEN_TOTAL.match(msg)
        if m is not None:
            cur.total_gpu_s = float(m.group("v"))
            self._cur = None  # the last line of a TRT 7 summary
            return False
        if msg.startswith("walltime:"):
            return True
        self._cur = None
        return False


def _perf_format(s: _Summary) -> str:
    if s.style == "7":
        return "perf-7"
    if s.version is not None:
        major, minor = (int(x) for x in s.version.split(".")[:2])
        return "perf-86" if (major, minor) >= (8, 6) else "perf-80"
    # without a version: 8.6 changed the default to three percentiles (90, 95, 99)
    pcts = [k for k in {**s.latency, **s.gpu} if k.startswith("p")]
    return "perf-86" if len(set(pcts)) > 1 or s.cov is not None else "perf-80"


def _perf_from_trex(doc: dict[str, Any], source: str) -> PerfSummary | None:
    """TREx's ``performance_summary``: stat lists are ``[min, max, mean, median, percentiles..]``,
    one percentile (99) with 5 values (TRT 8.4) and 90/95/99 with 7 values (8.6+)."""
    perf = doc.get("performance_summary")
    if not isinstance(perf, dict):
        return None

    def stats(key: str) -> dict[str, float]:
        values = perf.get(key)
        if not isinstance(values, list) or len(values) < 4:
            return {}
        names = ["min", "max", "mean", "median"]
        extra = len(values) - 4
        names += ["p99"] if extra == 1 else ["p90", "p95", "p99"][:extra] if extra <= 3 else []
        return {k: float(v) for k, v in zip(names, values[: len(names)], strict=True) if _float(v) is not None}

    return PerfSummary(
        source=source,
        format="trex-metadata",
        throughput_qps=_float(perf.get("Throughput")),
        latency_ms=stats("Latency"),
        gpu_compute_ms=stats("GPU Compute Time"),
        enqueue_ms=stats("Enqueue Time"),
        total_gpu_compute_s=_float(perf.get("Total GPU Compute Time")),
        unstable_cov_percent=None,
    )


def read_perf_summaries(path: str | os.PathLike[str]) -> list[PerfSummary]:
    """Every performance summary in a log (one per trtexec run), or the one in TREx metadata JSON."""
    p = Path(path)
    head = read_head(p, 65536)
    if looks_binary(head):
        raise InputError(f"{p} is a binary file, not a trtexec log")
    if looks_json(head):
        values = load_json_values(p)
        found = [_perf_from_trex(v, str(p)) for v in values if isinstance(v, dict)]
        return [s for s in found if s is not None]
    parser = _PerfParser()
    scan_marked_lines(p, (b"Performance summary", b"Host Latency", b"&&&& RUNNING"), parser.feed)
    out: list[PerfSummary] = []
    for s in parser.summaries:
        if s.throughput is None and not s.latency and not s.gpu:
            continue
        out.append(
            PerfSummary(
                source=str(p),
                format=_perf_format(s),
                throughput_qps=s.throughput,
                latency_ms=dict(s.latency),
                gpu_compute_ms=dict(s.gpu),
                enqueue_ms=dict(s.enqueue),
                total_gpu_compute_s=s.total_gpu_s,
                unstable_cov_percent=s.cov,
            )
        )
    return out


def read_perf_summary(path: str | os.PathLike[str]) -> PerfSummary | None:
    """The last performance summary of a log (the run the log ends with); None when it has none.

    InputError only when the file cannot be read as text (missing, empty, binary).
    """
    summaries = read_perf_summaries(path)
    return summaries[-1] if summaries else None


# --- --exportTimes --------------------------------------------------------------------------------------


def _median(sorted_values: Sequence[float]) -> float:
    n = len(sorted_values)
    m = n // 2
    return sorted_values[m] if n % 2 else (sorted_values[m - 1] + sorted_values[m]) / 2


def _percentile(sorted_values: Sequence[float], pct: float) -> float:
    """trtexec's ``findPercentile``: ``exclude = int((1 - pct / 100) * n)`` evaluated in 32-bit
    float, as in C++ (for n = 200 that is 1, where Python doubles would give 2)."""
    n = len(sorted_values)
    one, hundred = np.float32(1), np.float32(100)
    exclude = int((one - np.float32(pct) / hundred) * np.float32(n))
    return sorted_values[max(n - 1 - exclude, 0)]


def _stats(values: list[float], prefix: str = "") -> dict[str, float]:
    values = sorted(v for v in values if not math.isnan(v))
    if not values:
        return {}
    return {
        f"{prefix}mean": sum(values) / len(values),
        f"{prefix}median": _median(values),
        f"{prefix}min": values[0],
        f"{prefix}max": values[-1],
        f"{prefix}p99": _percentile(values, 99),
    }


def read_times(path: str | os.PathLike[str]) -> InferenceTimes:
    """Statistics of a ``--exportTimes`` JSON trace (the last array when there are several).

    InputError (one line) when the file is not such a trace.
    """
    p = Path(path)
    head = read_head(p, 65536)
    if looks_binary(head) or not looks_json(head):
        raise InputError(f"{p} is not a trtexec --exportTimes JSON file")
    values = load_json_values(p)
    runs = [v for v in values if isinstance(v, list) and any(isinstance(r, dict) and "latencyMs" in r for r in v)]
    if not runs:
        raise InputError(f"{p} is JSON but not a trtexec --exportTimes trace (no \"latencyMs\" records)")
    records = [r for r in runs[-1] if isinstance(r, dict)]
    latency = [f for f in (_float(r.get("latencyMs")) for r in records) if f is not None]
    compute = [f for f in (_float(r.get("computeMs")) for r in records) if f is not None]
    stats = {**_stats(latency), **_stats(compute, "compute_")}
    return InferenceTimes(source=str(p), count=len(records), latency_ms=stats)
