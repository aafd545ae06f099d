"""trtdiag.testing helpers: each passes on a good build and fails with a message that explains why."""

from __future__ import annotations

from pathlib import Path

import pytest

import trtdiag
from trtdiag.testing import (
    assert_int8_coverage,
    assert_no_finding,
    assert_no_missing_scales,
)

from .conftest import LOGS, MODELS, plugin_args

XLMR = MODELS / "xlmr_tiny_ts_op17.onnx"


@pytest.fixture(scope="module")
def failed_build():
    return trtdiag.analyze(LOGS / "xlmr_int8_only_trtexec.log", XLMR)


@pytest.fixture(scope="module")
def benign_build():
    return trtdiag.analyze(LOGS / "resnet_like_benign_int8_fp16.log", MODELS / "tiny_cnn_op17.onnx")


def test_no_missing_scales_passes_when_only_integer_and_weights_warn(benign_build) -> None:
    assert_no_missing_scales(benign_build)


def test_no_missing_scales_message(failed_build) -> None:
    with pytest.raises(AssertionError) as info:
        assert_no_missing_scales(failed_build)
    msg = str(info.value)
    assert msg.startswith("34 tensors lack INT8 scales (allowed: integer, weights); 34 activation")
    assert "block 1:" in msg and "/encoder/layer.1/attention/self/key/MatMul_output_0" in msg
    assert "... and" in msg  # capped for large models
    assert "Likely cause:" in msg and "[int8-without-fp16]" in msg and "fix:" in msg
    assert "trtdiag analyze" in msg  # points to the report


def test_allow_patterns_and_categories(failed_build) -> None:
    assert_no_missing_scales(failed_build, allow=("integer", "weights", "helpers", r"^/encoder/layer\.1/", "^last_hidden"))
    with pytest.raises(AssertionError, match="tensors lack INT8 scales"):
        assert_no_missing_scales(failed_build, allow=())


def test_no_finding(failed_build, benign_build) -> None:
    assert_no_finding(benign_build, "int8-without-fp16")
    with pytest.raises(AssertionError) as info:
        assert_no_finding(failed_build, "int8-without-fp16")
    msg = str(info.value)
    assert "trtdiag found 'int8-without-fp16' (error)" in msg and "why:" in msg and "fix:" in msg
    assert "log lines:" in msg


def test_int8_coverage(failed_build, benign_build) -> None:
    assert_int8_coverage(benign_build, min_mac_share=0.9)
    with pytest.raises(AssertionError) as info:
        assert_int8_coverage(failed_build, min_mac_share=0.9)
    msg = str(info.value)
    assert "INT8 covers 0.0% of GEMM/Conv MACs, expected at least 90.0%" in msg
    assert "17 MatMul/Gemm/Conv nodes not in INT8" in msg and "[implicit-int8-transformer]" in msg


def test_coverage_needs_a_model() -> None:
    a = trtdiag.analyze(LOGS / "xlmr_int8_only_trtexec.log")
    with pytest.raises(AssertionError, match="unknown"):
        assert_int8_coverage(a)


def test_report_path_is_quoted(failed_build, tmp_path: Path) -> None:
    from dataclasses import replace

    with pytest.raises(AssertionError, match=r"Full report: /some/report\.html"):
        assert_no_finding(replace(failed_build, report_path="/some/report.html"), "implicit-int8-transformer")


def test_plugin_in_a_pytester_run(pytester: pytest.Pytester) -> None:
    report_dir = pytester.path / "reports"
    pytester.makepyfile(f"""
        from trtdiag.testing import assert_no_finding

        def test_good(trtdiag_analyze):
            a = trtdiag_analyze(r"{LOGS / 'resnet_like_benign_int8_fp16.log'}", r"{MODELS / 'tiny_cnn_op17.onnx'}")
            assert_no_finding(a, "int8-without-fp16")

        def test_bad(trtdiag_analyze):
            a = trtdiag_analyze(r"{LOGS / 'xlmr_int8_only_trtexec.log'}", r"{XLMR}")
            assert_no_finding(a, "int8-without-fp16")
    """)
    result = pytester.runpytest_subprocess(*plugin_args(), f"--trtdiag-report-dir={report_dir}")
    result.assert_outcomes(passed=1, failed=1)
    out = result.stdout.str()
    assert "trtdiag found 'int8-without-fp16'" in out and "Full report:" in out
    assert "trtdiag reports" in out
    reports = sorted(p.name for p in report_dir.glob("*.html"))
    assert len(reports) == 2 and any("test_bad" in r for r in reports)


def test_plugin_option_is_listed(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess(*plugin_args(), "--help")
    assert "--trtdiag-report-dir" in result.stdout.str()


def test_capped_lists_add_up() -> None:
    """A finding keeps a sample of its tensors and their total: shown + "more" must equal the total."""
    from trtdiag.testing import _cap

    text = _cap([f"t{i}" for i in range(25)], total=48)
    assert text.count("\n    t") + 1 == 12 and text.endswith("... and 36 more")
    assert "more" not in _cap(["a", "b"], total=2)
