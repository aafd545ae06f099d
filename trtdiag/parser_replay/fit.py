"""Fit the helper numbers a log shows onto the replay's predicted broadcasts with ONE offset.

The offset stands for counter bumps the replay could not see (what came before its first node; 0
when it replayed the whole graph from the start). Every observed number must land on a predicted
broadcast under the same offset, and exactly one offset may do so; otherwise nothing is attributed
and the reason says why. A lone unsuffixed ``ONNXTRT_Broadcast`` is the parser's first broadcast
and maps to the replay's first one only when the replay started at the graph's first node.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from trtdiag.parser_replay.replay import BROADCAST_BASE, PredictedBroadcast, ReplayResult

_HELPER = re.compile(r"^ONNXTRT_Broadcast(?:_(?P<n>\d+))?(?:_output(?:_\d+)?)?$")


@dataclass(frozen=True)
class BroadcastFit:
    """The outcome of fitting observed helper numbers onto one replay."""

    offset: int | None  # None: no attribution
    observed: tuple[int | None, ...]  # N of every ONNXTRT_Broadcast_N seen (None: the unsuffixed one)
    fitted: int  # how many of them landed on a predicted broadcast
    attribution: dict[str, PredictedBroadcast]  # TensorRT layer name -> predicted broadcast
    reason: str  # the fit, or why there is none
    parser: str  # the parser model (version range) assumed
    complete: bool = False  # the replay reached the end of the graph

    @property
    def ok(self) -> bool:
        return self.offset is not None


def helper_number(name: str) -> tuple[bool, int | None]:
    """(is a broadcast helper, its N) for a layer or tensor name such as ``ONNXTRT_Broadcast_7_output``."""
    m = _HELPER.match(name)
    if m is None:
        return False, None
    return True, int(m.group("n")) if m.group("n") else None


def _layer(n: int | None) -> str:
    return BROADCAST_BASE if n is None else f"{BROADCAST_BASE}_{n}"


def observed_numbers(names: Iterable[str]) -> tuple[int | None, ...]:
    seen: dict[int | None, None] = {}
    for name in names:
        ok, n = helper_number(name)
        if ok:
            seen.setdefault(n, None)
    return tuple(seen)


def fit_offsets(observed: tuple[int | None, ...], result: ReplayResult) -> BroadcastFit:
    """Find the single offset; require every observed number to fit and the offset to be unique."""
    parser = result.model.label
    numbered = sorted(n for n in observed if n is not None)
    predicted = {b.number: b for b in result.broadcasts}
    pred_numbers = sorted(n for n in predicted if n is not None)
    if not observed:
        return BroadcastFit(None, observed, 0, {}, "no ONNXTRT_Broadcast helper in the log", parser)
    if None in observed and None not in predicted:
        return BroadcastFit(None, observed, 0, {}, "the unsuffixed ONNXTRT_Broadcast is not among the "
                            "replayed broadcasts", parser)
    candidates = sorted({n - p for n in numbered[:1] for p in pred_numbers} if numbered else {0})
    fits = [off for off in candidates if off >= 0 and all(n - off in predicted for n in numbered)]
    stop = "" if result.complete else f"; the replay stopped at {result.stop_reason}"
    if not fits:
        why = (f"no single offset maps all {len(observed)} observed ONNXTRT_Broadcast numbers onto the "
               f"{len(result.broadcasts)} predicted broadcasts{stop}")
        return BroadcastFit(None, observed, 0, {}, why, parser)
    if len(fits) > 1:
        why = f"ambiguous: offsets {', '.join(map(str, fits[:5]))} all fit the observed numbers{stop}"
        return BroadcastFit(None, observed, 0, {}, why, parser)
    off = fits[0]
    attribution = {_layer(n): predicted[n if n is None else n - off] for n in observed}
    why = (f"counter replay ({parser}): offset {off}, {len(observed)} of {len(observed)} observed "
           f"ONNXTRT_Broadcast numbers fit, replayed {result.nodes_replayed}/{result.nodes_total} nodes")
    if off != 0:
        why += "; a non-zero offset means registrations the replay did not model"
    return BroadcastFit(off, observed, len(observed), attribution, why, parser, result.complete)
