"""Each rule on an input that triggers it and one that must not."""

from __future__ import annotations

from pathlib import Path

import pytest

from trtdiag.analysis import analyze
from trtdiag.rules import RULES, rule_ids

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
    assert all(r.severity in ("error", "warning", "info") for r in RULES)


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
