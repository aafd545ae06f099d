"""`trtdiag recipe` output, written to a file, runs start to end with ``bash -euo pipefail`` against the
stand-ins (fixtures/standins): folders created, exit statuses kept through ``| tee``, shapes for dynamic dims."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from .conftest import MODELS
from .standin_env import standin_env

MODEL = str(MODELS / "xlmr_tiny_ts_op17.onnx")


def _recipe(tmp: Path, *args: str) -> Path:
    proc = subprocess.run([sys.executable, "-m", "trtdiag", "recipe", MODEL, *args], cwd=tmp, env=standin_env(),
                          capture_output=True, text=True, timeout=120, check=True)
    script = tmp / "recipe.sh"
    script.write_text(proc.stdout)
    return script


def _run(script: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", "-euo", "pipefail", str(script)], cwd=script.parent, env=standin_env(),
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(autouse=True)
def _bash() -> None:
    if shutil.which("bash") is None:
        pytest.skip("bash is needed to run the recipe")


@pytest.mark.parametrize("version", ["10", "8.6"])
def test_recipe_runs_as_pasted(version: str, tmp_path: Path) -> None:
    script = _recipe(tmp_path, "--trt-version", version)
    text = script.read_text()
    assert "set -euo pipefail" in text and "mkdir -p" in text
    assert "WARNING: the model has dynamic dimensions" in text and "--shapes=input_ids:1x128" in text
    (tmp_path / "data_loader.py").write_text("def load_data():\n    yield {}\n")
    proc = _run(script)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert (tmp_path / "compare.html").exists() and (tmp_path / "nodes.csv").exists()
    assert "recipe: WARNING: the model has dynamic dimensions" in proc.stderr
    assert (tmp_path / "trtdiag-artifacts" / "int8" / "profile.json").exists()


def test_recipe_trt11_runs_as_pasted(tmp_path: Path) -> None:
    script = _recipe(tmp_path, "--trt-version", "11", "--shapes", "input_ids:16x128,attention_mask:16x128")
    np.savez(tmp_path / "calib.npz", input_ids=np.zeros((1, 16), np.int64),
             attention_mask=np.ones((1, 16), np.int64))
    proc = _run(script)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]


def test_recipe_stops_on_missing_data_and_failed_step(tmp_path: Path) -> None:
    script = _recipe(tmp_path, "--shapes", "input_ids:16x128,attention_mask:16x128")
    proc = _run(script)
    assert proc.returncode == 1 and "data_loader.py is missing" in proc.stderr
    (tmp_path / "data_loader.py").write_text("def load_data():\n    yield {}\n")
    script.write_text(script.read_text().replace("--verbose --skipInference", "--noSuchFlag", 1))
    proc = _run(script)
    assert proc.returncode != 0  # the failing trtexec's status survives `| tee`
    assert not (tmp_path / "trtdiag-artifacts" / "int8" / "build.log").exists()
