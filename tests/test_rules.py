"""Each rule on an input that triggers it and one that must not."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from trtdiag.analysis import analyze
from trtdiag.findings import Evidence, Finding
from trtdiag.onnx.graph import load_graph
from trtdiag.rules.base import verdict_failures
from trtdiag.rules.registry import ALL_RULES, rule_ids

from .conftest import MODELS

XLMR = MODELS / "xlmr_tiny_ts_op17.onnx"
CNN = MODELS / "tiny_cnn_op17.onnx"
W = "[01/01/2026-00:00:00] [W] [TRT] Missing scale and zero-point for tensor {}, expect fall back to non-int8 implementation for any layer consuming or producing given tensor\n"


def _ids(tmp_path: Path, text: str, model: Path | None) -> list[str]:
    p = tmp_path / "b.log"
    p.write_text(text)
    return [f.id for f in analyze(p, model).findings]


def test_rule_ids_are_unique_and_stable() -> None:
    ids = rule_ids()
    assert len(ids) == len(set(ids))
    assert {"int8-without-fp16", "implicit-int8-transformer", "benign-warnings-only"} <= set(ids)
    assert all(r.severity in ("error", "warning", "info") for r in ALL_RULES)


INT8_ONLY = "[01/01/2026-00:00:00] [I] Precision: FP32+INT8\n"
INT8_FP16 = "[01/01/2026-00:00:00] [I] Precision: FP32+FP16+INT8\n"
ACT = W.format("/encoder/layer.0/attention/self/query/MatMul_output_0")
WEIGHTS = W.format("input_ids") + W.format("encoder.layer.0.output.LayerNorm.bias_output")


@pytest.mark.parametrize(("text", "model", "present", "absent"), [
    (INT8_ONLY + ACT, XLMR, ["int8-without-fp16"], []),
    (INT8_FP16 + ACT, XLMR, [], ["int8-without-fp16"]),
    ("[I] Precision: FP32+INT8 (obey precision constraints)\n[I] --stronglyTyped\n", None, [], []),
    (INT8_FP16 + ACT, XLMR, ["implicit-int8-transformer"], []),
    (INT8_FP16 + ACT + W.format("/encoder/layer.0/attention/self/Softmax_output_0")
     + W.format("/encoder/layer.0/output/LayerNorm/LayerNormalization_output_0"), None,
     ["implicit-int8-transformer"], []),   # recognised from names alone
    (INT8_FP16 + W.format("conv1_output_0"), CNN, [], ["implicit-int8-transformer"]),
    (INT8_FP16 + WEIGHTS, XLMR, ["benign-warnings-only"], []),
    (INT8_FP16 + WEIGHTS + ACT, XLMR, [], ["benign-warnings-only"]),
    ("Traceback (most recent call last):\nAttributeError: module 'tensorrt' has no attribute 'IInt8EntropyCalibrator2'\n",
     XLMR, ["trt11-implicit-int8-removed"], ["implicit-int8-transformer"]),
    (INT8_FP16 + "".join(W.format(f"conv{i}_output_0") for i in range(5)), XLMR, ["model-log-mismatch"], []),
    (INT8_FP16 + ACT * 5, XLMR, [], ["model-log-mismatch"]),
    (INT8_FP16 + ACT, XLMR, [], ["trt11-implicit-int8-removed"]),
])
def test_rule_triggers(tmp_path: Path, text: str, model: Path | None, present: list[str], absent: list[str]) -> None:
    ids = _ids(tmp_path, text, model)
    for rid in present:
        assert rid in ids
    for rid in absent:
        assert rid not in ids


def test_errors_come_before_info(tmp_path: Path) -> None:
    p = tmp_path / "b.log"
    p.write_text(INT8_ONLY + WEIGHTS)
    sev = [f.severity for f in analyze(p, XLMR).findings]
    assert sev == sorted(sev, key=["error", "warning", "info"].index)


def test_every_finding_has_evidence_and_fix(tmp_path: Path) -> None:
    p = tmp_path / "b.log"
    p.write_text(INT8_ONLY + ACT + WEIGHTS)
    for f in analyze(p, XLMR).findings:
        assert f.fix and f.explanation
        assert f.evidence.lines or f.evidence.tensors


# --- the rules of the second issue --------------------------------------------------------------

HEADER_10 = "&&&& RUNNING TensorRT.trtexec [TensorRT v100300] # trtexec --onnx=m.onnx --int8 --fp16 --calib=c.cache\n"
HEADER_86 = "&&&& RUNNING TensorRT.trtexec [TensorRT v8601] # trtexec --onnx=m.onnx --int8 --fp16 --calib=c.cache\n"
CACHE_READ = "[01/01/2026-00:00:00] [I] [TRT] Reading Calibration Cache for calibrator: EntropyCalibration2\n"
BLOCK1_ACTS = "".join(W.format(f"/encoder/layer.1/attention/self/{m}/MatMul_output_0") for m in ("query", "key", "value"))


def _facts_ids(tmp_path: Path, text: str, model: Path | None, **kw) -> list[str]:
    p = tmp_path / "b.log"
    p.write_text(text)
    return [f.id for f in analyze(p, model, **kw).findings]


def test_stale_cache_from_the_log_alone(tmp_path: Path) -> None:
    names = [f"/other/export/node_{i}_output_0" for i in range(12)]
    text = HEADER_10 + CACHE_READ + "".join(W.format(n) for n in names)
    assert "stale-calibration-cache" in _facts_ids(tmp_path, text, None)
    # calibration actually ran: then a cache read is not the explanation
    ran = HEADER_10 + "[I] [TRT] Starting Calibration.\n" + "".join(W.format(n) for n in names)
    assert "stale-calibration-cache" not in _facts_ids(tmp_path, ran, None)


def test_activations_missing_scales_names_blocks_and_gemms(tmp_path: Path) -> None:
    p = tmp_path / "b.log"
    p.write_text(HEADER_10 + BLOCK1_ACTS)
    f = next(x for x in analyze(p, XLMR).findings if x.id == "activations-missing-scales")
    assert "block 1" in f.explanation
    assert set(f.gemm_nodes) >= {"/encoder/layer.1/attention/self/query/MatMul"}
    assert f.mac_share is not None and 0 < f.mac_share < 0.5
    assert "activations-missing-scales" not in _facts_ids(tmp_path, HEADER_10 + WEIGHTS, XLMR)


def test_no_calibration_dynamic_and_explicit(tmp_path: Path) -> None:
    dynamic = "[I] Precision: FP32+INT8\n[I] Calibration: Dynamic\n"
    assert "no-calibration" in _facts_ids(tmp_path, dynamic, None)
    explicit = ("[I] Precision: FP32+FP16+INT8\n[W] [TRT] Calibrator won't be used in explicit precision mode. "
                "Use quantization aware training to generate network with Quantize/Dequantize nodes.\n")
    assert _facts_ids(tmp_path, explicit, None) == ["calibrator-on-qdq"]  # explicit build: not no-calibration
    calibrated = "[I] Precision: FP32+INT8\n[I] Calibration: c.cache\n"
    assert "no-calibration" not in _facts_ids(tmp_path, calibrated, None)


def test_calibration_profile(tmp_path: Path) -> None:
    text = "[07/07/2026-06:14:55] [TRT] [W] Calibration Profile is not defined. Calibrating with Profile 0\n"
    assert "calibration-profile" in _facts_ids(tmp_path, text, None)
    assert "calibration-profile" not in _facts_ids(tmp_path, INT8_FP16 + ACT, None)


def test_deprecated_from_10_1_only(tmp_path: Path) -> None:
    assert "implicit-int8-deprecated" in _facts_ids(tmp_path, HEADER_10 + ACT, XLMR)
    assert "implicit-int8-deprecated" not in _facts_ids(tmp_path, HEADER_86 + ACT, XLMR)


def test_integer_inputs(tmp_path: Path) -> None:
    assert "integer-inputs" in _facts_ids(tmp_path, INT8_FP16 + W.format("input_ids"), XLMR)
    assert "integer-inputs" not in _facts_ids(tmp_path, INT8_FP16 + ACT, XLMR)


def test_plugin_on_the_warned_path(tmp_path: Path) -> None:
    import onnx
    from onnx import TensorProto, helper

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 8])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 8])
    w = helper.make_tensor("w", TensorProto.FLOAT, [8, 8], [0.1] * 64)
    nodes = [helper.make_node("MatMul", ["x", "w"], ["h"], name="mm"),
             helper.make_node("MyPlugin", ["h"], ["y"], name="plugin", domain="custom.trt")]
    model = helper.make_model(helper.make_graph(nodes, "g", [x], [y], [w]),
                              opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("custom.trt", 1)])
    path = tmp_path / "plugin.onnx"
    onnx.save(model, path)
    assert "plugin-without-int8" in _facts_ids(tmp_path, INT8_FP16 + W.format("y"), path)
    assert "plugin-without-int8" not in _facts_ids(tmp_path, INT8_FP16 + W.format("x"), path)


def test_commands_in_findings_only_name_model_nodes(tmp_path: Path) -> None:
    p = tmp_path / "b.log"
    p.write_text(HEADER_10 + BLOCK1_ACTS + WEIGHTS)
    names = [n.name for n in load_graph(XLMR).nodes]
    checked = 0
    for f in analyze(p, XLMR).findings:
        for cmd in f.commands:
            if "modelopt.onnx.quantization" in cmd and "--nodes_to_exclude" in cmd:
                argv = shlex.split(cmd)
                for pat in argv[argv.index("--nodes_to_exclude") + 1:]:
                    assert sum(1 for n in names if re.match(pat, n)) == 1
                    checked += 1
            if cmd.startswith("trtexec") and "--layerPrecisions=" in cmd:
                spec = next(a for a in shlex.split(cmd) if a.startswith("--layerPrecisions="))
                for item in spec.split("=", 1)[1].split(","):
                    assert item.rsplit(":", 1)[0] in names
                    checked += 1
    assert checked > 20


def test_verdict_failures() -> None:
    fs = [Finding("a", "error", "t", "e", Evidence(), "f"), Finding("b", "warning", "t", "e", Evidence(), "f"),
          Finding("c", "info", "t", "e", Evidence(), "f")]
    assert verdict_failures(fs, "never") == []
    assert verdict_failures(fs, "error") == ["error a"]
    assert verdict_failures(fs, "warning") == ["error a", "warning b"]
    with pytest.raises(ValueError):
        verdict_failures(fs, "sometimes")
