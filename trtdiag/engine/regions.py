"""Where the INT8 engine spends its extra time: regions of layers that compute the same ONNX nodes.

Per-node rows split a fused region's time across its nodes, so a Myelin region that is 40 µs slower shows
up as many nodes a few µs slower each, and reformat layers (which compute no node) not at all. Here every
layer of both engines is joined to the layers of the other engine that share an ONNX node (connected
components), so each region's Δ is the real difference for the same work; reformat and surviving Q/DQ
layers, which belong to no node, are one row each.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from trtdiag.engine.mapping import LayerKind

if TYPE_CHECKING:
    from trtdiag.engine.summary import EngineSummary, LayerRow

NOISE_MS = 5e-5  # below 0.05 µs a difference is rounding in the profiles
_NODELESS = {LayerKind.REFORMAT: "reformat layers", LayerKind.QDQ: "unfused Q/DQ layers"}


@dataclass(frozen=True)
class Region:
    """Layers of both engines that compute the same nodes (or one kind of node-less layer), with times."""

    label: str
    kind: str  # "fused region", "layer", "reformat layers", "unfused Q/DQ layers"
    fp16_layers: tuple[str, ...]
    int8_layers: tuple[str, ...]
    fp16_precisions: tuple[str, ...]
    int8_precisions: tuple[str, ...]
    fp16_ms: float
    int8_ms: float

    @property
    def delta_ms(self) -> float:
        return self.int8_ms - self.fp16_ms


def _components(rows: list[tuple[int, LayerRow]]) -> list[list[tuple[int, LayerRow]]]:
    """Union-find over the layers of both engines (side 0 FP16, 1 INT8), joined by shared ONNX nodes."""
    parent = list(range(len(rows)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    owner: dict[str, int] = {}
    for i, (_side, r) in enumerate(rows):
        for n in r.nodes:
            j = owner.setdefault(n, i)
            parent[find(i)] = find(j)
    groups: dict[int, list[tuple[int, LayerRow]]] = {}
    for i, row in enumerate(rows):
        groups.setdefault(find(i), []).append(row)
    return list(groups.values())


def _region(group: list[tuple[int, LayerRow]]) -> Region:
    fp16 = [r for side, r in group if side == 0]
    int8 = [r for side, r in group if side == 1]
    names = [r.name for r in int8 or fp16]
    fused = len(fp16) > 1 or len(int8) > 1 or any(r.kind == LayerKind.MYELIN for _s, r in group)
    label = names[0] if len(names) == 1 else f"{names[0]} (+{len(names) - 1} layers)"
    return Region(label, "fused region" if fused else "layer", tuple(r.name for r in fp16),
                  tuple(r.name for r in int8), tuple(sorted({r.precision or "?" for r in fp16})),
                  tuple(sorted({r.precision or "?" for r in int8})),
                  sum(r.average_ms or 0 for r in fp16), sum(r.average_ms or 0 for r in int8))


def slowdown_regions(fp16: EngineSummary, int8: EngineSummary, limit: int = 15) -> list[Region]:
    """The regions where INT8 is slower than FP16, worst first (only real differences; none without times)."""
    rows = [(side, r) for side, s in enumerate((fp16, int8)) for r in s.layers if r.average_ms is not None]
    if not rows:
        return []
    with_nodes = [(side, r) for side, r in rows if r.nodes]
    regions = [_region(g) for g in _components(with_nodes)]
    for kind, label in _NODELESS.items():
        group = [(side, r) for side, r in rows if not r.nodes and r.kind == kind]
        if group:
            f16 = [r for side, r in group if side == 0]
            i8 = [r for side, r in group if side == 1]
            regions.append(Region(f"{label} ({len(i8)} in INT8, {len(f16)} in FP16)", label,
                                  tuple(r.name for r in f16), tuple(r.name for r in i8), (), (),
                                  sum(r.average_ms or 0 for r in f16), sum(r.average_ms or 0 for r in i8)))
    slower = [r for r in regions if r.delta_ms > NOISE_MS]
    return sorted(slower, key=lambda r: -r.delta_ms)[:limit]
