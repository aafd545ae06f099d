"""``trtexec --exportProfile`` JSON: ``[{"count": N}, {"name", "timeMs", "averageMs", ["medianMs",]
"percentage"}, ...]`` (``medianMs`` from about 8.4 on). A wrapper that appends runs leaves several
arrays back to back in one file; the last run is the one returned.
"""

from __future__ import annotations

import os
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from trtdiag.engine.formats.common import settle_profiles, split_profile, to_float
from trtdiag.engine.formats.layers_json import json_text
from trtdiag.engine.model import EngineProfile, FormatId, LayerTiming
from trtdiag.errors import InputError
from trtdiag.io.json_values import load_json_values

FORMAT = FormatId.PROFILE_JSON

FIRST_RECORD_KEY = re.compile(r"\[\s*\{\s*\"(?P<key>[^\"]+)\"")


def sniff(head: bytes) -> bool:
    text = json_text(head)
    m = FIRST_RECORD_KEY.match(text) if text is not None else None
    if m is None or text is None:
        return False
    return m.group("key") == "count" or (m.group("key") == "name" and "averageMs" in text)


def _record(rec: dict[str, Any]) -> LayerTiming | None:
    average = to_float(rec.get("averageMs"))
    if average is None:
        return None
    name, profile = split_profile(str(rec["name"]))
    return LayerTiming(name=name, profile=profile, time_ms=to_float(rec.get("timeMs")), average_ms=average,
                       median_ms=to_float(rec.get("medianMs")), percentage=to_float(rec.get("percentage")))


def _run(run: list[Any]) -> tuple[int | None, list[LayerTiming], int]:
    iterations: int | None = None
    layers: list[LayerTiming] = []
    dropped = 0
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
        timing = _record(rec)
        if timing is not None:
            layers.append(timing)
        elif "averageMs" in rec:
            dropped += 1
    return iterations, layers, dropped


def profile_from_json(values: list[Any], source: str) -> EngineProfile:
    runs = [v for v in values if isinstance(v, list)]
    parsed = [_run(run) for run in runs]
    parsed = [(it, layers, d) for it, layers, d in parsed if layers or it is not None or d]
    if not parsed:
        raise InputError(f"{source} is JSON but not a per-layer profile (expected trtexec --exportProfile output)")
    iterations, layers, dropped = parsed[-1]
    return EngineProfile(
        source=source,
        format="profile-json",
        iterations=iterations,
        runs=len(parsed),
        layers=tuple(settle_profiles(layers)),
        total_ms=sum(layer.average_ms for layer in layers) if layers else None,
        dropped_timings=dropped,
    )


def read(path: str | os.PathLike[str]) -> EngineProfile:
    """Per-layer timings of the last run in an ``--exportProfile`` file."""
    p = Path(path)
    values = load_json_values(p)
    profile = profile_from_json(values, str(p))
    return replace(profile, read_note=values.cut) if values.cut else profile
