"""``trtexec --exportTimes`` JSON: one record per inference (``latencyMs``, ``computeMs``, ...).

Median and percentile follow trtexec's own definitions (``sampleReporting.cpp``), so the numbers
agree with what trtexec printed for the same trace.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from trtdiag.engine.formats.common import to_float
from trtdiag.engine.formats.layers_json import json_text
from trtdiag.engine.formats.profile_json import FIRST_RECORD_KEY
from trtdiag.engine.model import FormatId, InferenceTimes
from trtdiag.errors import InputError
from trtdiag.io.files import looks_binary, looks_json, read_head
from trtdiag.io.json_values import load_json_values

FORMAT = FormatId.TIMES_JSON


def sniff(head: bytes) -> bool:
    text = json_text(head)
    m = FIRST_RECORD_KEY.match(text) if text is not None else None
    if m is None or text is None:
        return False
    key = m.group("key")
    if key == "count" or (key == "name" and "averageMs" in text):
        return False  # a profile
    return key.endswith("Ms") or '"latencyMs"' in text


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


def read(path: str | os.PathLike[str]) -> InferenceTimes:
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
    latency = [f for f in (to_float(r.get("latencyMs")) for r in records) if f is not None]
    compute = [f for f in (to_float(r.get("computeMs")) for r in records) if f is not None]
    stats = {**_stats(latency), **_stats(compute, "compute_")}
    return InferenceTimes(source=str(p), count=len(records), latency_ms=stats)
