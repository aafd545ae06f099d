"""Each lint rule fires exactly once, on the seeded node, on its fixture model; the clean ModelOpt-style
placements give nothing of warning or worse (fixtures/make_qdq_models.py writes them)."""

from __future__ import annotations

import json

import pytest

from trtdiag.findings import Severity
from trtdiag.lint.registry import RULE_BY_ID, RULES
from trtdiag.lint.run import lint_model
from trtdiag.lint.testing import assert_qdq_placement_clean

from .conftest import MODELS

QDQ = MODELS / "qdq"
MANIFEST = json.loads((QDQ / "MANIFEST.json").read_text())
SEEDS = sorted(MANIFEST["seeds"].items())


@pytest.mark.parametrize(("name", "seed"), SEEDS, ids=[n for n, _ in SEEDS])
def test_seeded_model_triggers_its_rule_once_on_the_seeded_node(name: str, seed: dict[str, str]) -> None:
    result = lint_model(QDQ / name)
    hits = result.by_id(seed["rule"])
    assert len(hits) == 1, [f.title for f in hits]
    assert seed["node"] in hits[0].evidence.nodes or any(seed["node"] in n for n in hits[0].evidence.nodes)
    others = [f.id for f in result.findings if f.id != seed["rule"]]
    assert others == [], f"{name} should trigger only {seed['rule']}, also got {others}"


def test_every_rule_but_the_calibrator_one_has_a_seeded_fixture() -> None:
    seeded = {s["rule"] for _, s in SEEDS}
    assert seeded == {r.id for r in RULES} - {"calibrator-on-qdq"}


@pytest.mark.parametrize("name", MANIFEST["clean"])
def test_clean_modelopt_style_placement_gives_nothing_of_warning_or_worse(name: str) -> None:
    result = assert_qdq_placement_clean(QDQ / name)
    assert result.at_least(Severity.WARNING) == []
    assert result.qdq_nodes > 0


def test_calibrator_rule_fires_only_with_the_flag_and_qdq_nodes() -> None:
    assert lint_model(QDQ / "clean_transformer.onnx").by_id("calibrator-on-qdq") == []
    hits = lint_model(QDQ / "clean_transformer.onnx", calibrator_used=True).by_id("calibrator-on-qdq")
    assert len(hits) == 1 and hits[0].severity == Severity.INFO
    assert all(n.endswith("_QuantizeLinear") for n in hits[0].evidence.nodes)
    assert lint_model(MODELS / "xlmr_tiny_ts_op17.onnx", calibrator_used=True).by_id("calibrator-on-qdq") == []


def test_severities_and_ids_are_stable() -> None:
    expected = {
        "qdq-nonzero-zero-point": "error", "qdq-per-tensor-weights": "warning", "gemm-input-not-quantized": "warning",
        "qdq-residual-add": "warning", "dq-feeds-non-int8-op": "warning", "qdq-scale-mismatch": "warning",
        "qdq-orphan": "warning", "unquantized-gemm-share": "info", "calibrator-on-qdq": "info",
    }
    assert {r.id: r.severity.value for r in RULES} == expected
    for r in RULES:
        assert r.facts and r.explanation and r.fix and RULE_BY_ID[r.id] is r


def test_findings_carry_mac_share_and_commands() -> None:
    f = lint_model(QDQ / "seed_nonzero_zero_point.onnx").by_id("qdq-nonzero-zero-point")[0]
    assert f.gemm_nodes == ("/encoder/layer.0/output/dense/MatMul",)
    assert f.mac_share == pytest.approx(2 / 9)  # FFN down: 8x32x16 of 9 equal-sized GEMM units
    assert any("ActivationSymmetric" in c for c in f.commands)
    assert any("modelopt.onnx.quantization" in c for c in f.commands)


def test_existing_qdq_fixture_per_tensor_weights_and_unquantized_pooler() -> None:
    result = lint_model(MODELS / "xlmr_tiny_ts_op17_qdq.onnx")
    assert sorted(f.id for f in result.findings) == ["fp16-overflow-constant", "qdq-per-tensor-weights",
                                                     "unquantized-gemm-share"]  # the finfo.min mask
    weights = result.by_id("qdq-per-tensor-weights")[0]
    assert len(weights.gemm_nodes) == 12  # the 12 Linear MatMuls; the 4 attention MatMuls have no weights
    assert result.by_id("unquantized-gemm-share")[0].evidence.nodes == ("/pooler/dense/Gemm",)


def test_onnxruntime_default_quantizer_output_is_rejected_for_its_zero_points() -> None:
    path = QDQ / "ort_default_qdq.onnx"
    if not path.exists():
        pytest.skip("ort_* fixtures are written only when onnxruntime is installed")
    result = lint_model(path)
    assert [f.id for f in result.at_least(Severity.ERROR)] == ["qdq-nonzero-zero-point"]
    sym = lint_model(QDQ / "ort_symmetric_qdq.onnx")
    assert sym.by_id("qdq-nonzero-zero-point") == [] and sym.by_id("qdq-per-tensor-weights") == []


def test_assert_helper_names_the_finding_and_honours_allow() -> None:
    with pytest.raises(AssertionError) as exc:
        assert_qdq_placement_clean(QDQ / "seed_per_tensor_weights.onnx")
    text = str(exc.value)
    assert "[qdq-per-tensor-weights]" in text and "/encoder/layer.0/attention/self/key/MatMul" in text
    assert "fix:" in text and "trtdiag lint" in text
    assert_qdq_placement_clean(QDQ / "seed_per_tensor_weights.onnx", allow=["qdq-per-tensor-weights"])
    with pytest.raises(AssertionError):
        assert_qdq_placement_clean(QDQ / "seed_unquantized_gemm.onnx", severity="info")
