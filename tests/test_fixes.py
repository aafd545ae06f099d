"""Fix commands: valid syntax for the tools they call, and only nodes that exist in the model."""

from __future__ import annotations

import argparse
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from trtdiag.fixes import (
    calibration_data_snippet,
    exclusion_patterns,
    explicit_build_commands,
    layer_precision_commands,
    modelopt_command,
    sensitive_nodes,
)
from trtdiag.onnx.graph import load_graph

from .conftest import MODELS

STEMS = ["xlmr_tiny_ts_op17", "xlmr_tiny_ts_op14", "xlmr_tiny_ts_op11", "xlmr_tiny_dynamo_op17", "xlmr_tiny_dynamo_op18",
         "bert_tiny_ts_op17"]


def modelopt_parser() -> argparse.ArgumentParser:
    """The flags of `python -m modelopt.onnx.quantization` that trtdiag emits, as ModelOpt declares them
    (modelopt/onnx/quantization/__main__.py): unknown flags or bad choices fail here as they would there."""
    p = argparse.ArgumentParser(exit_on_error=False)
    p.add_argument("--onnx_path", required=True)
    p.add_argument("--quantize_mode", choices=["fp8", "int8", "int4"], default="int8")
    p.add_argument("--calibration_method", choices=["max", "entropy", "awq_clip", "rtn_dq"])
    p.add_argument("--calibration_data_path")
    p.add_argument("--high_precision_dtype", choices=["fp32", "fp16", "bf16"])
    p.add_argument("--output_path")
    p.add_argument("--nodes_to_exclude", nargs="+", default=[])
    p.add_argument("--use_external_data_format", action="store_true")
    return p


@pytest.mark.parametrize("stem", STEMS)
def test_sensitive_nodes_exist_and_are_the_right_ops(stem: str) -> None:
    g = load_graph(MODELS / f"{stem}.onnx")
    s = sensitive_nodes(g)
    assert len(s.softmax) == 2 and len(s.residual_add) >= 4
    assert len(s.layernorm) == (45 if stem in ("xlmr_tiny_ts_op14", "xlmr_tiny_ts_op11") else 5)
    for name in s.all():
        assert g.node(name) is not None
    assert all(g.node(n).op_type == "Softmax" for n in s.softmax)
    assert all(g.node(n).op_type == "Add" for n in s.residual_add)


@pytest.mark.parametrize("stem", STEMS)
def test_modelopt_command_parses_and_names_only_existing_nodes(stem: str) -> None:
    path = MODELS / f"{stem}.onnx"
    g = load_graph(path)
    cmd = modelopt_command(str(path), g, sensitive_nodes(g))
    argv = shlex.split(cmd)
    assert argv[:3] == ["python", "-m", "modelopt.onnx.quantization"]
    args = modelopt_parser().parse_args(argv[3:])
    assert args.quantize_mode == "int8" and args.high_precision_dtype == "fp16"
    names = [n.name for n in g.nodes]
    for pattern in args.nodes_to_exclude:  # ModelOpt selects with re.match
        matched = [n for n in names if re.match(pattern, n)]
        assert len(matched) == 1, (pattern, matched)


def test_external_data_models_get_the_external_data_flag() -> None:
    g = load_graph(MODELS / "xlmr_tiny_ts_op17_ext.onnx")
    args = modelopt_parser().parse_args(shlex.split(modelopt_command("m.onnx", g, None))[3:])
    assert args.use_external_data_format


def test_patterns_are_anchored() -> None:
    assert exclusion_patterns(["/a/Add"]) == [r"^/a/Add$"]
    assert not re.match(exclusion_patterns(["/a/Add"])[0], "/a/Add_1")


@pytest.mark.parametrize(("version", "flag"), [("8.6.1", "--fp16 --int8"), ("10.3.0", "--stronglyTyped"),
                                               ("11.0.0", None), (None, "--fp16 --int8")])
def test_build_commands_per_version(version: str | None, flag: str | None) -> None:
    cmds = explicit_build_commands(version)
    assert cmds[0].startswith("trtexec --onnx=model.int8.onnx")
    if flag:
        assert flag in cmds[0]
    else:  # TensorRT 11 has neither precision flags nor --stronglyTyped (always strongly typed)
        assert "--int8" not in cmds[0] and "--fp16" not in cmds[0] and "--best" not in cmds[0]


def test_calibration_snippet_is_valid_python() -> None:
    g = load_graph(MODELS / "bert_tiny_ts_op17.onnx")
    script = calibration_data_snippet(g).split("<<'EOF'\n", 1)[1].rsplit("EOF", 1)[0]
    compile(script, "snippet", "exec")
    assert "token_type_ids" in script and "np.savez('calib.npz'" in script


@pytest.mark.skipif(shutil.which("polygraphy") is None, reason="polygraphy CLI not installed")
def test_polygraphy_accepts_the_layer_precision_command(tmp_path: Path) -> None:
    """Polygraphy parses its arguments before it needs TensorRT: a bad flag fails first."""
    g = load_graph(MODELS / "xlmr_tiny_ts_op17.onnx")
    names = sensitive_nodes(g).all()
    _, poly = layer_precision_commands(str(MODELS / "xlmr_tiny_ts_op17.onnx"), names, "c.cache")
    argv = shlex.split(poly)
    assert argv[0] == "polygraphy"
    proc = subprocess.run(argv, capture_output=True, text=True, cwd=tmp_path, timeout=120)
    out = proc.stdout + proc.stderr
    assert "Unrecognized Options" not in out and "error: argument" not in out
    assert "tensorrt" in out  # it got as far as needing TensorRT


def test_trtexec_layer_precisions_syntax() -> None:
    trtexec, _ = layer_precision_commands("m.onnx", ["/a/LayerNorm", "/b/Softmax"])
    argv = shlex.split(trtexec)
    spec = next(a for a in argv if a.startswith("--layerPrecisions="))
    assert spec == "--layerPrecisions=/a/LayerNorm:fp16,/b/Softmax:fp16"
    assert "--precisionConstraints=obey" in argv and "--int8" in argv and "--fp16" in argv
