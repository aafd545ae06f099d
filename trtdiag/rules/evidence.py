"""Shaping what rules found into :class:`~trtdiag.findings.Evidence` and short phrases of their text."""

from __future__ import annotations

from collections.abc import Sequence

from trtdiag.findings import Evidence
from trtdiag.naming import MappedTensor, MappedTensors

MAX_EVIDENCE = 25  # names kept per list; the totals say how many there were


def evidence(
    tensors: Sequence[MappedTensor] | None = None,
    nodes: list[str] | None = None,
    lines: list[int] | None = None,
    notes: list[str] | None = None,
) -> Evidence:
    """Evidence from warned tensors, ONNX nodes (deduplicated, in order) and log lines (sorted)."""
    tensors = tensors or []
    node_list = list(dict.fromkeys(nodes or []))
    line_list = sorted(set(lines or []))
    return Evidence(
        tensors=tuple(t.tensor for t in tensors[:MAX_EVIDENCE]),
        nodes=tuple(node_list[:MAX_EVIDENCE]),
        lines=tuple(line_list[:MAX_EVIDENCE]),
        notes=tuple(notes or ()),
        total_tensors=len(tensors),
        total_nodes=len(node_list),
    )


def pct(share: float | None) -> str:
    return "an unknown share" if share is None else f"{share * 100:.0f}%"


def ms(v: float) -> str:
    return f"{v:.3f} ms"


def ms_or_na(values: list[float | None]) -> str:
    """Summed time of some layers, or ``n/a`` when none of them was timed: an engine read without a
    per-layer profile has no layer times, and ``0.000 ms`` would claim they cost nothing."""
    timed = [v for v in values if v is not None]
    return ms(sum(timed)) if timed else "n/a"


def first_lines(tensors: Sequence[MappedTensor]) -> list[int]:
    """The first lines evidence can show of these tensors. Warned tensors come in order of first appearance
    (a subsequence of the log's): the first :data:`MAX_EVIDENCE` of them hold the smallest first lines,
    which are what :func:`evidence` keeps, so a million tensors need not be read for it."""
    return [t.first_line for t in tensors[:MAX_EVIDENCE]]


def blocks_phrase(tensors: Sequence[MappedTensor]) -> str:
    """`` in block 1`` / `` in blocks 0, 2`` / `` in 12 blocks (0-11)``; empty outside the blocks."""
    items = tensors.distinct_mappings() if isinstance(tensors, MappedTensors) else tensors
    blocks = sorted({t.block for t in items if t.block is not None})
    if not blocks:
        return ""
    if len(blocks) > 8:
        return f" in {len(blocks)} blocks ({blocks[0]}-{blocks[-1]})"
    return " in block" + ("s " if len(blocks) > 1 else " ") + ", ".join(map(str, blocks))
