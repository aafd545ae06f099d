"""Polygraphy-style data-loader scripts (``--data-loader-script``) and the ``assert_sensitivity_below`` helper."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from trtdiag.cli import main
from trtdiag.errors import InputError
from trtdiag.onnx.graph import load_graph
from trtdiag.sensitivity.loader import load_script_batches, split_spec

from .conftest import MODELS

CNN = MODELS / "tiny_cnn_op17.onnx"
LOADER = """
import numpy as np

def {name}():
    rng = np.random.default_rng(0)
    for _ in range(4):
        yield {{"input": rng.standard_normal((2, 3, 32, 32)).astype(np.float32)}}
"""


def _script(tmp_path: Path, body: str, name: str = "loader.py") -> Path:
    path = tmp_path / name
    path.write_text(body)
    return path


def test_split_spec_defaults_to_load_data(tmp_path: Path) -> None:
    assert split_spec("s.py") == (Path("s.py"), "load_data")
    assert split_spec("dir/s.py:make_feeds") == (Path("dir/s.py"), "make_feeds")


def test_script_batches_are_cast_and_named(tmp_path: Path) -> None:
    path = _script(tmp_path, LOADER.format(name="feeds"))
    batches = load_script_batches(f"{path}:feeds", load_graph(CNN))
    assert len(batches) == 4 and batches[0]["input"].shape == (2, 3, 32, 32)
    with pytest.raises(InputError, match="defines no function load_data"):
        load_script_batches(str(path), load_graph(CNN))


@pytest.mark.parametrize("body, words", [
    ("import no_such_module_here\n", "failed on import: ModuleNotFoundError"),
    ("def load_data():\n    raise RuntimeError('disk gone')\n", "load_data() failed: RuntimeError: disk gone"),
    ("def load_data():\n    yield {'other': 1}\n", "lacks model input(s) input"),
    ("def load_data():\n    return []\n", "gave no batch"),
    ("import sys\nsys.exit(3)\n", "failed on import: SystemExit"),
])
def test_broken_scripts_are_one_line_exit_2_naming_the_script(tmp_path: Path, body: str, words: str) -> None:
    path = _script(tmp_path, body, "broken_loader.py")
    r = CliRunner().invoke(main, ["sensitivity", str(CNN), "--data-loader-script", str(path), "--workers", "1"])
    assert r.exit_code == 2 and words in r.stderr and "broken_loader.py" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    r = CliRunner().invoke(main, ["fix", str(CNN), "--data-loader-script", str(path), "-o", str(tmp_path / "o.onnx")])
    assert r.exit_code == 2 and "broken_loader.py" in r.stderr


def test_sensitivity_reads_a_loader_script(tmp_path: Path) -> None:
    pytest.importorskip("onnxruntime")
    path = _script(tmp_path, LOADER.format(name="load_data"))
    r = CliRunner().invoke(main, ["sensitivity", str(CNN), "--data-loader-script", str(path), "--workers", "1",
                                  "--json", str(tmp_path / "s.json")])
    assert r.exit_code == 0, r.stderr
    doc = json.loads((tmp_path / "s.json").read_text())
    assert doc["data"] == {"source": str(path), "synthetic": False, "calibration_batches": 2,
                           "evaluation_batches": 2, "shapes": {"input": [2, 3, 32, 32]}, "seed": 0}
    assert "SYNTHETIC" not in r.stderr


def test_assert_sensitivity_below_passes_and_fails(tmp_path: Path) -> None:
    pytest.importorskip("onnxruntime")
    from trtdiag.testing import assert_sensitivity_below

    path = _script(tmp_path, LOADER.format(name="load_data"))
    score = assert_sensitivity_below(CNN, path, 0.5)
    assert 0 < score.error < 0.5
    with pytest.raises(AssertionError, match=r"exceeds max_error 1e-09\n  most sensitive blocks") as info:
        assert_sensitivity_below(CNN, path, 1e-9)
    assert "error with only this group in INT8" in str(info.value)


@pytest.mark.parametrize("args, exc", [
    (("no_such.onnx", None, 0.1), ValueError),
    ((CNN, None, float("nan")), ValueError),
    ((CNN, None, -1), ValueError),
    ((CNN, 42, 0.1), TypeError),
    ((None, None, 0.1), TypeError),
])
def test_assert_sensitivity_below_validates_arguments(args: tuple, exc: type) -> None:
    from trtdiag.testing import assert_sensitivity_below

    with pytest.raises(exc):
        assert_sensitivity_below(*args)
    with pytest.raises(TypeError, match="unknown option"):
        assert_sensitivity_below(CNN, None, 0.1, granularty="role")
