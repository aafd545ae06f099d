"""Per-layer timings and whole-engine performance numbers written by trtexec: the public entry
points over :mod:`trtdiag.engine.formats` (``profile_json``, ``dump_profile``, ``perf_summary``,
``trex_metadata``, ``times_json``).

Why: an FP16-vs-INT8 comparison has to say where the time goes (per layer) and what the engine
achieved overall, from whatever the user saved. When a log or file holds several tables or
summaries (one per run), the **last** one is returned: that is the run the log ends with.
"""

from __future__ import annotations

import os
from pathlib import Path

from trtdiag.engine.formats import dump_profile, perf_summary, profile_json, times_json, trex_metadata
from trtdiag.engine.model import EngineProfile, InferenceTimes, PerfSummary
from trtdiag.errors import InputError
from trtdiag.io.files import looks_binary, looks_json, read_head
from trtdiag.io.json_values import load_json_values


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
        return profile_json.profile_from_json(values, str(p))
    return dump_profile.read(p)


def read_perf_summaries(path: str | os.PathLike[str]) -> list[PerfSummary]:
    """Every performance summary in a log (one per trtexec run), or the one in TREx metadata JSON."""
    p = Path(path)
    head = read_head(p, 65536)
    if looks_binary(head):
        raise InputError(f"{p} is a binary file, not a trtexec log")
    if looks_json(head):
        return trex_metadata.read_all(p)
    return perf_summary.read_all(p)


def read_perf_summary(path: str | os.PathLike[str]) -> PerfSummary | None:
    """The last performance summary of a log (the run the log ends with); None when it has none.

    InputError only when the file cannot be read as text (missing, empty, binary).
    """
    summaries = read_perf_summaries(path)
    return summaries[-1] if summaries else None


def read_times(path: str | os.PathLike[str]) -> InferenceTimes:
    """Statistics of a ``--exportTimes`` JSON trace (the last array when there are several)."""
    return times_json.read(path)
