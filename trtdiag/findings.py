"""Findings: what every rule (build log, engines, lint) produces, and the severity scale.

A finding is plain frozen data so that the JSON document, the HTML report, the CLI verdict and the
pytest helpers all read the same object (see ``trtdiag/documents`` and ``trtdiag/testing.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Severity(str, Enum):
    """How bad a finding is. A ``str`` enum so that documents keep writing ``"error"`` etc."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    def __str__(self) -> str:
        return self.value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)

    @property
    def rank(self) -> int:
        """0 for the most severe; sorts findings worst first."""
        return _RANK[self]


_RANK = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


@dataclass(frozen=True)
class Evidence:
    """What a finding rests on: tensors, ONNX nodes and log line numbers (capped, with totals)."""

    tensors: tuple[str, ...] = ()
    nodes: tuple[str, ...] = ()
    lines: tuple[int, ...] = ()
    notes: tuple[str, ...] = ()
    total_tensors: int = 0
    total_nodes: int = 0


@dataclass(frozen=True)
class Finding:
    """One root cause: a stable rule id, how bad it is, what it rests on and what to change."""

    id: str
    severity: Severity
    title: str
    explanation: str
    evidence: Evidence
    fix: str
    commands: tuple[str, ...] = ()
    gemm_nodes: tuple[str, ...] = ()  # MatMul/Gemm/Conv nodes this cause keeps out of INT8
    mac_share: float | None = None  # their share of the model's GEMM/Conv MACs (None: unknown)

    def __post_init__(self) -> None:
        # Callers outside the rules (tests, plugins) may still pass "error"; store the enum either way
        # so that sorting by Severity.rank never meets a plain string.
        object.__setattr__(self, "severity", Severity(self.severity))

