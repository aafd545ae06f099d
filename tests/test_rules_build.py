"""Every build-log rule on an in-memory context that triggers it and on one that must not (milliseconds each)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest

from trtdiag.calib.cache import CacheEntry, CacheFormat, CalibrationCache
from trtdiag.findings import Severity
from trtdiag.log.facts import BuildOutcome, Event, Outcome
from trtdiag.naming import GRAPH_INPUT, UNKNOWN, WEIGHT
from trtdiag.onnx.graph import GraphIndex, index_model
from trtdiag.rules.base import ContextKind
from trtdiag.rules.builds import plugin_without_int8
from trtdiag.rules.cache_check import CacheCheck
from trtdiag.rules.context import BuildContext
from trtdiag.rules.registry import BUILD_RULES, rule_ids, run_rules
from trtdiag.rules.transformer_names import weigh_names

from .rules_kit import build_ctx, encoder, event, facts, graph, tensor

INT8_ONLY = facts(int8=True, fp16=False, tensorrt_version="10.3.0", evidence={"precision": 3})
INT8_FP16 = facts(int8=True, fp16=True, tensorrt_version="10.3.0")
QUERY = tensor("q_out", node="q", consumers=("sm",), block=0)  # leaves the query MatMul
X = tensor("x", cls=GRAPH_INPUT, consumers=("q",))  # enters it
IDS = tensor("input_ids", cls=GRAPH_INPUT, integer=True)
LN_BIAS = tensor("b", cls=WEIGHT, consumers=("ln",), weight=True)
CACHE = CalibrationCache("c.cache", CacheFormat.TENSORRT, "TRT-100300-EntropyCalibration2", "10.3.0", "EntropyCalibration2",
                         (CacheEntry("other", 0.1, "3dcccccd", 2),), (), ())


def _cache_check(stale: bool) -> CacheCheck:
    return CacheCheck(CACHE, 0, ("other",) if stale else (), (), 1, None, None, stale,
                      "1 of 1 cache tensors do not exist in the model" if stale else None)


def _qdq_graph():
    return graph([("q", "QuantizeLinear", ("x",), ("xq",)), ("dq", "DequantizeLinear", ("xq",), ("xd",))], qdq=2)


def _plugin_graph():
    return graph([("mm", "MatMul", ("x", "w"), ("h",)), ("plugin", "MyPlugin", ("h",), ("y",))],
                 domains={"plugin": "custom.trt"}, initializers=("w",))


def _mask_graph() -> GraphIndex:
    """x * Constant(finfo(float32).min): the TorchScript attention mask, with the model proto the hazard reads."""
    from onnx import TensorProto, helper

    const = helper.make_node("Constant", [], ["c"], name="const",
                             value=helper.make_tensor("v", TensorProto.FLOAT, [], [-3.4028234e38]))
    mul = helper.make_node("Mul", ["x", "c"], ["y"], name="mask_mul")
    g = helper.make_graph([const, mul], "m", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 8])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 8])])
    return index_model(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), path="m.onnx")


def _range_check(scale: float) -> CacheCheck:
    cache = CalibrationCache("c.cache", CacheFormat.TENSORRT, "TRT-100300-EntropyCalibration2", "10.3.0",
                             "EntropyCalibration2", (CacheEntry("mask", scale, "7b4ff7ca", 2),), (), ())
    return CacheCheck(cache, 1, (), (), 0, None, None, False, None)



FAILED = replace(facts(int8=True), outcome=BuildOutcome(
    Outcome.FAILED, "onnx-int8-weights", 17, "Found unsupported datatype ... invalid weights type of Int8", None,
    (Event("onnx-int8-weights", 17, "invalid weights type of Int8"), Event("run-failed", 22, "&&&& FAILED"))))
BUILT = replace(facts(int8=True), outcome=BuildOutcome(Outcome.BUILT, None, 40, None, 40, ()))
FELL_BACK = replace(facts(), precision_fallback=(event("int8-fallback-to-fp16", 2,
                                                       "INT8 calibration file not specified. Trying FP16 mode."),))
NO_INT8_LAYER = replace(facts(int8=True, evidence={"int8": 3}), layer_info_lines=12, layer_info_int8=0)
SOME_INT8_LAYER = replace(NO_INT8_LAYER, layer_info_int8=4)

Case = Callable[[], BuildContext]
CASES: dict[str, tuple[Case, Case]] = {
    "build-failed": (lambda: build_ctx(FAILED), lambda: build_ctx(BUILT)),
    "int8-requested-not-used": (lambda: build_ctx(FELL_BACK), lambda: build_ctx(SOME_INT8_LAYER)),
    "model-log-mismatch": (
        lambda: build_ctx(INT8_FP16, tensor("conv1"), g=encoder(), mismatch_reason="only 0 of 5 names exist"),
        lambda: build_ctx(INT8_FP16, QUERY, g=encoder()),
    ),
    "trt11-implicit-int8-removed": (
        lambda: build_ctx(facts(trt11=(event("trt11-removed-api", 4),))),
        lambda: build_ctx(INT8_FP16, QUERY, g=encoder()),
    ),
    "int8-without-fp16": (
        lambda: build_ctx(INT8_ONLY, QUERY, g=encoder()),
        lambda: build_ctx(INT8_FP16, QUERY, g=encoder()),
    ),
    "implicit-int8-transformer": (
        lambda: build_ctx(INT8_FP16, QUERY, g=encoder()),
        lambda: build_ctx(INT8_FP16, tensor("c1"), g=graph([("conv", "Conv", ("x", "w"), ("c1",))])),
    ),
    "stale-calibration-cache": (
        lambda: build_ctx(INT8_FP16, QUERY, g=encoder(), cache_check=_cache_check(True)),
        lambda: build_ctx(INT8_FP16, QUERY, g=encoder(), cache_check=_cache_check(False)),
    ),
    "activations-missing-scales": (
        lambda: build_ctx(INT8_FP16, X, g=encoder()),
        lambda: build_ctx(INT8_FP16, IDS, LN_BIAS, g=encoder()),
    ),
    "no-calibration": (
        lambda: build_ctx(facts(int8=True, calibration_dynamic=True)),
        lambda: build_ctx(facts(int8=True, calibrator="IInt8EntropyCalibrator2")),
    ),
    "calibration-profile": (
        lambda: build_ctx(facts(calibration_events=(event("profile-not-defined", 7),))),
        lambda: build_ctx(facts(calibration_events=(event("cache-read", 7),))),
    ),
    "plugin-without-int8": (
        lambda: build_ctx(INT8_FP16, tensor("y", node="plugin"), g=_plugin_graph()),
        lambda: build_ctx(INT8_FP16, tensor("x", cls=GRAPH_INPUT, consumers=("mm",)), g=_plugin_graph()),
    ),
    "implicit-int8-deprecated": (
        lambda: build_ctx(INT8_FP16, QUERY, g=encoder()),
        lambda: build_ctx(facts(int8=True, fp16=True, tensorrt_version="8.6.1"), QUERY, g=encoder()),
    ),
    "benign-warnings-only": (
        lambda: build_ctx(INT8_FP16, IDS, LN_BIAS, g=encoder()),
        lambda: build_ctx(INT8_FP16, IDS, QUERY, g=encoder()),
    ),
    "fp16-overflow-constant": (
        lambda: build_ctx(INT8_FP16, g=_mask_graph()),
        lambda: build_ctx(INT8_ONLY, g=_mask_graph()),
    ),
    "calibration-range-overflow": (
        lambda: build_ctx(INT8_FP16, cache_check=_range_check(2.7e36)),
        lambda: build_ctx(INT8_FP16, cache_check=_range_check(0.05)),
    ),
    "integer-inputs": (
        lambda: build_ctx(INT8_FP16, IDS, g=encoder()),
        lambda: build_ctx(INT8_FP16, QUERY, g=encoder()),
    ),
    "calibrator-on-qdq": (
        lambda: build_ctx(facts(int8=True, calibrator="IInt8EntropyCalibrator2"), g=_qdq_graph()),
        lambda: build_ctx(facts(int8=True, calibrator="IInt8EntropyCalibrator2"), g=encoder()),
    ),
}
_RULES = {r.id: r for r in BUILD_RULES}


@pytest.fixture(autouse=True)
def _no_onnx_op_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """plugin-without-int8 asks onnx.defs whether an op is standard; importing onnx takes seconds, and
    tests/test_rules.py covers that path with a real model. Here only the custom domain marks a plugin."""
    monkeypatch.setattr(plugin_without_int8, "_is_unknown_op", lambda op: False)


def test_every_build_rule_has_a_unit_case() -> None:
    assert set(CASES) == set(rule_ids(ContextKind.BUILD))


@pytest.mark.parametrize("rule_id", list(CASES))
def test_rule_triggers(rule_id: str) -> None:
    rule = _RULES[rule_id]
    finding = rule.check(CASES[rule_id][0]())
    assert finding is not None and finding.id == rule_id
    assert isinstance(finding.severity, Severity) and finding.fix and finding.explanation
    assert "{" not in finding.title  # every template field was filled


@pytest.mark.parametrize("rule_id", list(CASES))
def test_rule_stays_quiet(rule_id: str) -> None:
    assert _RULES[rule_id].check(CASES[rule_id][1]()) is None


def test_int8_without_fp16_names_the_fp32_gemms_and_their_share() -> None:
    f = _RULES["int8-without-fp16"].check(build_ctx(INT8_ONLY, QUERY, g=encoder(), macs={"q": 3, "ctx": 1}))
    assert f is not None and f.severity is Severity.ERROR
    assert f.gemm_nodes == ("q", "ctx") and f.mac_share == 1.0
    assert f.explanation.endswith("2 GEMM/Conv nodes (100% of the model's MACs) fall back to FP32.")
    quiet = _RULES["int8-without-fp16"].check(build_ctx(INT8_ONLY))
    assert quiet is not None and quiet.severity is Severity.WARNING  # nothing warned: only a warning


def test_activations_missing_scales_counts_blocks_and_share() -> None:
    f = _RULES["activations-missing-scales"].check(build_ctx(INT8_FP16, QUERY, g=encoder(), macs={"q": 1, "ctx": 3}))
    assert f is not None and "1 activation tensors in block 0" in f.explanation
    assert f.gemm_nodes == ("q",) and f.mac_share == 0.25


def test_stale_cache_from_the_log_alone() -> None:
    f = facts(int8=True, calibration_cache_read="c.cache")
    unknown = [tensor(f"/other/t{i}", cls=UNKNOWN) for i in range(3)]
    found = _RULES["stale-calibration-cache"].check(build_ctx(f, *unknown))
    assert found is not None and found.commands == ("rm -f c.cache",)
    ran = facts(int8=True, calibration_cache_read="c.cache", calibration_started=5)
    assert _RULES["stale-calibration-cache"].check(build_ctx(ran, *unknown)) is None


def test_a_calibrator_on_a_qdq_network_is_calibrator_on_qdq_not_no_calibration() -> None:
    ctx = build_ctx(facts(int8=True, calibrator="IInt8EntropyCalibrator2", calibration_dynamic=True,
                          evidence={"calibrator": 9}), g=_qdq_graph())
    f = _RULES["calibrator-on-qdq"].check(ctx)
    assert f is not None and f.severity is Severity.INFO and f.evidence.lines == (9,)
    assert f.title.startswith("Calibrator or calibration cache given with an explicitly quantized")
    assert "no-calibration" not in {x.id for x in run_rules(ctx)}  # implicit-only: silent on Q/DQ builds


def test_transformer_recognised_from_names_without_a_model() -> None:
    names = [tensor(n) for n in ("/l0/attention/MatMul_out", "/l0/Softmax_out", "/l0/LayerNorm_out")]
    assert _RULES["implicit-int8-transformer"].check(build_ctx(INT8_FP16, *names)) is not None


def test_build_failed_names_the_first_line_its_cause_and_what_follows() -> None:
    f = _RULES["build-failed"].check(build_ctx(FAILED))
    assert f is not None and f.severity is Severity.ERROR
    assert f.title == "The build failed at line 17: the ONNX parser rejects INT8 weights"
    assert "TensorRT >= 8.0" in f.fix and "1 more failure line(s) follow, first at line 22" in f.explanation
    assert f.evidence.lines == (17, 22)


def test_build_failed_without_int8_fallback_proposes_fp16() -> None:
    crashed = replace(facts(), outcome=BuildOutcome(Outcome.CRASHED, "no-int8-fallback", 4, "No non-int8 ...", None,
                                                    (Event("no-int8-fallback", 4, "No non-int8 ..."),)))
    f = _RULES["build-failed"].check(build_ctx(crashed))
    assert f is not None and f.title.startswith("The build crashed at line 4") and "--fp16" in f.fix


def test_int8_requested_not_used_from_layer_information() -> None:
    f = _RULES["int8-requested-not-used"].check(build_ctx(NO_INT8_LAYER))
    assert f is not None and "lists 12 layers and none runs in Int8" in f.explanation and f.evidence.lines == (3,)
    assert _RULES["int8-requested-not-used"].check(build_ctx(replace(NO_INT8_LAYER, outcome=FAILED.outcome))) is None


def test_transformer_names_are_weighed() -> None:
    assert weigh_names(["encoder.layer.2.attention.output.LayerNorm.bias_output"]).convincing
    assert weigh_names(["input_ids"]).convincing
    assert weigh_names(["/model/decoder/layers.0/Softmax_output_0"]).convincing
    assert not weigh_names(["node_softmax_output", "softmax", "linear"]).convincing
    helpers = weigh_names(["ONNXTRT_Broadcast_1_output", "/embeddings/LayerNorm/Sub_output_0"])
    assert "ONNXTRT_Broadcast helpers next to LayerNorm names (ONNXTRT_Broadcast_1_output)" in helpers.describe()


def test_calibrator_not_used_is_no_calibration_only_when_tensors_then_lack_a_scale() -> None:
    """'Calibrator is not being used. Users must provide dynamic range...' is also what an application that sets
    every range itself prints (sampleINT8API): without a missing scale after it, nothing is wrong."""
    own_ranges = facts(int8=True, calibration_events=(event("calibrator-not-used", 21),))
    assert _RULES["no-calibration"].check(build_ctx(own_ranges)) is None
    found = _RULES["no-calibration"].check(build_ctx(own_ranges, X, g=encoder()))
    assert found is not None and 21 in found.evidence.lines
