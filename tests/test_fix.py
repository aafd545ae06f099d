"""``trtdiag fix`` on the planted-outlier model (fixtures/make_sensitivity_models.py): the ONNX Runtime
backend, the ModelOpt subprocess path through a stand-in (fixtures/standins/modelopt_python, NOT ModelOpt),
checks that fail, and outputs that must never replace an input."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
import shlex
import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from .conftest import FIXTURES

pytest.importorskip("onnxruntime")

from trtdiag.cli import main
from trtdiag.documents.schemas import validate
from trtdiag.onnx.graph import load_graph
from trtdiag.sensitivity.data import synthetic_batches

SHAPES = "input_ids:2x32,attention_mask:2x32"
BLOCK1 = "/encoder/layer.1/"
STANDIN = FIXTURES / "standins" / "modelopt_python"


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The outlier model and a calibration .npz of 12 samples (3 batches of 4: 1 calibration, 2 held out)."""
    tmp = tmp_path_factory.mktemp("fix")
    spec = importlib.util.spec_from_file_location("make_sensitivity_models", FIXTURES / "make_sensitivity_models.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    model = module.make_outlier_model(tmp / "outlier.onnx")
    batches = synthetic_batches(load_graph(model), 6, seed=3, shapes=SHAPES)
    np.savez(tmp / "calib.npz", **{k: np.concatenate([b[k] for b in batches]) for k in batches[0]})
    return tmp


@pytest.fixture(scope="module")
def sens(work: Path) -> Path:
    """A minimal saved ranking (block 1 first) so that tests about other stages skip the sweep."""
    block1 = [n.name for n in load_graph(work / "outlier.onnx").nodes
              if n.name.startswith(BLOCK1) and n.op_type == "MatMul"]
    doc = {"schema": "trtdiag.sensitivity/1", "granularity": "block",
           "ranking": [{"label": "block 1", "nodes": block1}, {"label": "pooler", "nodes": ["/pooler/dense/Gemm"]}],
           "curve": [{"excluded": 0, "error": 0.01}, {"excluded": 1, "error": 0.003}, {"excluded": 2, "error": 0.0}],
           "recommended": {"excluded_groups": 1, "nodes": block1}}
    (work / "sens.json").write_text(json.dumps(doc))
    return work / "sens.json"


def _fix(work: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    r = CliRunner().invoke(main, ["fix", str(work / "outlier.onnx"), "--data", str(work / "calib.npz"),
                                  "--workers", "1", *args], env=env)
    return r.exit_code, r.stdout, r.stderr


def _row(out: str, name: str) -> tuple[float, float]:
    line = next(ln for ln in out.splitlines() if ln.strip().startswith(name))
    before, after = line.split()[-2:]
    return float(before), float(after)


@pytest.fixture(scope="module")
def fixed(work: Path) -> tuple[int, str, dict]:
    code, out, _ = _fix(work, "--exclude-top", "1", "-o", str(work / "fixed.onnx"), "--json", str(work / "fix.json"))
    return code, out, json.loads((work / "fix.json").read_text())


def test_onnxruntime_fix_passes_and_excludes_the_planted_block(work: Path, fixed: tuple[int, str, dict]) -> None:
    code, out, doc = fixed
    assert code == 0, out
    validate(doc)
    assert doc["backend"] == "onnxruntime" and doc["passed"] and doc["failed_checks"] == []
    assert doc["selection"]["groups"] == ["block 1"]
    block1 = [n.name for n in load_graph(work / "outlier.onnx").nodes
              if n.name.startswith(BLOCK1) and n.op_type == "MatMul"]
    assert set(block1) <= set(doc["selection"]["nodes"]) and len(block1) == 8
    g = load_graph(work / "fixed.onnx")  # the written model really leaves them in float
    for name in block1:
        node = next(n for n in g.nodes if n.name == name)
        assert all((p := g.producer_of(t)) is None or p.op_type != "DequantizeLinear" for t in node.inputs)
    other = next(n for n in g.nodes if n.name == "/encoder/layer.0/output/dense/MatMul")
    assert any((p := g.producer_of(t)) is not None and p.op_type == "DequantizeLinear" for t in other.inputs)
    before, after = _row(out, "error (1 - cosine)")
    assert after < before / 2 and doc["after"]["error"] < doc["before"]["error"] / 2
    assert doc["before"]["accuracy_class"] == "degraded" and doc["after"]["accuracy_class"] == "int8-level"
    assert doc["after"]["lint_errors"] == 0 and doc["after"]["non_finite_tensors"] == []
    assert "every check passed" in out and "FAILED" not in out
    assert "trtexec --onnx=" in out and "--stronglyTyped" in out and "--fp16 --int8" in out
    # ONNX Runtime's Q/DQ model is FP32 elsewhere: AutoCast to FP16 before the strongly typed build
    assert "python -m modelopt.onnx.autocast --onnx_path" in out and ".fp16.onnx --stronglyTyped" in out


def test_unreachable_max_error_fails_the_accuracy_check(work: Path) -> None:
    code, out, err = _fix(work, "--max-error", "0", "-o", str(work / "strict.onnx"))
    assert code == 1
    assert "FAILED check(s): accuracy" in out and "above --max-error 0" in out
    assert "success" not in (out + err).lower() and "every check passed" not in out
    assert "check accuracy: FAILED" in out


def test_output_over_the_input_is_refused_and_the_input_kept(work: Path) -> None:
    model = work / "outlier.onnx"
    digest = hashlib.sha256(model.read_bytes()).hexdigest()
    code, _, err = _fix(work, "-o", str(model))
    assert code == 2 and "would overwrite the input" in err and len(err.strip().splitlines()) == 1
    code, _, err = _fix(work, "-o", str(work / "x.onnx"), "--json", str(work / "calib.npz"))
    assert code == 2 and "calib.npz" in err
    assert hashlib.sha256(model.read_bytes()).hexdigest() == digest


@pytest.mark.parametrize("args, words", [
    (["--exclude-top", "1", "--max-error", "0.1"], "not both"),
    (["--exclude-top", "99", "--from-sensitivity", "SENS"], "ranks only"),
    (["--max-error", "nan"], "--max-error"),
    (["--backend", "modelopt", "--modelopt-python", "/nonexistent/python"], "does not exist"),
])
def test_bad_arguments_are_one_line_exit_2(work: Path, sens: Path, args: list[str], words: str) -> None:
    code, _, err = _fix(work, "-o", str(work / "bad.onnx"), *(str(sens) if a == "SENS" else a for a in args))
    assert code == 2 and words in err and len(err.strip().splitlines()) == 1


def test_from_sensitivity_document_of_another_model_is_refused(work: Path, tmp_path: Path) -> None:
    doc = {"schema": "trtdiag.sensitivity/1", "ranking": [{"label": "x", "nodes": ["/no/such/MatMul"]}],
           "curve": [{"excluded": 0, "error": 0.1}], "recommended": {"excluded_groups": 1}}
    (tmp_path / "sens.json").write_text(json.dumps(doc))
    code, _, err = _fix(work, "--from-sensitivity", str(tmp_path / "sens.json"), "-o", str(tmp_path / "o.onnx"))
    assert code == 2 and "another model" in err


def test_modelopt_subprocess_path_with_the_stand_in(work: Path, sens: Path, tmp_path: Path) -> None:
    log = tmp_path / "argv.jsonl"
    before = (work / "outlier.onnx").read_bytes()
    env = {"TRTDIAG_STANDIN_LOG": str(log), "PYTHONPATH": os.pathsep.join(filter(None, [
        str(FIXTURES.parent), os.environ.get("PYTHONPATH", "")]))}
    code, out, err = _fix(work, "--from-sensitivity", str(sens), "--modelopt-python", str(STANDIN), "-o",
                          str(tmp_path / "mo.onnx"), "--json", str(tmp_path / "mo.json"), env=env)
    assert code == 0, out + err
    # The stand-in, like ModelOpt 0.47, writes over its --onnx_path: fix must hand it a copy.
    assert (work / "outlier.onnx").read_bytes() == before
    assert json.loads((tmp_path / "mo.json").read_text())["backend"] == "modelopt"
    assert "modelopt.onnx.autocast" not in out  # ModelOpt's output is FP16 outside the Q/DQ already
    argv = json.loads(log.read_text().splitlines()[-1])
    assert argv[:3] == ["python", "-m", "modelopt.onnx.quantization"]
    assert argv[argv.index("--op_types_to_exclude_fp16") + 1] == "Mul"  # the finfo.min mask hazard
    patterns = argv[argv.index("--nodes_to_exclude") + 1:argv.index("--op_types_to_exclude_fp16")]
    assert r"^/encoder/layer\.1/output/dense/MatMul$" in patterns and len(patterns) == 8
    assert not any(re.search("Softmax|LayerNorm", p) for p in patterns)
    env["STANDIN_FAIL"] = "1"
    code, _, err = _fix(work, "--from-sensitivity", str(sens), "--modelopt-python", str(STANDIN), "-o",
                        str(tmp_path / "mo2.onnx"), env=env)
    assert code == 2 and "ModelOpt failed (exit 1)" in err and "stand-in asked to fail" in err
    assert not (tmp_path / "mo2.onnx").exists()


def test_the_fp16_mask_hazard_fails_the_non_finite_check(work: Path, tmp_path: Path) -> None:
    """ModelOpt's FP16 conversion without --op_types_to_exclude_fp16 Mul (imitated by the stand-in)."""
    from trtdiag.fix.check import CheckName, check_model, reference
    from trtdiag.sensitivity.data import make_dataset

    out = tmp_path / "hazard.onnx"
    shutil.copyfile(work / "outlier.onnx", tmp_path / "input.onnx")  # the stand-in writes over its input
    cmd = (f"{shlex.quote(str(STANDIN))} -m modelopt.onnx.quantization --onnx_path {tmp_path / 'input.onnx'} "
           f"--calibration_data_path {work / 'calib.npz'} --calibration_shapes input_ids:4x32,attention_mask:4x32 "
           f"--output_path {out}")
    assert os.system(cmd + " >/dev/null 2>&1") == 0
    g = load_graph(work / "outlier.onnx")
    ref = reference(work / "outlier.onnx", g, make_dataset(g, str(work / "calib.npz"), None).evaluation)
    m = check_model("hazard", out, ref, 0, None)
    assert [c.name for c in m.failed][:1] == [CheckName.NON_FINITE]
    assert m.non_finite and m.non_finite[0].endswith("Softmax_output_0")


def test_real_modelopt_when_installed(work: Path, tmp_path: Path) -> None:
    from trtdiag.fix.backends import modelopt_available

    python = os.environ.get("TRTDIAG_MODELOPT_PYTHON")
    if not python or not modelopt_available(python):
        pytest.skip("ModelOpt not installed: set TRTDIAG_MODELOPT_PYTHON to the python of its venv (README)")
    before = (work / "outlier.onnx").read_bytes()
    code, out, err = _fix(work, "--exclude-top", "1", "--backend", "modelopt", "--modelopt-python", python,
                          "-o", str(tmp_path / "real.onnx"))
    assert code == 0, out + err
    assert (work / "outlier.onnx").read_bytes() == before  # ModelOpt writes over its --onnx_path: a copy got it
