"""Which nodes ``trtdiag fix`` keeps out of INT8: the top-k groups of a sensitivity ranking.

The ranking comes from a sweep run inside ``fix`` or from a saved ``trtdiag.sensitivity/1`` document
(``--from-sensitivity``), read here into the same frozen form. ``--max-error`` picks the smallest k on the
greedy curve whose measured error is within it; excluding every group is never chosen (that model has no
INT8 left), so an unreachable bound keeps the largest partial k and the accuracy check then fails.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trtdiag.errors import InputError
from trtdiag.sensitivity.commands import recommended_exclusion
from trtdiag.sensitivity.ranges import RangeCheck
from trtdiag.sensitivity.sweep import SweepResult

SENSITIVITY_SCHEMA = "trtdiag.sensitivity/1"


@dataclass(frozen=True)
class RankedGroup:
    label: str
    nodes: tuple[str, ...]


@dataclass(frozen=True)
class Sensitivity:
    """A ranking (most sensitive first), its curve as (k, error) and the recommended k."""

    ranking: tuple[RankedGroup, ...]
    curve: tuple[tuple[int, float], ...]
    recommended: int
    source: str  # "sweep" or the document's path
    granularity: str


@dataclass(frozen=True)
class Selection:
    k: int  # top groups excluded
    groups: tuple[str, ...]
    nodes: tuple[str, ...]  # the top-k groups' nodes plus the readers of out-of-range tensors
    predicted_error: float | None  # the curve's error at k, when the curve has that point
    reason: str


def from_sweep(result: SweepResult, granularity: str) -> Sensitivity:
    ranking = tuple(RankedGroup(r.group.label, r.group.nodes) for r in result.ranking)
    curve = tuple((p.excluded, p.score.error) for p in result.curve)
    return Sensitivity(ranking, curve, recommended_exclusion(result), "sweep", granularity)


def _field(doc: dict[str, Any], name: str, kind: type, path: Path) -> Any:
    value = doc.get(name)
    if not isinstance(value, kind):
        raise InputError(f"{path}: field {name!r} is missing or not a {kind.__name__} (a trtdiag.sensitivity/1 "
                         "document from `trtdiag sensitivity --json`?)")
    return value


def from_document(path: str | Path, known_nodes: Sequence[str]) -> Sensitivity:
    """A saved sensitivity document; its nodes must exist in the model being fixed."""
    p = Path(path)
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise InputError(f"cannot read {p} as a trtdiag.sensitivity/1 JSON document: {exc}") from exc
    if not isinstance(doc, dict) or doc.get("schema") != SENSITIVITY_SCHEMA:
        raise InputError(f"{p} is not a {SENSITIVITY_SCHEMA} document (write one with trtdiag sensitivity --json)")
    try:
        ranking = tuple(RankedGroup(str(r["label"]), tuple(str(n) for n in r["nodes"]))
                        for r in _field(doc, "ranking", list, p))
        curve = tuple((int(c["excluded"]), float(c["error"])) for c in _field(doc, "curve", list, p))
        recommended = int(_field(doc, "recommended", dict, p).get("excluded_groups", 0))
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"{p}: a ranking or curve entry is malformed ({exc})") from exc
    known = set(known_nodes)
    stale = [n for r in ranking for n in r.nodes if n not in known]
    if stale:
        raise InputError(f"{p} names node {stale[0]!r} that the model lacks ({len(stale)} in all): it was made "
                         "for another model")
    return Sensitivity(ranking, curve, recommended, str(p), str(doc.get("granularity", "?")))


def _smallest_within(sens: Sensitivity, max_error: float) -> tuple[int, str]:
    partial = [(k, e) for k, e in sens.curve if k < len(sens.ranking)]
    for k, e in sorted(partial):
        if math.isfinite(e) and e <= max_error:
            return k, f"--max-error {max_error:g}: the smallest k on the curve within it"
    k = max((k for k, _ in partial), default=0)
    return k, (f"--max-error {max_error:g}: no point of the curve short of excluding everything is within it; "
               f"kept the largest partial exclusion (top {k})")


def choose(sens: Sensitivity, ranges: RangeCheck, exclude_top: int | None, max_error: float | None) -> Selection:
    """The exclusion: ``--exclude-top K``, ``--max-error E``, or the sensitivity's recommendation."""
    if exclude_top is not None:
        if exclude_top > len(sens.ranking):
            raise InputError(f"--exclude-top {exclude_top}, but the sensitivity ranks only {len(sens.ranking)} "
                             "group(s)")
        k, reason = exclude_top, f"--exclude-top {exclude_top}"
    elif max_error is not None:
        k, reason = _smallest_within(sens, max_error)
    else:
        k, reason = sens.recommended, "the sensitivity's recommendation (most of the all-INT8 error removed)"
    nodes: dict[str, None] = dict.fromkeys(ranges.excluded_nodes)
    for r in sens.ranking[:k]:
        nodes.update(dict.fromkeys(r.nodes))
    predicted = dict(sens.curve).get(k)
    return Selection(k, tuple(r.label for r in sens.ranking[:k]), tuple(nodes), predicted, reason)
