"""The verdict's cost headline says whether the INT8-blocked share is measured (engine layer precisions) or
inferred (warnings and model): an estimate must never read like a measurement."""

from __future__ import annotations

from dataclasses import replace

from trtdiag.analysis import _cost_headline, analyze
from trtdiag.analysis_data import MEASURED_RULE_IDS
from trtdiag.findings import Evidence, Finding

from .conftest import LOGS, MODELS


def _engine_finding(nodes: tuple[str, ...]) -> Finding:
    return Finding("gemm-not-int8", "error", "GEMMs ran in FP16", "layer precisions", Evidence(), "fix",
                   gemm_nodes=nodes)


def test_warnings_and_model_alone_give_an_inferred_share() -> None:
    a = analyze(LOGS / "xlmr_int8_only_trtexec.log", MODELS / "xlmr_tiny_ts_op17.onnx")
    assert a.int8_blocked_basis == "inferred"
    assert a.verdict.headline.startswith("An estimated ") and "inferred" in a.verdict.headline
    assert a.to_dict()["compute"]["int8_blocked_basis"] == "inferred"
    assert "(inferred)" in a.summary_line()


def test_engine_precisions_give_a_measured_share_and_both_a_mixed_one() -> None:
    a = analyze(LOGS / "xlmr_int8_only_trtexec.log", MODELS / "xlmr_tiny_ts_op17.onnx")
    blocked = tuple(a.blocked_gemms)
    assert "gemm-not-int8" in MEASURED_RULE_IDS and len(blocked) > 2
    measured = replace(a, findings=(_engine_finding(blocked),))
    assert measured.int8_blocked_basis == "measured"
    mixed = replace(a, findings=(_engine_finding(blocked[:1]), *a.findings))
    assert mixed.int8_blocked_basis == "mixed"
    assert replace(a, findings=()).int8_blocked_basis is None


def test_headline_words() -> None:
    assert "measured from its layer precisions" in _cost_headline(0.5, "measured")
    assert _cost_headline(0.5, "measured").startswith("50% ")
    assert _cost_headline(0.25, "inferred").startswith("An estimated 25% ")
    assert "partly measured" in _cost_headline(0.5, "mixed")
