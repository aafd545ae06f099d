"""Calibration-cache forensics on the project's caches (fixtures/make_caches.py) and real public caches."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from trtdiag.analysis import analyze
from trtdiag.calib.cache import read_calibration_cache
from trtdiag.errors import InputError
from trtdiag.log.collector import read_log
from trtdiag.onnx.graph import load_graph
from trtdiag.rules.cache_check import check_cache

from .conftest import FIXTURES, LOGS, MODELS

CACHES = FIXTURES / "caches"
EXPECTED = json.loads((CACHES / "EXPECTED.json").read_text())
NAMES = [k for k in EXPECTED if not k.startswith("_")]


@pytest.mark.parametrize("name", NAMES)
def test_fixture_caches_match_their_ground_truth(name: str) -> None:
    want = EXPECTED[name]
    cache = read_calibration_cache(CACHES / name)
    assert (cache.format, cache.header, cache.tensorrt_version, cache.algorithm, len(cache.entries)) == (
        want["format"], want["header"], want["tensorrt_version"], want["algorithm"], want["entry_count"])
    assert sorted((t, p) for t, p, _ in cache.bad_values) == sorted(
        (b["tensor"], b["problem"]) for b in want["bad_values"])
    check = check_cache(cache, load_graph(MODELS / want["model"]), None)
    assert sorted(check.absent_from_model) == sorted(want["absent_from_model"])
    assert check.matched == want["present_in_model"]
    assert check.gemm_inputs_total == want["gemm_inputs_total"]
    assert sorted(check.gemm_inputs_missing) == sorted(want["gemm_inputs_missing"])


def test_stale_and_good_verdicts() -> None:
    g = load_graph(MODELS / "xlmr_tiny_ts_op17.onnx")
    assert not check_cache(read_calibration_cache(CACHES / "xlmr_good_trt100300.cache"), g, None).stale
    stale = check_cache(read_calibration_cache(CACHES / "xlmr_stale_other_export.cache"), g, None)
    assert stale.stale and "do not exist in the model" in (stale.stale_reason or "")


def test_version_and_algorithm_mismatch_against_the_build() -> None:
    facts = read_log(LOGS / "xlmr_int8_fp16_pyapi_calibrator.log")  # TensorRT 10.1, IInt8EntropyCalibrator2
    g = load_graph(MODELS / "xlmr_tiny_ts_op17.onnx")
    check = check_cache(read_calibration_cache(CACHES / "xlmr_bad_values_trt101000.cache"), g, facts)
    assert check.version_note and "10.10.0" in check.version_note
    assert check.algorithm_note and "MinMaxCalibration" in check.algorithm_note


def test_hex_scales_are_big_endian_float32() -> None:
    cache = read_calibration_cache(CACHES / "xlmr_bad_values_trt101000.cache")
    values = {e.raw: e.value for e in cache.entries}
    assert math.isinf(values["7f800000"]) and values["0"] == 0.0 and math.isnan(values["7fc00000"])


def test_stale_cache_rule_with_the_file(tmp_path: Path) -> None:
    a = analyze(LOGS / "xlmr_int8_fp16_pyapi_calibrator.log", MODELS / "xlmr_tiny_ts_op17.onnx",
                calib_cache=CACHES / "xlmr_stale_other_export.cache")
    assert "stale-calibration-cache" in [f.id for f in a.findings]
    doc = a.to_dict()
    assert doc["calibration_cache"]["stale"] and len(doc["calibration_cache"]["absent_from_model"]) == 180
    good = analyze(LOGS / "xlmr_int8_fp16_pyapi_calibrator.log", MODELS / "xlmr_tiny_ts_op17.onnx",
                   calib_cache=CACHES / "xlmr_good_trt100300.cache")
    assert "stale-calibration-cache" not in [f.id for f in good.findings]
    assert 'id="calibration-cache"' in good.to_html()


def test_without_a_model_the_verdict_never_says_it_matches_the_model() -> None:
    log = LOGS / "xlmr_int8_fp16_pyapi_calibrator.log"
    alone = analyze(log, calib_cache=CACHES / "xlmr_good_trt100300.cache")
    cc = alone.to_dict()["calibration_cache"]
    assert (cc["verdict"], cc["model_checked"], cc["stale"]) == ("unverified", False, False)
    html = alone.to_html()
    assert "matches the model" not in html and "not checked against a model" in html
    assert "Entries found in the model" not in html  # 0 of nothing would read as "none found"
    with_model = analyze(log, MODELS / "xlmr_tiny_ts_op17.onnx", calib_cache=CACHES / "xlmr_good_trt100300.cache")
    assert with_model.to_dict()["calibration_cache"]["verdict"] == "matches"
    assert "matches the model and build" in with_model.to_html()


@pytest.mark.parametrize("content", [b"", b"\x00\x01\x02" * 50, b"hello world\nthis is not a cache at all\n",
                                     b'{"a": "b"}'])
def test_bad_cache_files(tmp_path: Path, content: bytes) -> None:
    p = tmp_path / "c.cache"
    p.write_bytes(content)
    with pytest.raises(InputError):
        read_calibration_cache(p)


def test_real_public_caches_read(corpus_logs: Path) -> None:
    expected = {"007": ("ort-text", 175), "008": ("ort-json", 175), "042": ("tensorrt", 172),
                "043": ("tensorrt", 172), "044": ("tensorrt", 140), "111": ("tensorrt", 2), "112": ("tensorrt", 3)}
    for prefix, (fmt, count) in expected.items():
        path = next(p for p in corpus_logs.glob(prefix + "_*") if not p.name.endswith(".meta.json"))
        cache = read_calibration_cache(path)
        assert (cache.format, len(cache.entries)) == (fmt, count), path.name
    bert = read_calibration_cache(next(corpus_logs.glob("042_*.cache")))
    assert bert.tensorrt_version == "10.10.0" and len(bert.bad_values) == 3
