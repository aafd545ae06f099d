"""``analyze`` reads the engine printed in its build log: the INT8-engine rules, the engine_layers section,
and a verdict never milder than a comparison finding of the same report (in-memory and hand-written logs)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from trtdiag.analysis import analyze
from trtdiag.findings import Severity
from trtdiag.rules.context import EngineContext
from trtdiag.rules.engines import gemm_not_int8
from trtdiag.rules.registry import INT8_ENGINE_RULES, run_int8_engine_rules

from .conftest import artifact
from .rules_kit import compute, encoder, engine, layer

VARIANTS = Path(__file__).parent / "engine_variants"
SWIN_INT8 = VARIANTS / "swin_int8_trt82.log"
SWIN_FP16 = VARIANTS / "swin_fp16_trt82.log"


def test_gemm_not_int8_weighs_the_mac_share_with_a_model() -> None:
    g = encoder()
    q_node = next(n.name for n in g.nodes if n.op_type in ("MatMul", "Gemm"))
    int8 = engine("INT8", layer("fc", precision="FP16", nodes=(q_node,), ms=None))
    ctx = EngineContext.int8_only(int8, g, compute({q_node: 90, "other": 10}))
    f = gemm_not_int8.RULE.check(ctx)
    assert f is not None and f.severity is Severity.ERROR and f.mac_share == pytest.approx(0.9)
    assert "90%" in f.explanation and "layer time: n/a" in f.explanation and "0.000" not in f.explanation
    small = EngineContext.int8_only(int8, g, compute({q_node: 1, "other": 99}))
    f = gemm_not_int8.RULE.check(small)
    assert f is not None and f.severity is Severity.WARNING


def test_gemm_not_int8_without_a_model_reads_types_and_names() -> None:
    int8 = engine("INT8", layer("Conv_0 + Relu_1", precision="FP16", layer_type=None),
                  layer("PWN(Conv_0_out, Relu)", precision="FP16", layer_type=None),
                  layer("Gemm_9", precision="INT8", layer_type="CaskGemmConvolution"))
    f = gemm_not_int8.RULE.check(EngineContext.int8_only(int8))
    assert f is not None and f.title == "1 GEMM/Conv layer of the INT8 engine ran in FP16"
    assert f.severity is Severity.WARNING and f.mac_share is None


def test_int8_engine_rules_run_without_a_comparison() -> None:
    int8 = engine("INT8", layer("{ForeignNode[a...b]}", kind="myelin", precision="FP16", ms=None),
                  layer("ln", precision="FP32", ms=None))
    ids = [f.id for f in run_int8_engine_rules(int8, None, None)]
    assert ids == ["foreign-node-not-int8", "fp32-fallback-layers"]
    ctx = EngineContext.int8_only(int8)
    with pytest.raises(ValueError):
        _ = ctx.pair
    assert {r.id for r in INT8_ENGINE_RULES} == {"foreign-node-not-int8", "fp32-fallback-layers", "gemm-not-int8"}


def test_analyze_alone_judges_the_layer_listing_in_the_log(tmp_path: Path) -> None:
    a = analyze(SWIN_INT8)
    assert a.verdict.severity == "error"
    # No Int8 layer at all (the log's view) and the Myelin region in FP16 (the engine's view): both errors
    assert [f.id for f in a.findings][:2] == ["int8-requested-not-used", "foreign-node-not-int8"]
    assert "gemm-not-int8" in {f.id for f in a.findings}
    assert a.failures("error") == ["error int8-requested-not-used", "error foreign-node-not-int8"]
    doc = a.to_dict(timestamp=False)
    e = doc["engine_layers"]
    assert e["layers"] == 6 and e["by_precision"] == {"FP16": 4} and e["timed"] is False
    assert e["gemm_by_precision"] == {"FP16": 3}
    assert all(r["average_ms"] is None for r in e["gemm_layers"])
    html = a.to_html(timestamp=False)
    assert 'id="engine-layers"' in html and "0.000 ms" not in html
    assert "0.000 ms" not in json.dumps(doc)


def test_an_fp16_build_log_is_shown_but_not_judged() -> None:
    a = analyze(SWIN_FP16)
    assert a.verdict.severity == "ok" and not a.findings
    assert a.to_dict(timestamp=False)["engine_layers"]["by_precision"] == {"FP16": 4}


def test_the_verdict_is_never_milder_than_the_comparison() -> None:
    a = analyze(SWIN_INT8, fp16_layers=SWIN_FP16)
    assert a.comparison is not None and a.comparison.findings
    worst = min(f.severity.rank for f in a.comparison.findings)
    assert Severity(a.verdict.severity).rank <= worst
    assert set(a.failures("error")) >= {f"{f.severity} {f.id}" for f in a.comparison.findings
                                         if f.severity is Severity.ERROR}
    assert "foreign-node-not-int8" in {f.id for f in a.verdict_findings}


def test_corpus_swin_int8_is_an_error_from_analyze_alone(corpus_logs: Path) -> None:
    if not list(corpus_logs.glob("083_*.log")):
        pytest.skip("corpus artifact 083 (Swin-T INT8, TensorRT 8.2) is not in this copy of the corpus")
    a = analyze(artifact(corpus_logs, "083"))
    assert a.verdict.severity == "error"
    assert {"foreign-node-not-int8", "gemm-not-int8"} & {f.id for f in a.findings}


def test_a_mask_cast_to_float_is_not_an_fp32_fallback() -> None:
    mask = replace(layer("PWN(/Cast, /Sub)", precision="FP32", ms=None), integer_inputs=True)
    assert run_int8_engine_rules(engine("INT8", mask), None, None) == ()
    fallback = layer("ln", precision="FP32", ms=None)
    found = run_int8_engine_rules(engine("INT8", mask, fallback), None, None)
    assert [f.id for f in found] == ["fp32-fallback-layers"]
    assert found[0].title == "1 layer of the INT8 engine runs in FP32 (no per-layer profile)"


def test_gemm_not_int8_leaves_explicitly_quantized_engines_alone() -> None:
    fc = layer("/pooler/dense/Gemm", precision="FP16", layer_type="MatrixMultiply", ms=None)
    for qdq in (layer("__myl_TranReshQuan_myl0_5", kind="myelin", precision="INT8", ms=None),
                layer("x_QuantizeLinear", kind="qdq", precision="INT8", ms=None)):
        assert gemm_not_int8.RULE.check(EngineContext.int8_only(engine("INT8", qdq, fc))) is None
    assert gemm_not_int8.RULE.check(EngineContext.int8_only(engine("INT8", fc))) is not None
