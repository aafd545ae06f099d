"""The transformer path of the comparison on the project's engine fixtures (fixtures/make_engines.py):
an implicit-INT8 Myelin case, an INT8-only case and an explicit Q/DQ case, each against FP16."""

from __future__ import annotations

import json

import pytest

import trtdiag
from trtdiag.comparison import load_artifacts, summarize_engine
from trtdiag.onnx.graph import load_graph

from .conftest import FIXTURES, LOGS, MODELS

ENGINES = FIXTURES / "engines"
EXPECTED = json.loads((ENGINES / "EXPECTED.json").read_text())
MODEL = MODELS / "xlmr_tiny_ts_op17.onnx"
PAIRS = [(p["fp16"], p["int8"]) for p in EXPECTED["pairs"]]


@pytest.mark.parametrize("engine", ["fp16", "int8_implicit", "int8_only", "int8_qdq"])
def test_layer_mapping_and_precision_match_the_fixture_truth(engine: str) -> None:
    want = EXPECTED[engine]
    model = MODELS / want["model"] if want.get("model") else MODEL
    summary, _ = summarize_engine(load_artifacts([ENGINES / engine], engine.upper()), load_graph(model), None)
    assert len(summary.layers) == want["layer_count"]
    for got, exp in zip(summary.layers, want["layers"], strict=True):
        assert got.name == exp["name"]
        assert (got.kind, got.precision, got.output_precision) == (exp["kind"], exp["precision"],
                                                                    exp["output_precision"]), got.name
        assert list(got.nodes) == exp["nodes"], got.name
        assert got.average_ms == pytest.approx(exp["average_ms"])
    assert summary.reformat_ms == pytest.approx(want["reformat_ms"], abs=1e-6)
    assert summary.profile_total_ms == pytest.approx(want["sum_average_ms"], rel=1e-6)


@pytest.mark.parametrize(("fp16", "int8"), PAIRS)
@pytest.mark.parametrize("with_model", [True, False])
def test_pairs(fp16: str, int8: str, with_model: bool) -> None:
    want = next(p for p in EXPECTED["pairs"] if (p["fp16"], p["int8"]) == (fp16, int8))
    model = MODEL if with_model else None
    c = trtdiag.compare(ENGINES / fp16, ENGINES / int8, model=model, shapes="input_ids:16x128,attention_mask:16x128"
                        if with_model else None)
    assert c.speedup == pytest.approx(want["speedup"], abs=1e-4)
    ids = [f.id for f in c.findings]
    assert sorted(ids) == sorted(want["findings"])
    assert not set(ids) & set(want["not_findings"])
    if with_model:
        assert c.alignment == "onnx-nodes"
        assert c.fp16.node_coverage and c.fp16.node_coverage > 0.8


def test_implicit_int8_node_table_and_blocks() -> None:
    c = trtdiag.compare(ENGINES / "fp16", ENGINES / "int8_implicit", model=MODEL,
                        shapes="input_ids:16x128,attention_mask:16x128")
    q = next(u for u in c.units if u.unit == "/encoder/layer.0/attention/self/query/MatMul")
    assert (q.fp16_precision, q.int8_precision, q.block) == ("FP16", "FP16", "block 0")
    pooler = next(u for u in c.units if u.unit == "/pooler/dense/Gemm")
    assert pooler.int8_precision == "INT8"
    assert c.int8.int8_mac_share is not None and c.int8.int8_mac_share < 0.01  # only the pooler GEMM is INT8
    # attribution: the Myelin region's time is shared by MACs, so the node times add up to the layer time
    region = next(r for r in c.int8.layers if r.kind == "myelin")
    shares = sum(u.int8_ms or 0 for u in c.units if u.int8_layer == region.name)
    assert shares == pytest.approx(region.average_ms)
    assert [b.block for b in c.blocks][:3] == ["outside blocks", "block 0", "block 1"]
    slow = next(f for f in c.findings if f.id == "int8-slower-than-fp16")
    assert any("reformat" in n for n in slow.evidence.notes)


def test_qdq_engine_runs_gemms_in_int8() -> None:
    from trtdiag.testing import assert_int8_faster, assert_layers_in_precision

    c = trtdiag.compare(ENGINES / "fp16", ENGINES / "int8_qdq", model=MODEL,
                        shapes="input_ids:16x128,attention_mask:16x128")
    assert_int8_faster(c, min_speedup=1.2)
    assert_layers_in_precision(c, r"attention/self/(query|key|value)/MatMul", "int8")
    assert c.int8.int8_mac_share and c.int8.int8_mac_share > 0.9


def test_failing_comparison_helpers_explain() -> None:
    from trtdiag.testing import assert_int8_coverage, assert_int8_faster, assert_layers_in_precision

    c = trtdiag.compare(ENGINES / "fp16", ENGINES / "int8_implicit", model=MODEL)
    with pytest.raises(AssertionError) as info:
        assert_int8_faster(c, min_speedup=1.2)
    assert "INT8 engine speed-up is 0.95x" in str(info.value) and "[int8-slower-than-fp16]" in str(info.value)
    with pytest.raises(AssertionError) as info:
        assert_layers_in_precision(c, r"/encoder/layer\.0/.*MatMul", "int8")
    assert "are not INT8" in str(info.value) and "FP16" in str(info.value)
    with pytest.raises(AssertionError, match="INT8 covers"):
        assert_int8_coverage(c, min_mac_share=0.9)


def test_analyze_adds_the_comparison_to_its_report(tmp_path) -> None:
    a = trtdiag.analyze(LOGS / "xlmr_int8_fp16_pyapi_calibrator.log", MODEL,
                        fp16_layers=ENGINES / "fp16" / "layers.json", fp16_profile=ENGINES / "fp16" / "profile.json",
                        int8_layers=ENGINES / "int8_implicit" / "layers.json",
                        int8_profile=ENGINES / "int8_implicit" / "profile.json")
    assert a.comparison is not None and a.comparison.alignment == "onnx-nodes"
    doc = a.to_dict()
    assert doc["comparison"]["schema"] == "trtdiag.comparison/1"
    html = a.to_html()
    assert 'id="comparison"' in html and "<svg" in html
    assert not a.layers_df().empty and not a.nodes_df().empty and not a.blocks_df().empty


@pytest.mark.parametrize(("fp16", "int8"), PAIRS)
def test_comparison_documents_validate_and_are_deterministic(fp16: str, int8: str) -> None:
    pytest.importorskip("jsonschema")
    from trtdiag.documents.schemas import validate

    runs = [trtdiag.compare(ENGINES / fp16, ENGINES / int8, model=MODEL) for _ in range(2)]
    docs = [r.to_json(timestamp=False) for r in runs]
    assert docs[0] == docs[1]
    assert runs[0].to_html(timestamp=False) == runs[1].to_html(timestamp=False)
    assert runs[0].to_csv() == runs[1].to_csv()
    validate(json.loads(docs[0]))
    assert "generated_at" not in json.loads(docs[0]) and "generated_at" in json.loads(runs[0].to_json())
