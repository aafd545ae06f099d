"""Groups of quantizable nodes at the granularity asked: per block, per role, per node.

A *role* is the same sub-module in every block (``attention.self.query``, the attention MatMuls in
``attention.self``, ``intermediate.dense``...), so a role group spans all blocks; that is the unit a
ModelOpt ``--nodes_to_exclude`` regex usually targets. Nodes outside the blocks (pooler, a CNN's layers)
form one group per top-level module at block granularity.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from trtdiag.onnx.graph import GraphIndex


class Granularity(str, Enum):
    BLOCK = "block"
    ROLE = "role"
    NODE = "node"


@dataclass(frozen=True)
class Group:
    """Nodes swept together; ``block`` is None when they span blocks or sit outside them."""

    label: str
    nodes: tuple[str, ...]
    block: int | None
    role: str | None


def role_of(g: GraphIndex, node: str) -> str:
    """The node's sub-module path inside its block (its node name when nothing better is known)."""
    module = g.module_of_node(node)
    if module is not None and module.submodule:
        return module.submodule
    return node


def block_of(g: GraphIndex, node: str) -> int | None:
    module = g.module_of_node(node)
    return module.block if module is not None else None


def make_groups(g: GraphIndex, nodes: list[str], granularity: Granularity) -> list[Group]:
    """Groups in first-node graph order; every node lands in exactly one group."""
    buckets: dict[str, list[str]] = {}
    for n in nodes:
        b = block_of(g, n)
        if granularity is Granularity.NODE:
            key = n
        elif granularity is Granularity.ROLE:
            key = role_of(g, n)
        else:
            key = f"block {b}" if b is not None else role_of(g, n).split(".")[0]
        buckets.setdefault(key, []).append(n)
    groups = []
    for key, members in buckets.items():
        blocks = {block_of(g, n) for n in members}
        roles = {role_of(g, n) for n in members}
        groups.append(Group(key, tuple(members), blocks.pop() if len(blocks) == 1 else None,
                            roles.pop() if len(roles) == 1 else None))
    return groups
