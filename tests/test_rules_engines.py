"""Every engine (FP16-vs-INT8) rule on an in-memory comparison that triggers it and on one that must not."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from trtdiag.findings import Severity
from trtdiag.rules.base import ContextKind
from trtdiag.rules.context import EngineContext
from trtdiag.rules.registry import ENGINE_RULES, rule_ids, run_comparison_rules, run_rules

from .rules_kit import encoder, engine, engine_ctx, layer

FP16 = engine("FP16", layer("attn", kind="myelin", precision="FP16", nodes=("q", "sm", "ctx"), ms=1.0))
INT8_FAST = engine("INT8", layer("attn", kind="myelin", precision="INT8", nodes=("q", "sm", "ctx"), ms=0.5))


def _slow_int8() -> EngineContext:
    """The INT8 engine is slower: an FP16 Myelin region, a reformat and an FP32 layer."""
    int8 = engine("INT8", layer("attn", kind="myelin", precision="FP16", nodes=("q", "sm", "ctx"), ms=1.0),
                  layer("reformat 1", kind="reformat", precision=None, ms=0.4),
                  layer("ln", precision="FP32", nodes=("ln",), ms=0.2))
    return engine_ctx(FP16, int8, g=encoder(), macs={"q": 1, "ctx": 1})


Case = Callable[[], EngineContext]
CASES: dict[str, tuple[Case, Case]] = {
    "int8-slower-than-fp16": (_slow_int8, lambda: engine_ctx(FP16, INT8_FAST, g=encoder())),
    "foreign-node-not-int8": (_slow_int8, lambda: engine_ctx(FP16, INT8_FAST, g=encoder())),
    "fp32-fallback-layers": (_slow_int8, lambda: engine_ctx(FP16, INT8_FAST)),
    "gemm-not-int8": (lambda: engine_ctx(FP16, engine("INT8", layer("fc", precision="FP16", nodes=("q",),
                                                                    layer_type="MatrixMultiply"))),
                      lambda: engine_ctx(FP16, INT8_FAST)),
    "reformat-overhead": (
        _slow_int8,
        lambda: engine_ctx(FP16, engine("INT8", layer("mm", ms=1.0), layer("r", kind="reformat", ms=0.05))),
    ),
    "qdq-unfused": (
        lambda: engine_ctx(FP16, engine("INT8", layer("QuantizeLinear_2", kind="qdq", precision="FP32"),
                                        layer("attn", kind="myelin", precision="INT8", nodes=("q", "sm", "ctx")))),
        lambda: engine_ctx(FP16, INT8_FAST),
    ),
}
_RULES = {r.id: r for r in ENGINE_RULES}


def test_every_engine_rule_has_a_unit_case() -> None:
    assert set(CASES) == set(rule_ids(ContextKind.ENGINE))


@pytest.mark.parametrize("rule_id", list(CASES))
def test_rule_triggers(rule_id: str) -> None:
    finding = _RULES[rule_id].check(CASES[rule_id][0]())
    assert finding is not None and finding.id == rule_id and finding.fix and finding.explanation
    assert "{" not in finding.title


@pytest.mark.parametrize("rule_id", list(CASES))
def test_rule_stays_quiet(rule_id: str) -> None:
    assert _RULES[rule_id].check(CASES[rule_id][1]()) is None


def test_slower_int8_is_decomposed_and_weighted() -> None:
    ctx = _slow_int8()
    f = _RULES["int8-slower-than-fp16"].check(ctx)
    assert f is not None
    assert f.title == ("The INT8 engine is slower than the FP16 engine (1.600 ms vs 1.000 ms, +60%, "
                       "sum of per-layer profile averages)")
    assert f.evidence.notes == ("reformat layers: 0.400 ms", "layers running in FP32: 0.200 ms",
                                "GEMM/Conv layers whose tactics are not INT8: 1.000 ms")
    assert f.gemm_nodes == ("q", "ctx") and f.mac_share == 1.0
    foreign = _RULES["foreign-node-not-int8"].check(ctx)
    assert foreign is not None and "{ForeignNode[...]}" in foreign.explanation
    assert foreign.title == "1 Myelin region(s) covering the attention/FFN GEMMs stayed FP16 in the INT8 engine"


def test_fp32_fallback_severity_and_wording() -> None:
    one = engine_ctx(FP16, engine("INT8", layer("ln", precision="FP32", ms=0.0)))
    f = _RULES["fp32-fallback-layers"].check(one)
    assert f is not None and f.severity is Severity.WARNING  # no measured time: only a warning
    assert f.title == "1 layer of the INT8 engine runs in FP32 (0.000 ms)"


def test_findings_come_worst_first_and_both_entry_points_agree() -> None:
    ctx = _slow_int8()
    ids = [f.id for f in run_rules(ctx)]
    assert ids == ["int8-slower-than-fp16", "foreign-node-not-int8", "fp32-fallback-layers", "reformat-overhead"]
    assert run_comparison_rules(ctx.comparison, ctx.graph, ctx.compute) == run_rules(ctx)
