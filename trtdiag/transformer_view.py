"""The transformer view: a block x sub-module grid of what lacked INT8 scales and what it costs.

Sub-modules are named differently by every model family (HF BERT ``attention.self.query``, BART
``self_attn.q_proj``, GPT-2 ``attn.c_attn``); :func:`role_of` folds them into one set of columns.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from trtdiag.naming import ACTIVATION, GRAPH_INPUT, MappedTensor
from trtdiag.onnx.compute import ComputeProfile
from trtdiag.onnx.graph import GraphIndex

COLUMNS = (
    "embeddings", "Q", "K", "V", "attention MatMuls", "Softmax", "attention output", "attention LayerNorm",
    "FFN up", "FFN down", "output LayerNorm", "pooler", "other",
)
_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("embeddings", re.compile(r"^(?:embeddings|embed|wte|wpe|word_embeddings|position_embeddings)")),
    ("pooler", re.compile(r"^pooler")),
    ("attention LayerNorm", re.compile(r"attention\.output\.layernorm|self_attn_layer_norm|^ln_1|norm1$|"
                                       r"input_layernorm")),
    ("output LayerNorm", re.compile(r"^output\.layernorm|final_layer_norm|^ln_2|norm2$|post_attention_layernorm")),
    ("Q", re.compile(r"(?:^|\.)(?:query|q_proj|q|to_q)(?:\.|$)")),
    ("K", re.compile(r"(?:^|\.)(?:key|k_proj|k|to_k)(?:\.|$)")),
    ("V", re.compile(r"(?:^|\.)(?:value|v_proj|v|to_v)(?:\.|$)")),
    ("attention output", re.compile(r"attention\.output|out_proj|o_proj|attn\.c_proj|attention\.dense")),
    ("FFN up", re.compile(r"intermediate|fc1|up_proj|gate_proj|c_fc|mlp\.dense_h_to_4h")),
    ("FFN down", re.compile(r"^output(?:\.dense)?$|^output\.|fc2|down_proj|mlp\.c_proj|dense_4h_to_h")),
)
_ATTENTION_CORE = re.compile(r"attention\.self$|^attention$|self_attn$|^attn$|attention\.self\.")


def role_of(submodule: str | None, op_type: str | None) -> str:
    """The grid column of a node or tensor, from its sub-module path and op type."""
    s = (submodule or "").lower()
    for name, pattern in _RULES:
        if pattern.search(s):
            return name
    if _ATTENTION_CORE.search(s):
        return "Softmax" if op_type == "Softmax" else "attention MatMuls"
    if op_type == "Softmax":
        return "Softmax"
    return "other"


class CellState(str, Enum):
    """What lacked scales in a cell, worst first. A ``str`` enum: the report's CSS classes are its values."""

    ACTIVATION = "activation"  # activations lack scales: GEMMs there fall back
    WEIGHT = "weight"  # only weights/constants (or their broadcasts) lack scales
    INTEGER = "integer"  # only integer tensors were warned: harmless
    NONE = "none"  # nothing warned

    def __str__(self) -> str:
        return self.value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)


@dataclass(frozen=True)
class Cell:
    row: str
    column: str
    warned: int
    warned_activations: int
    tensors: tuple[str, ...]
    gemm_macs: int
    mac_share: float | None  # of the whole model
    blocked_share: float | None  # share of the model's MACs in this cell that findings keep out of INT8
    state: CellState


@dataclass(frozen=True)
class TransformerGrid:
    rows: tuple[str, ...]
    columns: tuple[str, ...]
    cells: tuple[Cell, ...]
    unplaced: tuple[str, ...] = ()  # warned tensors with neither block nor sub-module: in no cell ("unknown")

    def cell(self, row: str, column: str) -> Cell | None:
        for c in self.cells:
            if c.row == row and c.column == column:
                return c
        return None


def _row(block: int | None) -> str:
    return "outside blocks" if block is None else f"block {block}"


def _place(tensors: Sequence[MappedTensor], node_cell: dict[str, tuple[str, str]]
           ) -> tuple[dict[tuple[str, str], list[MappedTensor]], list[str]]:
    """Warned tensors per cell, and the tensors with neither block nor sub-module (in no cell)."""
    warned: dict[tuple[str, str], list[MappedTensor]] = {}
    unplaced: list[str] = []
    for t in tensors:
        if t.block is None and t.submodule is None:
            unplaced.append(t.tensor)
            continue
        key = (_row(t.block), role_of(t.submodule, t.op_type))
        if key[1] == "other" and t.onnx_node in node_cell:
            key = node_cell[t.onnx_node]
        warned.setdefault(key, []).append(t)
    return warned, unplaced


def build_grid(graph: GraphIndex, tensors: Sequence[MappedTensor], compute: ComputeProfile | None,
               blocked_gemms: set[str]) -> TransformerGrid | None:
    """Grid for a transformer model; None when the model has no encoder blocks."""
    if not graph.transformer.is_transformer:
        return None
    node_cell: dict[str, tuple[str, str]] = {}
    attention_matmuls = set(graph.transformer.attention_matmuls)
    for n in graph.nodes:
        m = graph.module_of_node(n.name)
        if m is None:
            continue
        role = role_of(m.submodule, n.op_type)
        if role == "other" and n.name in attention_matmuls:
            role = "attention MatMuls"  # found by topology where names and metadata say nothing
        node_cell[n.name] = (_row(m.block), role)
    macs: dict[tuple[str, str], int] = {}
    blocked: dict[tuple[str, str], int] = {}
    if compute is not None:
        for name, value in compute.macs.items():
            key = node_cell.get(name)
            if key is None:
                continue
            macs[key] = macs.get(key, 0) + value
            if name in blocked_gemms:
                blocked[key] = blocked.get(key, 0) + value
    warned, unplaced = _place(tensors, node_cell)
    keys = set(macs) | set(warned)
    blocks = sorted({m.block for m in graph.modules.values() if m.block is not None})
    rows = ["outside blocks", *(f"block {b}" for b in blocks)] if keys else []
    used_columns = [c for c in COLUMNS if any(k[1] == c for k in keys)]
    total = compute.total_macs if compute is not None else 0
    cells = []
    for key in sorted(keys, key=lambda k: (rows.index(k[0]) if k[0] in rows else 0, COLUMNS.index(k[1]))):
        ts = warned.get(key, [])
        acts = [t for t in ts if t.cls in (ACTIVATION, GRAPH_INPUT) and not t.is_integer]
        if acts:
            state = CellState.ACTIVATION
        elif any(t.weight_path for t in ts):
            state = CellState.WEIGHT
        elif ts:
            state = CellState.INTEGER
        else:
            state = CellState.NONE
        cells.append(Cell(
            row=key[0], column=key[1], warned=len(ts), warned_activations=len(acts),
            tensors=tuple(t.tensor for t in ts),
            gemm_macs=macs.get(key, 0),
            mac_share=(macs.get(key, 0) / total) if total else None,
            blocked_share=(blocked.get(key, 0) / total) if total else None,
            state=state,
        ))
    return TransformerGrid(rows=tuple(rows), columns=tuple(used_columns), cells=tuple(cells),
                           unplaced=tuple(unplaced))
