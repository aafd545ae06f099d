"""Check a replay against what a verbose parse log registered (the log is the ground truth).

Per replayed node, the layer names the replay predicts must equal, in order, the ``Registering
layer:`` lines of that node's parse block, and every ``Registering tensor:`` line must be among the
predicted tensor names (the parser does not log the names it gives to weights and ``tmp_weight``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from trtdiag.parser_replay.replay import LAYER, TENSOR, ReplayResult

_PARSING = re.compile(r"Parsing node: (?P<name>.+) \[[A-Za-z0-9_]+\]\s*$")
_LAYER = re.compile(r"Registering layer: (?P<name>.+?) (?:for ONNX node: |required by ONNX-TRT)")
_TENSOR = re.compile(r"Registering tensor: (?P<name>\S+) for ONNX tensor: ")


@dataclass(frozen=True)
class Mismatch:
    node: str
    expected: tuple[str, ...]  # logged
    predicted: tuple[str, ...]


def logged_registrations(lines: Iterable[str]) -> dict[str, tuple[list[str], list[str]]]:
    """node -> (layer names, tensor names) registered in its parse block (first parse only)."""
    out: dict[str, tuple[list[str], list[str]]] = {}
    cur: str | None = None
    for line in lines:
        if m := _PARSING.search(line):
            if m.group("name") in out:
                break
            cur = m.group("name")
            out[cur] = ([], [])
        elif cur is not None and (m := _LAYER.search(line)):
            out[cur][0].append(m.group("name"))
        elif cur is not None and (m := _TENSOR.search(line)):
            out[cur][1].append(m.group("name"))
    return out


def compare(result: ReplayResult, lines: Iterable[str]) -> tuple[int, tuple[Mismatch, ...]]:
    """(nodes checked, mismatches) of the replayed nodes against the log's registrations."""
    logged = logged_registrations(lines)
    by_node: dict[str, tuple[list[str], list[str]]] = {}
    for r in result.registrations:
        if r.node is not None:
            layers, tensors = by_node.setdefault(r.node, ([], []))
            (layers if r.space == LAYER else tensors).append(r.name)
    bad: list[Mismatch] = []
    for node, (layers, tensors) in by_node.items():
        log_layers, log_tensors = logged.get(node, ([], []))
        if layers != log_layers:
            bad.append(Mismatch(node, tuple(log_layers), tuple(layers)))
        elif any(t not in tensors for t in log_tensors):
            bad.append(Mismatch(node, tuple(log_tensors), tuple(tensors)))
    return len(by_node), tuple(bad)


__all__ = ["LAYER", "TENSOR", "Mismatch", "compare", "logged_registrations"]
