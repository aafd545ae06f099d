"""Every lint rule, in report order (most severe causes first)."""

from __future__ import annotations

from trtdiag.lint.rules import (
    calibrator,
    dq_float,
    gemm_inputs,
    orphan,
    per_tensor_weights,
    residual_add,
    scale_mismatch,
    unquantized_share,
    zero_point,
)
from trtdiag.lint.rules.base import LintRule

RULES: tuple[LintRule, ...] = (
    zero_point.RULE,
    per_tensor_weights.RULE,
    gemm_inputs.RULE,
    residual_add.RULE,
    dq_float.RULE,
    scale_mismatch.RULE,
    orphan.RULE,
    unquantized_share.RULE,
    calibrator.RULE,
)
RULE_BY_ID = {r.id: r for r in RULES}


def markdown_table() -> str:
    """The README's lint rule table (a test keeps the two equal)."""
    rows = ["| lint rule id | severity | what it means |", "|---|---|---|"]
    rows.extend(f"| `{r.id}` | {r.severity.value} | {r.title} |" for r in RULES)
    return "\n".join(rows) + "\n"
