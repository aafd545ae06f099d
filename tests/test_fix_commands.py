"""Every command block of the fixture reports parses as shell, and the trtexec / polygraphy / ModelOpt ones
run as pasted against the stand-ins (fixtures/standins), which reject flags the real tools would reject.

Templates (``kind: "template"``) say what to fill in and are only parsed. Commands run in one scratch folder
per finding, in order, so that a ModelOpt step writes the Q/DQ model the next trtexec step builds."""

from __future__ import annotations

import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from trtdiag.analysis import analyze
from trtdiag.commands import TEMPLATE_MARK, BuildCommand
from trtdiag.comparison import compare_artifacts

from .conftest import FIXTURES, LOGS, MODELS
from .standin_env import standin_env

XLMR = MODELS / "xlmr_tiny_ts_op17.onnx"
CASES = [
    ("xlmr_int8_only_trtexec.log", XLMR),
    ("xlmr_int8_fp16_pyapi_calibrator.log", XLMR),
    ("xlmr_trt11_failure.log", XLMR),
    ("xlmr_verbose_parse_trt10.log", XLMR),
    ("xlmr_uniquified_names_trt10.log", XLMR),
    ("resnet_like_benign_int8_fp16.log", MODELS / "tiny_cnn_op17.onnx"),
]
RUNNABLE = ("trtexec", "polygraphy")


def _runs(argv: list[str]) -> bool:
    return bool(argv) and (argv[0] in RUNNABLE or argv[:3] == ["python", "-m", "modelopt.onnx.quantization"]
                           or argv[:3] == ["python", "-m", "modelopt.onnx.autocast"])


def _run_blocks(findings: list[dict[str, Any]], tmp: Path, model: Path) -> int:
    """Parse every block, run the runnable commands; returns how many ran."""
    ran = 0
    for f in findings:
        assert len(f["command_blocks"]) == len(f["commands"])
        work = tmp / f["id"]
        work.mkdir()
        _calibration_data(work / "calib.npz", model)
        for block in f["command_blocks"]:
            text = block["text"]
            assert block["kind"] in ("command", "template")
            if block["kind"] == "template":
                assert text.startswith(TEMPLATE_MARK) and block["fill"], text
                continue
            assert "model.onnx" not in text.split() and "--onnx=model.onnx" not in text, text
            argv = shlex.split(text, comments=True)
            if not _runs(argv):
                continue
            proc = subprocess.run(["bash", "-euo", "pipefail", "-c", text], cwd=work, env=standin_env(),
                                  capture_output=True, text=True, timeout=120)
            assert proc.returncode == 0, f"{f['id']}: {text}\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"
            ran += 1
    return ran


def _calibration_data(path: Path, model: Path) -> None:
    """What the calibration-data template writes once filled in: one array per model input."""
    import onnx

    m = onnx.load(str(model), load_external_data=False)
    inits = {i.name for i in m.graph.initializer}
    np.savez(path, **{i.name: np.zeros((1, 16), np.int64) for i in m.graph.input if i.name not in inits})


@pytest.mark.parametrize(("log", "model"), CASES, ids=[c[0] for c in CASES])
def test_analysis_commands_run(log: str, model: Path, tmp_path: Path) -> None:
    if shutil.which("bash") is None:
        pytest.skip("bash is needed to run the commands")
    doc = analyze(LOGS / log, model).to_dict()
    _run_blocks(doc["findings"], tmp_path, model)


def test_fixes_keep_the_build_command(tmp_path: Path) -> None:
    """The one-flag fix is the log's command plus --fp16; the Q/DQ rebuild keeps shapes and engine path."""
    doc = analyze(LOGS / "xlmr_int8_only_trtexec.log", XLMR).to_dict()
    by_id = {f["id"]: f for f in doc["findings"]}
    fix = BuildCommand.parse(by_id["int8-without-fp16"]["commands"][0])
    assert fix is not None and fix.has("--fp16") and fix.has("--int8")
    assert fix.value("--calib") == "xlmr_calib.cache" and fix.value("--saveEngine") == "xlmr_int8.plan"
    assert fix.value("--maxShapes") == "input_ids:16x128,attention_mask:16x128"
    rebuild = [c for c in by_id["implicit-int8-transformer"]["commands"] if "--stronglyTyped" in c]
    assert rebuild and "--maxShapes=input_ids:16x128,attention_mask:16x128" in rebuild[0]
    assert "--calib=" not in rebuild[0] and "--saveEngine=xlmr_int8.plan" in rebuild[0]
    assert _run_blocks([by_id["int8-without-fp16"], by_id["implicit-int8-transformer"]], tmp_path, XLMR) >= 4


@pytest.mark.parametrize("int8", ["int8_implicit", "int8_only", "int8_qdq"])
def test_comparison_commands_run(int8: str, tmp_path: Path) -> None:
    engines = FIXTURES / "engines"
    doc = compare_artifacts([engines / "fp16"], [engines / int8], model=XLMR).to_dict()
    _run_blocks(doc["findings"], tmp_path, XLMR)
    for f in doc["findings"]:
        for c in f["commands"]:
            if "modelopt.onnx.quantization" in c:
                assert "--nodes_to_exclude" in c and str(XLMR) in c
