"""Every rule, in the order it runs, and the entry points the pipelines call.

Adding a rule: write one module under ``trtdiag/rules/builds/`` (or ``engines/``) that defines ``RULE``, and
list it below. The README's rule table is generated from these lists (:func:`markdown_table`; a test keeps
the two equal).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, overload

from trtdiag.findings import Finding
from trtdiag.onnx.compute import ComputeProfile
from trtdiag.onnx.graph import GraphIndex
from trtdiag.rules import base
from trtdiag.rules.base import ContextKind, Rule, Scope
from trtdiag.rules.builds import (
    activations_missing_scales,
    benign_warnings_only,
    build_failed,
    calibration_profile,
    calibration_range_overflow,
    calibrator_on_qdq,
    fp16_overflow_constant,
    implicit_int8_deprecated,
    implicit_int8_transformer,
    int8_requested_not_used,
    int8_without_fp16,
    integer_inputs,
    model_log_mismatch,
    no_calibration,
    plugin_without_int8,
    stale_calibration_cache,
    trt11_implicit_int8_removed,
)
from trtdiag.rules.context import BuildContext, EngineContext
from trtdiag.rules.engines import (
    foreign_node_not_int8,
    fp32_fallback_layers,
    gemm_not_int8,
    int8_slower_than_fp16,
    qdq_unfused,
    reformat_overhead,
)

if TYPE_CHECKING:
    from trtdiag.engine.comparison_data import ComparisonData as Comparison
    from trtdiag.engine.summary import EngineSummary

#: Build-log rules, most fundamental first (findings of equal severity keep this order).
BUILD_RULES: tuple[Rule[BuildContext], ...] = (
    build_failed.RULE,
    model_log_mismatch.RULE,
    trt11_implicit_int8_removed.RULE,
    int8_without_fp16.RULE,
    implicit_int8_transformer.RULE,
    int8_requested_not_used.RULE,
    stale_calibration_cache.RULE,
    calibration_range_overflow.RULE,
    activations_missing_scales.RULE,
    no_calibration.RULE,
    calibration_profile.RULE,
    plugin_without_int8.RULE,
    fp16_overflow_constant.RULE,
    implicit_int8_deprecated.RULE,
    benign_warnings_only.RULE,
    integer_inputs.RULE,
    calibrator_on_qdq.RULE,
)

#: Engine (FP16-vs-INT8 comparison) rules.
ENGINE_RULES: tuple[Rule[EngineContext], ...] = (
    int8_slower_than_fp16.RULE,
    foreign_node_not_int8.RULE,
    fp32_fallback_layers.RULE,
    gemm_not_int8.RULE,
    reformat_overhead.RULE,
    qdq_unfused.RULE,
)

#: Engine rules that judge the INT8 engine alone (``ctx.int8``, never ``ctx.pair``): ``analyze`` runs them
#: on the layer listing printed in the build log, without an FP16 engine.
INT8_ENGINE_RULES: tuple[Rule[EngineContext], ...] = (
    foreign_node_not_int8.RULE,
    fp32_fallback_layers.RULE,
    gemm_not_int8.RULE,
)

ALL_RULES: tuple[Rule[Any], ...] = (*BUILD_RULES, *ENGINE_RULES)
_BY_KIND: dict[ContextKind, tuple[Rule[Any], ...]] = {ContextKind.BUILD: BUILD_RULES, ContextKind.ENGINE: ENGINE_RULES}


def rules_for(kind: ContextKind) -> tuple[Rule[Any], ...]:
    return _BY_KIND[kind]


@overload
def run_rules(ctx: BuildContext, rules: Sequence[Rule[BuildContext]] | None = None) -> tuple[Finding, ...]: ...
@overload
def run_rules(ctx: EngineContext, rules: Sequence[Rule[EngineContext]] | None = None) -> tuple[Finding, ...]: ...
def run_rules(ctx: Any, rules: Sequence[Rule[Any]] | None = None) -> tuple[Finding, ...]:
    """Run the rules of the context's kind (or ``rules``): worst severity first, then in list order."""
    return base.run(ctx, rules if rules is not None else rules_for(ctx.KIND))


def run_comparison_rules(c: Comparison, graph: GraphIndex | None, compute: ComputeProfile | None
                         ) -> tuple[Finding, ...]:
    """The engine rules on a comparison (the call :func:`trtdiag.comparison.compare` makes)."""
    return run_rules(EngineContext(c, graph, compute))


def run_int8_engine_rules(int8: EngineSummary, graph: GraphIndex | None, compute: ComputeProfile | None
                          ) -> tuple[Finding, ...]:
    """The rules that need only the INT8 engine, on an engine read without its FP16 counterpart."""
    return run_rules(EngineContext.int8_only(int8, graph, compute), INT8_ENGINE_RULES)


def rule_ids(kind: ContextKind | None = None) -> list[str]:
    """Stable ids of every rule (or of one kind), in run order."""
    return [r.id for r in (ALL_RULES if kind is None else rules_for(kind))]


def markdown_table() -> str:
    """The README's rule table: one row per rule, engine rules marked "(comparison)", rules silent on explicitly
    quantized (Q/DQ) builds marked "(implicit INT8 only)"."""
    rows = ["| rule id | what it means |", "|---|---|"]
    for r in ALL_RULES:
        prefix = ("(engine layers) " if r in INT8_ENGINE_RULES else
                  "(comparison) " if r.kind is ContextKind.ENGINE else "")
        prefix = "(comparison) " if r.kind is ContextKind.ENGINE else ""
        prefix += "(implicit INT8 only) " if r.scope is Scope.IMPLICIT_ONLY else ""
        rows.append(f"| `{r.id}` | {prefix}{r.summary} |")
    return "\n".join(rows) + "\n"
