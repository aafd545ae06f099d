"""Loading saved outputs: RunResults JSON with several runners, .npz, and the one-line checks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from polygraphy import json as pjson  # type: ignore[import-untyped]
from polygraphy.comparator import RunResults  # type: ignore[import-untyped]

from trtdiag.accuracy.load import common_names, load_inputs, load_results, pick_reference
from trtdiag.accuracy.pipeline import accuracy_from_files
from trtdiag.errors import InputError


def _save(path: Path, runners: dict[str, list[dict[str, np.ndarray]]]) -> Path:
    runs = RunResults()
    for name, iterations in runners.items():
        runs.add(iterations, runner_name=name)
    runs.save(str(path))
    return path


def test_one_file_with_reference_and_tensorrt_runner(tmp_path: Path) -> None:
    """``polygraphy run --onnxrt --trt --save-outputs both.json`` holds both runners in one file."""
    x = np.linspace(-1, 1, 64, dtype=np.float32).reshape(4, 16)
    both = _save(tmp_path / "both.json", {"trt-runner-N6-a": [{"y": x + 1e-3}], "onnxrt-runner-N0-a": [{"y": x}]})
    ref = pick_reference(load_results(both))
    assert ref.runner == "onnxrt-runner-N0-a"
    result = accuracy_from_files([both], reference=both)
    assert [c.runner for c in result.candidates] == ["trt-runner-N6-a"]


def test_npz_outputs_and_inputs(tmp_path: Path) -> None:
    path = tmp_path / "int8_out.npz"
    np.savez(path, y=np.ones((2, 3), np.float32))
    (run,) = load_results(path)
    assert run.runner == "int8_out" and run.names == ("y",)
    feeds = tmp_path / "inputs.json"
    pjson.save_json([{"x": np.zeros(3)}, {"x": np.ones(3)}], str(feeds))
    assert len(load_inputs(feeds)) == 2
    with pytest.raises(InputError, match="--save-inputs file"):
        load_results(feeds)


def test_mismatches_are_input_errors(tmp_path: Path) -> None:
    y = np.ones((2, 3), np.float32)
    ref = load_results(_save(tmp_path / "r.json", {"onnxrt-runner": [{"y": y}, {"y": y}]}))[0]
    one = load_results(_save(tmp_path / "c1.json", {"trt-runner-N0": [{"y": y}]}))[0]
    with pytest.raises(InputError, match="1 iterations, the reference"):
        common_names(ref, one)
    other = load_results(_save(tmp_path / "c2.json", {"trt-runner-N0": [{"z": y}, {"z": y}]}))[0]
    with pytest.raises(InputError, match="no tensor names in common"):
        common_names(ref, other)
    empty = tmp_path / "empty.json"
    empty.write_text("")
    with pytest.raises(InputError, match="empty"):
        load_results(empty)
