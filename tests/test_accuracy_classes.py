"""trtdiag accuracy: RunResults made here with ONNX Runtime on the fixture models, perturbed copies of
them (FP32-rounding, FP16-size, INT8-size noise, large error, NaN), each classified as it should be."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("onnxruntime")

from polygraphy.comparator import RunResults  # type: ignore[import-untyped]

from trtdiag.accuracy.classify import AccuracyClass, classify, worst
from trtdiag.accuracy.document import accuracy_document, to_html
from trtdiag.accuracy.load import load_results
from trtdiag.accuracy.pipeline import accuracy_from_files
from trtdiag.accuracy.reference import REFERENCE_RUNNER, run_reference
from trtdiag.accuracy.testing import assert_int8_engaged, assert_outputs_close
from trtdiag.documents.schemas import validate

from .conftest import MODELS

XLMR = MODELS / "xlmr_tiny_ts_op17.onnx"
TRT_RUNNER = "trt-runner-N6-12/01/26-10:00:00"


def xlmr_feeds(seed: int = 0) -> list[dict[str, np.ndarray]]:
    rng = np.random.default_rng(seed)
    ids = rng.integers(3, 1000, size=(2, 8)).astype(np.int64)
    mask = np.ones((2, 8), dtype=np.int64)
    mask[1, 5:] = 0
    return [{"input_ids": ids, "attention_mask": mask}]


def perturb(outputs: dict[str, np.ndarray], kind: str, seed: int = 1) -> dict[str, np.ndarray]:
    """Copies of the reference outputs with errors of a known size."""
    rng = np.random.default_rng(seed)
    out = {}
    for name, v in outputs.items():
        v = np.asarray(v, dtype=np.float32)
        if kind == "tiny":  # FP32 rounding of a different kernel order
            w = v * (1 + rng.normal(0, 2e-7, v.shape))
        elif kind == "fp16":
            w = v.astype(np.float16).astype(np.float32)
        elif kind == "int8":  # per-tensor symmetric 8-bit quantization
            scale = float(np.abs(v).max()) / 127
            w = np.round(v / scale) * scale
        elif kind == "large":
            w = v + rng.normal(0, 0.4, v.shape) * float(v.std())
        elif kind == "nan":
            w = v.copy()
            w.flat[3] = np.nan
        else:
            raise ValueError(kind)
        out[name] = w.astype(np.float32)
    return out


@pytest.fixture(scope="module")
def saved_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """fp32.json (ONNX Runtime) and one candidate file per perturbation; the INT8 one under a TensorRT name."""
    folder = tmp_path_factory.mktemp("accuracy")
    ref = run_reference(XLMR, xlmr_feeds())
    files = {}
    runs = RunResults()
    runs.add([dict(it) for it in ref.iterations], runner_name="onnxrt-runner-N0-12/01/26-10:00:00")
    files["fp32"] = folder / "fp32.json"
    runs.save(str(files["fp32"]))
    for kind in ("tiny", "fp16", "int8", "large", "nan"):
        cand = RunResults()
        name = TRT_RUNNER if kind == "int8" else f"custom-runner-{kind}"
        cand.add([perturb(dict(ref.iterations[0]), kind)], runner_name=name)
        files[kind] = folder / f"cand_{kind}.json"
        cand.save(str(files[kind]))
    return files


EXPECTED = {
    "tiny": AccuracyClass.SAME,
    "fp16": AccuracyClass.FP16,
    "int8": AccuracyClass.INT8,
    "large": AccuracyClass.DEGRADED,
    "nan": AccuracyClass.BROKEN,
}


@pytest.mark.parametrize("kind", list(EXPECTED))
def test_each_perturbation_gets_its_class(saved_runs: dict[str, Path], kind: str) -> None:
    result = accuracy_from_files([saved_runs[kind]], reference=saved_runs["fp32"], model=XLMR)
    (cand,) = result.candidates
    assert cand.accuracy_class is EXPECTED[kind], [(o.name, o.rel_l2) for o in cand.outputs]
    assert {o.name for o in cand.outputs} == {"last_hidden_state", "pooler_output"}
    validate(accuracy_document(result, timestamp=False))


def test_tensorrt_runner_file_loads_without_tensorrt(saved_runs: dict[str, Path]) -> None:
    (run,) = load_results(saved_runs["int8"])
    assert run.runner == TRT_RUNNER and run.is_tensorrt
    result = accuracy_from_files([saved_runs["int8"]], reference=saved_runs["fp32"])
    assert result.candidates[0].is_tensorrt
    assert result.candidates[0].accuracy_class is AccuracyClass.INT8


def test_several_candidates_and_findings(saved_runs: dict[str, Path]) -> None:
    files = [saved_runs[k] for k in ("tiny", "int8", "large", "nan")]
    result = accuracy_from_files(files, reference=saved_runs["fp32"], model=XLMR)
    ids = [f.id for f in result.findings]
    assert ids[0] == "accuracy-broken"
    assert {"int8-not-engaged", "accuracy-degraded", "fp16-overflow-constant"} <= set(ids)
    assert result.worst_class is AccuracyClass.BROKEN
    assert result.failures("degraded") and not result.failures("never")
    doc = accuracy_document(result, timestamp=False)
    assert [c["class"] for c in doc["candidates"]] == ["same-as-reference", "int8-level", "degraded", "broken"]
    assert doc["candidates"][3]["outputs"][0]["non_finite"] == 1
    html = to_html(result, timestamp=False)
    assert "<script" not in html and "int8-level" in html


def test_reference_run_on_cpu_from_saved_inputs(saved_runs: dict[str, Path], tmp_path: Path) -> None:
    inputs = tmp_path / "inputs.npz"
    feed = xlmr_feeds()[0]  # TensorRT runs save int32 ids for the model's int64 inputs
    np.savez(inputs, input_ids=feed["input_ids"].astype(np.int32), attention_mask=feed["attention_mask"].astype(np.int32))
    result = accuracy_from_files([saved_runs["int8"]], model=XLMR, inputs=inputs)
    assert result.reference_runner == REFERENCE_RUNNER
    assert result.candidates[0].accuracy_class is AccuracyClass.INT8


def test_polygraphy_tolerance_check(saved_runs: dict[str, Path]) -> None:
    loose = accuracy_from_files([saved_runs["fp16"]], reference=saved_runs["fp32"], atol=1e-2, rtol=1e-2)
    assert all(o.passed for o in loose.candidates[0].outputs) and not loose.failures("tolerance")
    tight = accuracy_from_files([saved_runs["int8"]], reference=saved_runs["fp32"], atol=1e-6, rtol=1e-6)
    assert tight.failures("tolerance")


def test_pytest_helpers(saved_runs: dict[str, Path]) -> None:
    assert_outputs_close(saved_runs["fp32"], saved_runs["int8"])
    assert_int8_engaged(saved_runs["fp32"], saved_runs["int8"])
    with pytest.raises(AssertionError, match="INT8 did not engage"):
        assert_int8_engaged(saved_runs["fp32"], saved_runs["tiny"])
    with pytest.raises(AssertionError, match="degraded, worse than int8-level"):
        assert_outputs_close(saved_runs["fp32"], saved_runs["large"])
    ref = dict(load_results(saved_runs["fp32"])[0].iterations[0])
    assert_outputs_close(ref, perturb(ref, "fp16"), max_class="fp16-level")


def test_classify_thresholds() -> None:
    assert classify(0.0) is AccuracyClass.SAME
    assert classify(1e-4) is AccuracyClass.FP16
    assert classify(0.05) is AccuracyClass.INT8
    assert classify(0.5) is AccuracyClass.DEGRADED
    assert classify(1.0) is AccuracyClass.BROKEN
    assert classify(0.0, new_non_finite=1) is AccuracyClass.BROKEN
    assert classify(float("nan")) is AccuracyClass.BROKEN
    assert worst([AccuracyClass.FP16, AccuracyClass.INT8]) is AccuracyClass.INT8
