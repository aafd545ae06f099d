"""`trtdiag recipe` commands per TensorRT version, and `trtdiag collect` without and with (stand-in) TensorRT."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from trtdiag.errors import InputError
from trtdiag.recipe import build_recipe, parse_version

from .conftest import FIXTURES, MODELS, ROOT

MODEL = str(MODELS / "xlmr_tiny_ts_op17.onnx")


def _argvs(version: str) -> list[list[str]]:
    return [list(s.argv) for s in build_recipe(MODEL, trt_version=version, shapes="input_ids:16x128").steps]


def test_trt10_recipe() -> None:
    argvs = _argvs("10.3")
    tools = [a[0] for a in argvs]
    assert tools == ["trtexec", "trtexec", "polygraphy", "trtexec", "trtexec"]
    fp16_build, fp16_prof, calib, int8_build, int8_prof = argvs
    assert "--fp16" in fp16_build and "--int8" not in fp16_build
    assert {"--int8", "--fp16"} <= set(int8_build) and any(a.startswith("--calib=") for a in int8_build)
    for build in (fp16_build, int8_build):
        assert "--profilingVerbosity=detailed" in build and "--skipInference" in build
        assert any(a.startswith("--exportLayerInfo=") for a in build)
    for prof in (fp16_prof, int8_prof):
        assert any(a.startswith("--loadEngine=") for a in prof) and "--separateProfileRun" in prof
        assert any(a.startswith("--exportProfile=") for a in prof) and any(a.startswith("--exportTimes=") for a in prof)
    assert calib[:2] == ["polygraphy", "convert"] and "--calibration-cache" in calib
    assert calib[calib.index("--trt-opt-shapes") + 1] == "input_ids:[16,128]"


def test_trt8_uses_build_only() -> None:
    assert all("--skipInference" not in a for a in _argvs("8.6"))
    assert any("--buildOnly" in a for a in _argvs("8.6"))


def test_trt11_has_no_precision_flags() -> None:
    argvs = _argvs("11.0")
    flat = [x for a in argvs for x in a]
    for removed in ("--fp16", "--int8", "--best", "--separateProfileRun", "--useCudaGraph"):
        assert removed not in flat
    assert not any(x.startswith("--calib=") for a in argvs if a[0] == "trtexec" for x in a)
    assert argvs[1][:3] == ["python", "-m", "modelopt.onnx.quantization"]


def test_recipe_text_is_shell() -> None:
    text = build_recipe(MODEL, trt_version="10").text()
    for line in text.splitlines():
        if line and not line.startswith("#"):
            shlex.split(line)  # every command line is valid shell
    assert "trtdiag compare --fp16" in text


@pytest.mark.parametrize("bad", ["7.1", "ten"])
def test_bad_versions(bad: str) -> None:
    with pytest.raises(InputError):
        parse_version(bad)


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "trtdiag", *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=300)


def test_recipe_cli(tmp_path: Path) -> None:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = _run(["recipe", MODEL, "--trt-version", "10", "--shapes", "input_ids:1x128,attention_mask:1x128"],
                tmp_path, env)
    assert proc.returncode == 0 and proc.stdout.startswith("#!/usr/bin/env bash\n# trtdiag recipe for")


def test_collect_without_tensorrt_exits_2(tmp_path: Path) -> None:
    env = dict(os.environ, PYTHONPATH=str(ROOT), PATH="/usr/bin:/bin")
    proc = _run(["collect", MODEL], tmp_path, env)
    assert proc.returncode == 2
    assert proc.stderr.startswith("trtdiag: error: TensorRT is not available here") and proc.stderr.count("\n") == 1


def test_collect_runs_the_recipe_against_standins(tmp_path: Path) -> None:
    """`collect` with stand-ins for trtexec/polygraphy (fixtures/standins) that replay recorded output.

    This checks the commands collect builds and the pipeline after them; it is not TensorRT."""
    import json

    standins = FIXTURES / "standins"
    calls = tmp_path / "calls.jsonl"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), str(standins / "pythonpath")]),
               PATH=os.pathsep.join([str(standins), str(Path(sys.executable).parent), "/usr/bin", "/bin"]),
               TRTDIAG_STANDIN_LOG=str(calls))
    proc = _run(["collect", MODEL, "--shapes", "input_ids:16x128,attention_mask:16x128", "--out", "art",
                 "-o", "compare.html"], tmp_path, env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.startswith("trtdiag: compare: INT8 speed-up")
    argvs = [json.loads(line)["argv"] if isinstance(json.loads(line), dict) else json.loads(line)
             for line in calls.read_text().splitlines()]
    tools = [Path(a[0]).name for a in argvs]
    assert tools == ["trtexec", "trtexec", "polygraphy", "trtexec", "trtexec"]
    recipe = build_recipe(MODEL, trt_version="10.3.0", shapes="input_ids:16x128,attention_mask:16x128", out_dir="art")
    assert [a[1:] for a in argvs] == [list(s.argv[1:]) for s in recipe.steps]
    assert (tmp_path / "compare.html").exists() and (tmp_path / "art" / "compare.json").exists()
    assert (tmp_path / "art" / "int8" / "build.log").exists()
