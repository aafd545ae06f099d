"""TREx ``*.metadata.json`` (build/profile/device metadata written by TensorRT Engine Explorer).

Only its ``performance_summary`` is read: stat lists ``[min, max, mean, median, percentiles..]``,
one percentile (99) with 5 values (TRT 8.4) and 90/95/99 with 7 values (8.6+).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from trtdiag.engine.formats.common import to_float
from trtdiag.engine.formats.layers_json import json_text
from trtdiag.engine.formats.layers_json import sniff as sniff_layers_json
from trtdiag.engine.formats.profile_json import FIRST_RECORD_KEY
from trtdiag.engine.formats.profile_json import sniff as sniff_profile_json
from trtdiag.engine.formats.times_json import sniff as sniff_times_json
from trtdiag.engine.model import FormatId, PerfSummary
from trtdiag.errors import InputError
from trtdiag.io.json_values import load_json_values

FORMAT = FormatId.TREX_METADATA

_TREX_METADATA_KEYS = ("performance_summary", "inference_options", "device_information", "model_options",
                       "build_options")


def sniff(head: bytes) -> bool:
    text = json_text(head)
    if text is None or sniff_layers_json(head) or sniff_profile_json(head) or sniff_times_json(head):
        return False
    if text.startswith("{"):
        return any(f'"{k}"' in text for k in _TREX_METADATA_KEYS)
    m = FIRST_RECORD_KEY.match(text)
    return m is not None and m.group("key") in ("Name", "ComputeCapability") and "ComputeCapability" in text


def perf_from_trex(doc: dict[str, Any], source: str) -> PerfSummary | None:
    """The performance summary of one metadata document, None when it has none."""
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
        return {k: float(v) for k, v in zip(names, values[: len(names)], strict=True) if to_float(v) is not None}

    return PerfSummary(
        source=source,
        format="trex-metadata",
        throughput_qps=to_float(perf.get("Throughput")),
        latency_ms=stats("Latency"),
        gpu_compute_ms=stats("GPU Compute Time"),
        enqueue_ms=stats("Enqueue Time"),
        total_gpu_compute_s=to_float(perf.get("Total GPU Compute Time")),
        unstable_cov_percent=None,
    )


def read_all(path: str | os.PathLike[str]) -> list[PerfSummary]:
    """Every performance summary of the JSON values in a metadata file."""
    p = Path(path)
    found = [perf_from_trex(v, str(p)) for v in load_json_values(p) if isinstance(v, dict)]
    return [s for s in found if s is not None]


def read(path: str | os.PathLike[str]) -> PerfSummary:
    """The (last) performance summary of a metadata file; InputError when it has none."""
    found = read_all(path)
    if not found:
        raise InputError(f"{path} is TREx metadata without a performance_summary")
    return found[-1]
