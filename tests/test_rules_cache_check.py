"""A calibration cache checked against an in-memory model and build (no cache file, no ONNX file)."""

from __future__ import annotations

from trtdiag.calib.cache import CacheEntry, CacheFormat, CalibrationCache
from trtdiag.rules.cache_check import check_cache, gemm_float_inputs

from .rules_kit import encoder, facts


def _cache(*names: str, version: str | None = "10.3.0", algorithm: str | None = "EntropyCalibration2"
           ) -> CalibrationCache:
    entries = tuple(CacheEntry(n, 0.1, "3dcccccd", i + 2) for i, n in enumerate(names))
    return CalibrationCache("c.cache", CacheFormat.TENSORRT, "TRT-100300-EntropyCalibration2", version, algorithm, entries,
                            (), ())


def test_gemm_inputs_are_float_activations_only() -> None:
    assert gemm_float_inputs(encoder()) == ["x", "p"]  # w_q and v are initializers


def test_a_cache_covering_the_gemm_inputs_is_not_stale() -> None:
    check = check_cache(_cache("x", "p", "q_out", "ONNXTRT_Broadcast_3_output"), encoder(), None)
    assert (check.matched, check.absent_from_model, check.gemm_inputs_missing) == (3, (), ())
    assert not check.stale and check.stale_reason is None


def test_a_cache_of_another_export_is_stale() -> None:
    check = check_cache(_cache("/other/a", "/other/b", "x"), encoder(), None)
    assert check.absent_from_model == ("/other/a", "/other/b") and check.gemm_inputs_missing == ("p",)
    assert check.stale and check.stale_reason == (
        "2 of 3 cache tensors do not exist in the model; 1 of 2 activations feeding MatMul/Gemm/Conv are not in "
        "the cache")


def test_version_and_algorithm_against_the_build() -> None:
    build = facts(tensorrt_version="10.1.0", calibrator="IInt8MinMaxCalibrator")
    check = check_cache(_cache("x", "p", version="10.10.0"), encoder(), build)
    assert check.version_note == "the cache was written by TensorRT 10.10.0 and the build ran TensorRT 10.1.0"
    assert check.algorithm_note is not None and "IInt8MinMaxCalibrator (MinMaxCalibration)" in check.algorithm_note
    assert check.stale and check.stale_reason == check.algorithm_note  # a version change alone is only a note


def test_without_a_model_only_the_build_is_compared() -> None:
    check = check_cache(_cache("/any/name"), None, None)
    assert (check.matched, check.absent_from_model, check.gemm_inputs_total, check.stale) == (0, (), 0, False)
