"""The transformer grid of a sensitivity run: blocks x sub-modules, each cell the error of its nodes' group.

Rows and columns are those of ``analyze``'s and ``lint``'s grids (:func:`trtdiag.transformer_view.role_of`,
the attention MatMuls found by :class:`trtdiag.onnx.graph.GraphIndex`), so the three pages line up. A cell's
value is the error with only its group in INT8 (the worst group when the cell holds nodes of several, at node
granularity): at block granularity a row is uniform, at role granularity a column is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from trtdiag.onnx.graph import GraphIndex
from trtdiag.sensitivity.sweep import Ranked
from trtdiag.transformer_view import COLUMNS, role_of

OUTSIDE = "outside blocks"


@dataclass(frozen=True)
class SensitivityCell:
    row: str
    column: str
    nodes: tuple[str, ...]
    error: float
    group: str  # label of the worst group in the cell


@dataclass(frozen=True)
class SensitivityGrid:
    rows: tuple[str, ...]
    columns: tuple[str, ...]
    cells: tuple[SensitivityCell, ...]
    top: float  # the largest cell error (colour scale)


def place(g: GraphIndex, node: str) -> tuple[str, str]:
    """(row, column) of a node, as the lint grid places GEMMs."""
    m = g.module_of_node(node)
    row = OUTSIDE if m is None or m.block is None else f"block {m.block}"
    info = next((n for n in g.nodes if n.name == node), None)
    column = role_of(m.submodule if m else None, info.op_type if info else None)
    if column == "other" and node in g.transformer.attention_matmuls:
        column = "attention MatMuls"
    return row, column


def _row_key(row: str) -> tuple[int, int]:
    return (0, -1) if row == OUTSIDE else (1, int(row.split()[-1]))


def build_grid(g: GraphIndex, ranking: Sequence[Ranked]) -> SensitivityGrid | None:
    """The grid, or None when no swept node sits in an encoder block (a CNN has no such grid)."""
    worst: dict[tuple[str, str], list[tuple[str, float, str]]] = {}
    for r in ranking:
        for n in r.group.nodes:
            worst.setdefault(place(g, n), []).append((n, r.only.error, r.group.label))
    if not any(row != OUTSIDE for row, _ in worst):
        return None
    cells = []
    for (row, column), items in worst.items():
        top = max(items, key=lambda x: x[1])
        cells.append(SensitivityCell(row, column, tuple(n for n, _, _ in items), top[1], top[2]))
    rows = sorted({c.row for c in cells}, key=_row_key)
    columns = [c for c in COLUMNS if any(x.column == c for x in cells)]
    cells.sort(key=lambda c: (rows.index(c.row), columns.index(c.column)))
    return SensitivityGrid(tuple(rows), tuple(columns), tuple(cells), max((c.error for c in cells), default=0.0))
