"""Explicit quantization (Q/DQ) in analyze and compare: the build's mode and its evidence, implicit-only rules
silent, calibrator-on-qdq, the lint joining the analysis, qdq-unfused and linked_lint, the lint pytest fixture."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from trtdiag.analysis import analyze
from trtdiag.comparison import compare_artifacts
from trtdiag.documents.schemas import validate
from trtdiag.engine.qdq_fusion import UnfusedKind, UnfusedLayer, unfused_layers
from trtdiag.findings import Severity
from trtdiag.lint.explicit import link_lint
from trtdiag.lint.registry import markdown_table as lint_table
from trtdiag.lint.run import lint_model
from trtdiag.log.collector import read_log
from trtdiag.rules.base import ContextKind, Scope
from trtdiag.rules.context import EngineContext
from trtdiag.rules.engines import qdq_unfused
from trtdiag.rules.quantization import Quantization, quantization_mode
from trtdiag.rules.registry import BUILD_RULES

from .conftest import ROOT, artifact, plugin_args
from .rules_kit import engine, graph, layer

FIX = ROOT / "fixtures"
QDQ_LOG = FIX / "engines" / "int8_qdq" / "build.log"
QDQ_MODEL = FIX / "models" / "xlmr_tiny_ts_op17_qdq.onnx"
IMPLICIT_ONLY = {"no-calibration", "calibration-profile", "implicit-int8-transformer", "activations-missing-scales",
                 "stale-calibration-cache", "implicit-int8-deprecated"}

QDQ_LINES = """\
[10/14/2024-10:26:40] [I] [TRT] ----------------------------------------------------------------
[10/14/2024-10:26:40] [V] [TRT] Parsing node: /enc/q/_input_quantizer/QuantizeLinear [QuantizeLinear]
[10/14/2024-10:26:40] [V] [TRT] Registering layer: /enc/q/_input_quantizer/QuantizeLinear for ONNX node: /enc/q/_input_quantizer/QuantizeLinear
[10/14/2024-10:26:40] [V] [TRT] Parsing node: /enc/q/_input_quantizer/DequantizeLinear [DequantizeLinear]
[10/14/2024-10:26:41] [V] [TRT] Running: ConstQDQInitializersFusion on /enc/q/_weight_quantizer/QuantizeLinear
[10/14/2024-10:26:41] [V] [TRT] QDQ graph optimizer - constant folding of Q/DQ initializers
[10/14/2024-10:26:41] [V] [TRT] QDQ graph optimizer forward pass - DQ motions and fusions
"""


def _log(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "build.log"
    p.write_text(text)
    return p


def test_qdq_parser_and_optimizer_lines_make_an_explicit_build(tmp_path: Path) -> None:
    facts = read_log(_log(tmp_path, "[I] Precision: FP32+INT8\n[I] Calibration: Dynamic\n" + QDQ_LINES))
    assert [e.kind for e in facts.qdq_events] == ["qdq-optimizer", "qdq-optimizer", "qdq-optimizer"]
    mode = quantization_mode(facts, None)
    assert mode.mode is Quantization.EXPLICIT
    texts = [e.text for e in mode.evidence]
    assert texts[0].startswith("2 QuantizeLinear/DequantizeLinear nodes parsed, first: Parsing node: /enc/q/")
    assert mode.evidence[0].line == 4 and any("ConstQDQInitializersFusion" in t for t in texts)


def test_modes_of_the_fixture_logs() -> None:
    implicit = quantization_mode(read_log(QDQ_LOG), None)  # nothing in this log shows Q/DQ: only the model does
    assert implicit.mode is Quantization.IMPLICIT and "give the model" in implicit.evidence[0].text
    assert quantization_mode(read_log(FIX / "engines" / "fp16" / "build.log"), None).mode is Quantization.NONE


def test_analyze_of_a_qdq_build_gives_no_calibration_advice() -> None:
    a = analyze(QDQ_LOG, QDQ_MODEL)
    doc = a.to_dict(timestamp=False)
    validate(doc)
    assert doc["build"]["quantization"] == "explicit"
    assert doc["build"]["quantization_evidence"][0] == {"source": "model", "line": None,
                                                       "text": "56 QuantizeLinear/DequantizeLinear nodes in the model"}
    ids = [f["id"] for f in doc["findings"]]
    assert not IMPLICIT_ONLY & set(ids)
    text = json.dumps(doc["findings"]) + doc["verdict"]["headline"]
    assert "accuracy is meaningless" not in text and "neither a calibrator nor" not in text
    assert "Calibrate" not in text and "calibrator run" not in text
    # the lint joins: its warnings in findings and verdict, the whole document under "lint"
    # (the TorchScript export's finfo.min mask constant is an FP16 hazard of its own, Q/DQ or not)
    assert ids == ["fp16-overflow-constant", "qdq-per-tensor-weights"] and doc["verdict"]["severity"] == "warning"
    assert doc["lint"]["schema"] == "trtdiag.lint/1" and doc["lint"]["summary"]["infos"] == 1
    assert a.int8_blocked_share == 0.0  # per-tensor weights run INT8: they block nothing


def test_without_the_model_the_same_log_stays_implicit() -> None:
    doc = analyze(QDQ_LOG).to_dict(timestamp=False)
    assert doc["build"]["quantization"] == "implicit" and doc["lint"] is None
    assert "no-calibration" in [f["id"] for f in doc["findings"]]


def test_a_calibrator_on_a_qdq_model_is_an_info_and_calibration_rules_are_silent() -> None:
    a = analyze(FIX / "logs" / "xlmr_int8_fp16_pyapi_calibrator.log", QDQ_MODEL)
    found = {f.id: f for f in a.findings}
    assert found["calibrator-on-qdq"].severity is Severity.INFO
    assert not IMPLICIT_ONLY & set(found)
    assert a.lint is not None and a.lint.by_id("calibrator-on-qdq")  # the lint was told a calibrator was used


def test_every_build_rule_writes_down_whether_it_speaks_on_explicit_builds() -> None:
    for r in BUILD_RULES:
        assert r.scope_reason, r.id
    assert {r.id for r in BUILD_RULES if r.scope is Scope.IMPLICIT_ONLY} == IMPLICIT_ONLY


def _qdq_engine(*extra):  # type: ignore[no-untyped-def]
    return engine("INT8", layer("QuantizeLinear_2", kind="qdq", precision="FP32", nodes=("QuantizeLinear_2",)),
                  layer("Reformatting CopyNode for Input Tensor 0 to conv1", kind="reformat", precision="FP32"),
                  layer("conv1", precision="INT8", nodes=("conv1",), layer_type="Convolution"),
                  layer("fc", precision="FP16", nodes=("fc",), layer_type="Gemm"), *extra)


def _ctx(int8, g=None):  # type: ignore[no-untyped-def]
    from trtdiag.comparison import Alignment, Comparison

    c = Comparison(fp16=engine("FP16"), int8=int8, alignment=Alignment.LAYER_NAMES, units=(), blocks=())
    return EngineContext(c, g, None)


def test_qdq_unfused_names_qdq_layers_reformats_next_to_them_and_float_gemms() -> None:
    items = unfused_layers(_qdq_engine(), None)
    assert [(i.layer, i.kind) for i in items] == [
        ("QuantizeLinear_2", UnfusedKind.QDQ),
        ("Reformatting CopyNode for Input Tensor 0 to conv1", UnfusedKind.REFORMAT),
        ("fc", UnfusedKind.GEMM)]
    f = qdq_unfused.RULE.check(_ctx(_qdq_engine()))
    assert f is not None and f.severity is Severity.WARNING
    assert f.title == "Explicit INT8 engine: 1 unfused Q/DQ layer, 1 reformat next to Q/DQ, 1 GEMM/Conv layer " \
                      "still in FP16/FP32"
    assert qdq_unfused.RULE.kind is ContextKind.ENGINE


def test_qdq_unfused_is_silent_on_an_implicit_engine() -> None:
    implicit = engine("INT8", layer("fc", precision="FP16", nodes=("fc",), layer_type="Gemm", ms=0.001),
                      layer("Reformatting CopyNode for Input Tensor 0 to fc", kind="reformat", precision="FP32"),
                      layer("big", precision="INT8", nodes=("big",), layer_type="Convolution", ms=1.0))
    assert qdq_unfused.RULE.check(_ctx(implicit)) is None
    # ... but a Q/DQ model makes the same engine explicit: a float GEMM under 5% of the time alone is an info
    g = graph([("q", "QuantizeLinear", ("x",), ("xq",)), ("fc", "Gemm", ("xq", "w"), ("y",))], qdq=1)
    f = qdq_unfused.RULE.check(_ctx(implicit, g))
    assert f is not None and f.severity is Severity.INFO and f.gemm_nodes == ("fc",)


def test_linked_lint_points_each_unfused_layer_at_the_lint_finding_on_its_node() -> None:
    result = lint_model(FIX / "models" / "qdq" / "seed_gemm_input.onnx")
    finding = result.by_id("gemm-input-not-quantized")[0]
    gemm = finding.gemm_nodes[0]
    links = link_lint([UnfusedLayer("attn", UnfusedKind.GEMM, "FP16", (gemm, "other"), 0.1),
                       UnfusedLayer("x", UnfusedKind.QDQ, "FP32", ("nothing",), None)], result)
    assert ("gemm-input-not-quantized", "warning", gemm) in links[0].lint
    assert links[1].lint == ()
    assert [x.layer.layer for x in link_lint([UnfusedLayer("x", UnfusedKind.QDQ, None, (), None)], None)] == ["x"]


def test_compare_of_the_qdq_fixture_links_the_float_pooler_gemm_to_the_lint() -> None:
    c = compare_artifacts(FIX / "engines" / "fp16", FIX / "engines" / "int8_qdq", model=QDQ_MODEL)
    doc = c.to_dict(timestamp=False)
    validate(doc)
    assert [f["id"] for f in doc["findings"]] == ["qdq-unfused"]
    (link,) = doc["linked_lint"]
    assert link["kind"] == "gemm-not-int8" and link["nodes"][0] == "/pooler/dense/Gemm"
    assert link["lint"] == [{"id": "unquantized-gemm-share", "severity": "info", "node": "/pooler/dense/Gemm"}]
    implicit = compare_artifacts(FIX / "engines" / "fp16", FIX / "engines" / "int8_implicit")
    assert implicit.to_dict(timestamp=False)["linked_lint"] == []


def test_real_qat_engine_has_ten_unfused_quantize_layers(corpus_logs: Path) -> None:
    """TREx's ResNet-18 QAT engine on an A100 (TensorRT 8.4 era): 10 QuantizeLinear layers of QDQ origin."""
    c = compare_artifacts([artifact(corpus_logs, "071"), artifact(corpus_logs, "072")],
                          [artifact(corpus_logs, "073"), artifact(corpus_logs, "074")])
    f = next(f for f in c.findings if f.id == "qdq-unfused")
    assert f.severity is Severity.WARNING and f.title.startswith("Explicit INT8 engine: 10 unfused Q/DQ layers")
    kinds = [x.layer.kind for x in c.linked_lint]
    assert kinds.count(UnfusedKind.QDQ) == 10 and kinds.count(UnfusedKind.REFORMAT) == 2


