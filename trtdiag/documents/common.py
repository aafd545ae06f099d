"""Pieces shared by every document: findings and rounding."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from trtdiag.commands import classify
from trtdiag.findings import Finding


def finding_dict(f: Finding) -> dict[str, Any]:
    d = asdict(f)
    d["evidence"] = {
        "tensors": list(f.evidence.tensors),
        "nodes": list(f.evidence.nodes),
        "lines": list(f.evidence.lines),
        "notes": list(f.evidence.notes),
        "total_tensors": f.evidence.total_tensors,
        "total_nodes": f.evidence.total_nodes,
    }
    d["commands"] = list(f.commands)
    d["command_blocks"] = [classify(c).to_dict() for c in f.commands]
    d["gemm_nodes"] = list(f.gemm_nodes)
    return d



def rounded(v: float | None) -> float | None:
    return None if v is None else round(v, 6)

