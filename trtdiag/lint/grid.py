"""Which GEMM/Conv nodes are quantized, per encoder block x sub-module (the transformer grid's rows and columns).

Why its own module: the ``unquantized-gemm-share`` rule, the JSON document and the HTML report all show the
same cells, and they reuse :func:`trtdiag.transformer_view.role_of` so the columns match ``analyze``'s grid.
"""

from __future__ import annotations

from dataclasses import dataclass

from trtdiag.lint.model import QdqView
from trtdiag.onnx.compute import ComputeProfile
from trtdiag.onnx.graph import NodeInfo
from trtdiag.transformer_view import COLUMNS, role_of

INT8, PARTIAL, FLOAT = "int8", "partial", "float"


@dataclass(frozen=True)
class GridCell:
    row: str
    column: str
    gemms: tuple[str, ...]
    quantized: int  # both operands dequantized
    partial: int  # one operand dequantized
    unquantized: int  # no operand dequantized
    macs: int
    int8_macs: int  # of the GEMMs with both operands dequantized
    unquantized_macs: int
    mac_share: float | None  # of the model's GEMM/Conv MACs
    unquantized_share: float | None


@dataclass(frozen=True)
class QuantGrid:
    rows: tuple[str, ...]
    columns: tuple[str, ...]
    cells: tuple[GridCell, ...]


def gemm_state(view: QdqView, g: NodeInfo) -> str:
    operands = [t for t in g.inputs[:2] if t]
    quantized = sum(1 for t in operands if view.source_dq(t) is not None)
    if quantized == 0:
        return FLOAT
    return INT8 if quantized == len(operands) else PARTIAL


def _place(view: QdqView, g: NodeInfo) -> tuple[str, str]:
    m = view.graph.module_of_node(g.name)
    row = "outside blocks" if m is None or m.block is None else f"block {m.block}"
    role = role_of(m.submodule if m else None, g.op_type)
    if role == "other" and g.name in view.graph.transformer.attention_matmuls:
        role = "attention MatMuls"
    return row, role


def build_grid(view: QdqView, compute: ComputeProfile | None) -> QuantGrid:
    groups: dict[tuple[str, str], list[tuple[NodeInfo, str]]] = {}
    for g in view.gemm_nodes():
        groups.setdefault(_place(view, g), []).append((g, gemm_state(view, g)))
    total = compute.total_macs if compute is not None else 0
    macs = compute.macs if compute is not None else {}
    cells = []
    for (row, col), items in groups.items():
        m = sum(macs.get(g.name, 0) for g, _ in items)
        um = sum(macs.get(g.name, 0) for g, s in items if s == FLOAT)
        qm = sum(macs.get(g.name, 0) for g, s in items if s == INT8)
        cells.append(GridCell(
            row=row, column=col, gemms=tuple(g.name for g, _ in items),
            quantized=sum(1 for _, s in items if s == INT8), partial=sum(1 for _, s in items if s == PARTIAL),
            unquantized=sum(1 for _, s in items if s == FLOAT), macs=m, int8_macs=qm, unquantized_macs=um,
            mac_share=m / total if total else None, unquantized_share=um / total if total else None))
    rows = sorted({c.row for c in cells}, key=_row_key)
    columns = [c for c in COLUMNS if any(x.column == c for x in cells)]
    cells.sort(key=lambda c: (rows.index(c.row), columns.index(c.column)))
    return QuantGrid(rows=tuple(rows), columns=tuple(columns), cells=tuple(cells))


def _row_key(row: str) -> tuple[int, int]:
    return (0, -1) if row == "outside blocks" else (1, int(row.split()[-1]))
