"""trtexec's performance summary in a log.

=============  ==================================================================================
variant        what it looks like
=============  ==================================================================================
``perf-7``     TRT 7 multi-line summary: ``Host Latency`` / ``min: 3.05 ms (end to end ..)`` ...
               ``throughput: 318.785 qps``, ``Enqueue Time``, ``GPU Compute``
``perf-80``    8.0-8.5 ``=== Performance summary ===`` with one percentile
``perf-86``    8.6-10.x summary: percentiles 90/95/99 and the coefficient-of-variance warning
=============  ==================================================================================
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from trtdiag.engine.formats.dump_profile import NUM
from trtdiag.engine.formats.section import is_text
from trtdiag.engine.model import FormatId, PerfSummary
from trtdiag.errors import InputError
from trtdiag.io.prefix import split_prefix
from trtdiag.io.scan import scan_marked_lines
from trtdiag.io.versions import TRTEXEC_VERSION_RE, decode_trt_version

FORMAT = FormatId.PERF_SUMMARY

_PERF_HEAD = "=== Performance summary ==="
_STATS_LINE = re.compile(
    r"^(?P<key>Latency|End-to-End Host Latency|Enqueue Time|H2D Latency|GPU Compute Time|D2H Latency): (?P<stats>.*)$"
)
_STAT = re.compile(rf"(?P<k>min|max|mean|median|percentile\((?P<pc>[\d.]+)%\)) = (?P<v>{NUM}) ms")
_THROUGHPUT = re.compile(rf"^Throughput: (?P<v>{NUM}) qps")
_TOTAL_GPU = re.compile(rf"^Total GPU Compute Time: (?P<v>{NUM}) s")
_COV = re.compile(rf"coefficient of variance = (?P<v>{NUM})%")
_SEVEN_BLOCK = re.compile(r"^(?P<b>Host Latency|Enqueue Time|GPU Compute)$")
_SEVEN_STAT = re.compile(rf"^(?P<k>min|max|mean|median): (?P<v>{NUM}) ms")
_SEVEN_PCT = re.compile(rf"^percentile: (?P<v>{NUM}) ms at (?P<pc>[\d.]+)%")
_SEVEN_THROUGHPUT = re.compile(rf"^throughput: (?P<v>{NUM}) qps")
_SEVEN_TOTAL = re.compile(rf"^total compute time: (?P<v>{NUM}) s")


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


class PerfSummaryConsumer:
    """Line consumer collecting every performance summary of a log (7.x multi-line blocks and 8.x+
    summaries)."""

    keywords: tuple[bytes, ...] = (b"Performance summary", b"Host Latency", b"GPU Compute", b"Enqueue Time",
                                   b"&&&& RUNNING")

    def __init__(self, source: str) -> None:
        self.source = source
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
        if msg == "Host Latency" or (cur is None and _SEVEN_BLOCK.match(msg)):
            # TRT 7 summaries start with "Host Latency"; an excerpt may start at any of its blocks
            self._cur = _Summary(style="7", version=self.version, block=msg)
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
        if not msg:  # a blank line inside a pasted summary does not end it
            return True
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


    def finish(self) -> list[PerfSummary]:
        """Every summary that has numbers, in log order."""
        return [
            PerfSummary(
                source=self.source,
                format=_perf_format(s),
                throughput_qps=s.throughput,
                latency_ms=dict(s.latency),
                gpu_compute_ms=dict(s.gpu),
                enqueue_ms=dict(s.enqueue),
                total_gpu_compute_s=s.total_gpu_s,
                unstable_cov_percent=s.cov,
            )
            for s in self.summaries
            if s.throughput is not None or s.latency or s.gpu
        ]


def _perf_format(s: _Summary) -> str:
    if s.style == "7":
        return "perf-7"
    if s.version is not None:
        major, minor = (int(x) for x in s.version.split(".")[:2])
        return "perf-86" if (major, minor) >= (8, 6) else "perf-80"
    # without a version: 8.6 changed the default to three percentiles (90, 95, 99)
    pcts = [k for k in {**s.latency, **s.gpu} if k.startswith("p")]
    return "perf-86" if len(set(pcts)) > 1 or s.cov is not None else "perf-80"


def sniff(head: bytes) -> bool:
    return is_text(head)


def read_all(path: str | os.PathLike[str]) -> list[PerfSummary]:
    """Every performance summary of a log (one per trtexec run)."""
    p = Path(path)
    consumer = PerfSummaryConsumer(str(p))
    scan_marked_lines(p, consumer.keywords, consumer.feed)
    return consumer.finish()


def read(path: str | os.PathLike[str]) -> PerfSummary:
    """The last performance summary of a log (the run it ends with); InputError when there is none."""
    found = read_all(path)
    if not found:
        raise InputError(f"no trtexec performance summary found in {path}")
    return found[-1]