def test_readme_lint_rule_table_is_generated_from_the_lint_registry() -> None:
    text = (ROOT / "README.md").read_text()
    start = text.index("| lint rule id | severity | what it means |")
    lines = []
    for line in text[start:].splitlines():
        if not line.startswith("|"):
            break
        lines.append(line)
    assert "\n".join(lines) + "\n" == lint_table(), "regenerate with trtdiag.lint.registry.markdown_table()"


def test_trtdiag_lint_fixture_writes_the_html_report(pytester: pytest.Pytester) -> None:
    report_dir = pytester.path / "reports"
    model = FIX / "models" / "qdq" / "seed_per_tensor_weights.onnx"
    pytester.makepyfile(f"""
        from trtdiag.testing import assert_qdq_placement_clean

        def test_clean(trtdiag_lint):
            r = trtdiag_lint(r"{FIX / 'models' / 'qdq' / 'clean_transformer.onnx'}")
            assert r.report_path.endswith(".html")
            assert_qdq_placement_clean(r)

        def test_seeded(trtdiag_lint):
            assert_qdq_placement_clean(trtdiag_lint(r"{model}"))
    """)
    result = pytester.runpytest_subprocess(*plugin_args(), f"--trtdiag-report-dir={report_dir}")
    result.assert_outcomes(passed=1, failed=1)
    out = result.stdout.str()
    assert "qdq-per-tensor-weights" in out and "Full report: " in out and "-lint1.html" in out
    assert len(list(report_dir.glob("*-lint1.html"))) == 2
