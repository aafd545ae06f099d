"""``unquantized-gemm-share`` (info): the GEMM/Conv MACs with no Q/DQ at all, per block and sub-module, so the
user sees what stays FP16 in the explicit build."""

from __future__ import annotations

from trtdiag.findings import Finding, Severity
from trtdiag.lint.grid import FLOAT, build_grid, gemm_state
from trtdiag.lint.rules.base import LintContext, LintRule, finding


def check(ctx: LintContext, rule: LintRule) -> list[Finding]:
    gemms = [g.name for g in ctx.view.gemm_nodes() if gemm_state(ctx.view, g) == FLOAT]
    if not gemms:
        return []
    grid = build_grid(ctx.view, ctx.compute)
    notes = []
    for c in grid.cells:
        if not c.unquantized:
            continue
        share = f", {c.unquantized_share:.1%} of GEMM MACs" if c.unquantized_share is not None else ""
        notes.append(f"{c.row} / {c.column}: {c.unquantized} of {len(c.gemms)} GEMM/Conv without Q/DQ{share}")
    title = rule.title if ctx.view.has_qdq else "No Q/DQ nodes: every GEMM/Conv stays FP16/FP32 in an explicit build"
    return [finding(rule, ctx, nodes=gemms, gemms=gemms, notes=notes, title=title)]


RULE = LintRule(
    id="unquantized-gemm-share",
    severity=Severity.INFO,
    title="GEMM/Conv layers without any Q/DQ (they run FP16/FP32)",
    explanation="With explicit quantization TensorRT uses INT8 only where Q/DQ nodes are; these GEMM/Conv layers have "
                "none on either input, so they run in FP16 (or FP32). Leaving sensitive layers (embeddings, pooler, "
                "classifier head) in float is often intended; large shares in the encoder usually are not.",
    fix="If these layers should run INT8, quantize them (ModelOpt's ONNX PTQ; --nodes_to_exclude keeps chosen ones "
        "in float); otherwise nothing to do.",
    facts=("explicit-mode", "quantize-weighted-inputs"),
    check=check,
)
