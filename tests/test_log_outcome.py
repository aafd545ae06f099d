"""Build outcome, INT8 evidence, several builds in one log, samples, versions: on hand-written logs in the
shapes of real ones (tests/log_samples) and, when present, on the real corpus."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trtdiag.analysis import analyze
from trtdiag.errors import InputError
from trtdiag.io.prefix import split_prefix
from trtdiag.log.collector import read_log
from trtdiag.log.facts import Outcome
from trtdiag.log.handlers.int8_evidence import classify
from trtdiag.log.handlers.outcome import BUILT_NEEDLES, BUILT_RE, FAILURE_PATTERNS, OutcomeHandler
from trtdiag.log.state import LogState

from .conftest import LOGS, artifact

SAMPLES = Path(__file__).resolve().parent / "log_samples"


@pytest.mark.parametrize(("name", "outcome", "cause", "line"), [
    ("trt82_qat_int8_weights_failed.log", Outcome.FAILED, "onnx-int8-weights", 17),
    ("trt6_no_int8_impl_segfault.log", Outcome.CRASHED, "no-int8-fallback", 4),
    ("pyapi_traceback_oom.log", Outcome.FAILED, "out-of-memory", 9),
    ("trt8_tactic_oom_then_built.log", Outcome.BUILT, None, 7),  # an out-of-memory tactic is skipped, not fatal
    ("deepstream_int8_no_calib_file.log", Outcome.BUILT, None, 4),
    ("polygraphy_debug_precision.log", Outcome.BUILT, None, 12),  # in its second build
    ("xlmr4058_a_embedding.log", Outcome.UNKNOWN, None, None),
])
def test_outcome_and_its_decisive_line(name: str, outcome: Outcome, cause: str | None, line: int | None) -> None:
    o = read_log(SAMPLES / name).outcome
    assert (o.outcome, o.cause, o.line) == (outcome, cause, line)


def test_failure_lines_are_all_kept_first_first() -> None:
    o = read_log(SAMPLES / "trt6_no_int8_impl_segfault.log").outcome
    assert [e.kind for e in o.failures] == ["no-int8-fallback", "no-implementation", "crash"]


def _outcome_of(*lines: str):
    handler, state = OutcomeHandler(), LogState()
    for i, text in enumerate(lines, 1):
        handler.feed(split_prefix(i, text), state)
    return handler.outcome()


def test_outcome_variants() -> None:
    assert _outcome_of("[E] [TRT] Network validation failed.").cause == "network-validation"
    assert _outcome_of("[E] Error[10]: [optimizer.cpp::computeCosts] Error Code 10: Internal Error (Could not find "
                       "any implementation for node conv1.)").cause == "no-implementation"
    assert _outcome_of("[TensorRT] ERROR: Engine could not be created.").cause == "engine-not-created"
    assert _outcome_of("[E] Builder failed while analyzing shapes.").cause == "builder-failed"
    assert _outcome_of("terminate called after throwing an instance of 'std::bad_alloc'",
                       "Aborted (core dumped)").outcome is Outcome.CRASHED
    assert _outcome_of("[I] [TRT] Serialized Engine saved", "Traceback (most recent call last):",
                       "ValueError: bad input").outcome is Outcome.BUILT  # the script failed after the build
    assert _outcome_of("[V] [TRT] ModelImporter.cpp:107: Parsing node: conv1 [Conv]").outcome is Outcome.UNKNOWN


@pytest.mark.parametrize(("name", "kinds"), [
    ("pyapi_qdq_parser_only.log", ["qdq-parser", "qdq-optimizer"]),
    ("calibrated_batches_only.log", ["calibration"]),
    ("gpulayer_int8.log", ["qdq-optimizer"]),
    ("trt8_tactic_oom_then_built.log", ["config"]),
    ("xlmr4058_e_calibration_inputs.log", ["missing-scale", "calibration"]),
])
def test_int8_evidence_kinds_with_their_lines(name: str, kinds: list[str]) -> None:
    f = read_log(SAMPLES / name)
    assert [e.kind for e in f.int8_evidence] == kinds
    assert f.build.int8 is True and f.has_int8_build
    assert all(e.line >= 1 and e.text for e in f.int8_evidence)


def test_int8_evidence_classifier() -> None:
    assert classify("Layer(CaskConvolution): conv1, Tactic: 0x1, in (Int8[1,3,224,224]) -> out (Int8[1,64])") == \
        "layer-int8"
    assert classify("*************** Autotuning format combination: Int8(150528,50176,224,1) -> Float() ***") == \
        "tactic-int8"
    assert classify("[GpuLayer] CONVOLUTION: conv1 Int8") == "gpu-layer"
    assert classify("Tactic Name: sm80_xmma_fprop_implicit_gemm_interleaved_i8i8_i8i32_f32") == "int8-kernel"
    assert classify("Writing Calibration Cache for calibrator: TRT-8601-EntropyCalibration2") == "calibration-cache"
    assert classify("Precision: FP32+INT8") == "config"
    assert classify("Using IInt8EntropyCalibrator2") is None  # a class name is not a build
    assert classify("Precision: FP32+FP16") is None


def test_calibrated_batches_without_a_start_line_are_a_calibration() -> None:
    c = read_log(SAMPLES / "calibrated_batches_only.log").calibration
    assert c.batches == 17 and c.started_line == 1


def test_concatenated_builds_report_the_last_with_its_own_command(tmp_path: Path) -> None:
    two = tmp_path / "two.log"
    two.write_text((LOGS / "xlmr_fp16_only_trtexec.log").read_text() + (LOGS / "xlmr_int8_only_trtexec.log").read_text())
    f = read_log(two)
    assert len(f.builds) == 2 and f.build_index == 2
    assert "--int8" in (f.build.command or "") and f.build.int8 is True and f.build.fp16 is not True
    first, second = f.builds
    assert (first.fp16, first.int8, first.missing_scale_count) == (True, False, 0)
    assert second.first_line == first.last_line + 1 and second.missing_scale_count == len(f.missing_scale) > 0
    one = read_log(two, build=1)
    assert "--fp16" in (one.build.command or "") and one.build_index == 1 and not one.missing_scale
    with pytest.raises(InputError, match="holds 2 build"):
        read_log(two, build=3)


def test_single_build_logs_stay_one_build() -> None:
    for log in sorted(LOGS.glob("*.log")):
        assert len(read_log(log).builds) == 1, log.name


def test_polygraphy_debug_iterations_are_builds() -> None:
    f = read_log(SAMPLES / "polygraphy_debug_precision.log")
    assert [b.missing_scale_count for b in f.builds] == [1, 2] and f.build_index == 2
    # every iteration builds with the debug command's flags
    assert (f.build.producer, f.build.int8, f.build.fp16) == ("polygraphy", True, True)


def test_analyze_picks_a_build_and_the_document_lists_all(tmp_path: Path) -> None:
    two = tmp_path / "two.log"
    two.write_text((LOGS / "xlmr_fp16_only_trtexec.log").read_text() + (LOGS / "xlmr_int8_only_trtexec.log").read_text())
    doc = analyze(two, build=1).to_dict(timestamp=False)
    assert doc["build"]["index"] == 1 and [b["analysed"] for b in doc["builds"]] == [True, False]
    assert doc["build"]["outcome"]["outcome"] == "built"
    html = analyze(two).to_html(timestamp=False)
    assert 'id="builds"' in html and "This log holds 2 builds" in html


def test_samples_producer_and_libnvinfer_version() -> None:
    f = read_log(SAMPLES / "sampleint8_no_header.log")
    assert f.build.producer == "samples" and f.build.int8 is True and f.calibration.batches == 1
    v = read_log(SAMPLES / "libnvinfer_version.log").build
    assert (v.tensorrt_version, v.tensorrt_version_source) == ("8.6.1", "libnvinfer library path")


@pytest.mark.parametrize("name", ["xlmr4058_a_embedding.log", "xlmr4058_b_layernorm_bias.log",
                                  "xlmr4058_c_embeddings.log", "xlmr4058_d_layernorm.log",
                                  "xlmr4058_e_calibration_inputs.log", "detr_decoder_softmax.log"])
def test_transformer_excerpts_get_the_same_verdict(name: str) -> None:
    a = analyze(SAMPLES / name)
    assert a.verdict.severity == "error"
    f = next(f for f in a.findings if f.id == "implicit-int8-transformer")
    assert "names in the log are those of a transformer: " in f.explanation


def test_a_classifier_softmax_is_not_a_transformer() -> None:
    assert all(f.id != "implicit-int8-transformer" for f in analyze(SAMPLES / "mnist_softmax_only.log").findings)


@pytest.mark.parametrize(("name", "finding"), [
    ("trt82_qat_int8_weights_failed.log", "build-failed"),
    ("trt6_no_int8_impl_segfault.log", "build-failed"),
    ("pyapi_traceback_oom.log", "build-failed"),
    ("deepstream_int8_no_calib_file.log", "int8-requested-not-used"),
])
def test_failed_or_fallen_back_builds_are_never_ok(name: str, finding: str) -> None:
    a = analyze(SAMPLES / name)
    assert a.verdict.severity == "error" and a.findings[0].id == finding


# -- the real corpus (skipped when ../shared is absent)


def test_corpus_multi_run_logs_are_segmented(corpus_logs: Path) -> None:
    for number in ("034", "035"):
        f = read_log(artifact(corpus_logs, number))
        assert len(f.builds) == 7 and all(b.int8 and b.outcome is Outcome.BUILT for b in f.builds)


def test_corpus_sample_int8_runs(corpus_logs: Path) -> None:
    f = read_log(artifact(corpus_logs, "081"))
    assert f.build.producer == "samples"
    assert [(b.int8, b.fp16) for b in f.builds] == [(False, False), (False, True), (True, False)]  # one flag per run
    assert f.calibration.batches == 2 and any(e.kind == "calibration" for e in f.int8_evidence)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["Failed", "failed", "to", "parse", "PARSE", "onnx", "ONNX", " the ", "engine", "Engine",
                                 "could not be created", "Unable to build", "Out of Memory", "OUTOFMEMORY",
                                 "std::Bad_Alloc", "ERROR: x onnx2trt", "parseGraph INVALID_", "&&&& FAILED",
                                 "&&&& PASSED", "Serialized the Engine", "Succeeded building", "Saving engine",
                                 "Segmentation fault", " ", "No non-int8 implementation of layer", "x"]), max_size=8))
def test_needles_never_hide_a_match(words: list[str]) -> None:
    """A pattern is searched only on a line holding one of its needles: every match holds one."""
    for sep in (" ", ""):
        msg = sep.join(words)
        for needles, pattern, *_ in FAILURE_PATTERNS:
            if pattern.search(msg):
                assert any(n in msg or n in msg.lower() for n in needles), (msg, pattern.pattern)
        if BUILT_RE.search(msg):
            assert any(n in msg for n in BUILT_NEEDLES), msg
