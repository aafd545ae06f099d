"""The fix trtdiag proposes for an implicit-INT8 failure (ModelOpt ONNX PTQ) gives a placement the linter passes.

ModelOpt does not run here: ``pip download --no-deps nvidia-modelopt`` gives 0.47.0, which requires
``torch>=2.8`` and, for ONNX, ``onnxruntime-gpu~=1.24`` and ``onnx~=1.21`` (not installed; they would replace the
onnx/onnxruntime the project tests with). So the test builds by hand what the command of
``trtdiag.fixes.modelopt_command`` produces for ``fixtures/models/xlmr_tiny_ts_op17.onnx``: INT8 Q/DQ on both
inputs of every MatMul/Gemm, symmetric (zero-point 0), weights stored as INT8 initializers with per-channel scales
on the output-channel axis, activations with one Q/DQ pair per tensor, and every node matched by the command's
``--nodes_to_exclude`` patterns (``re.match``, as ModelOpt does) left in float.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import numpy as np
import pytest

from trtdiag.fixes import modelopt_command, sensitive_nodes
from trtdiag.lint.run import lint_model
from trtdiag.onnx.graph import load_graph
from trtdiag.testing import assert_qdq_placement_clean

from .conftest import ROOT

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

MODEL = ROOT / "fixtures" / "models" / "xlmr_tiny_ts_op17.onnx"
GEMMS = ("MatMul", "Gemm")


def _excluded_patterns(command: str) -> list[str]:
    """The ``--nodes_to_exclude`` regexes of the fix's command line, exactly as a shell would pass them."""
    words = shlex.split(command)
    if "--nodes_to_exclude" not in words:
        return []
    rest = words[words.index("--nodes_to_exclude") + 1:]
    return [w for w in rest if not w.startswith("--")]


def _weight_axis(node: onnx.NodeProto, index: int) -> int:
    """Output-channel axis of a GEMM weight: N of a MatMul's [K, N], of a Gemm's [K, N] or (transB) [N, K]."""
    if node.op_type == "Gemm":
        attrs = {a.name: a.i for a in node.attribute}
        trans = attrs.get("transB" if index == 1 else "transA", 0)
        return 0 if (index == 1 and trans) else 1
    return 1


def quantize_like_modelopt(model: onnx.ModelProto, exclude: list[str]) -> tuple[onnx.ModelProto, list[str]]:
    """Q/DQ on MatMul/Gemm inputs as ModelOpt's INT8 ONNX PTQ places them; returns the model and quantized nodes."""
    g = model.graph
    inits = {t.name: t for t in g.initializer}
    new_nodes: list[onnx.NodeProto] = []
    act_dq: dict[str, str] = {}  # activation tensor -> its dequantized copy (one Q/DQ pair per tensor)
    quantized: list[str] = []
    for node in list(g.node):
        if node.op_type not in GEMMS or any(re.match(p, node.name) for p in exclude):
            new_nodes.append(node)
            continue
        quantized.append(node.name)
        for i, t in enumerate(list(node.input[:2])):
            if t in inits and inits[t].data_type == TensorProto.FLOAT:
                w = numpy_helper.to_array(inits[t])
                axis = _weight_axis(node, i)
                reduce = tuple(a for a in range(w.ndim) if a != axis)
                scale = np.maximum(np.abs(w).max(axis=reduce), 1e-8).astype(np.float32) / 127.0
                shape = [1] * w.ndim
                shape[axis] = -1
                q = np.clip(np.round(w / scale.reshape(shape)), -127, 127).astype(np.int8)
                g.initializer.extend([numpy_helper.from_array(q, f"{t}_int8"),
                                      numpy_helper.from_array(scale, f"{t}_scale"),
                                      numpy_helper.from_array(np.zeros_like(scale, dtype=np.int8), f"{t}_zp")])
                new_nodes.append(helper.make_node("DequantizeLinear", [f"{t}_int8", f"{t}_scale", f"{t}_zp"],
                                                  [f"{t}_dq_{node.name}"], name=f"{t}_DequantizeLinear_{node.name}",
                                                  axis=axis))
                node.input[i] = f"{t}_dq_{node.name}"
                continue
            if t not in act_dq:
                g.initializer.extend([numpy_helper.from_array(np.array(0.05, np.float32), f"{t}_act_scale"),
                                      numpy_helper.from_array(np.array(0, np.int8), f"{t}_act_zp")])
                new_nodes.append(helper.make_node("QuantizeLinear", [t, f"{t}_act_scale", f"{t}_act_zp"], [f"{t}_q"],
                                                  name=f"{t}_QuantizeLinear"))
                new_nodes.append(helper.make_node("DequantizeLinear", [f"{t}_q", f"{t}_act_scale", f"{t}_act_zp"],
                                                  [f"{t}_dq"], name=f"{t}_DequantizeLinear"))
                act_dq[t] = f"{t}_dq"
            node.input[i] = act_dq[t]
        new_nodes.append(node)
    del g.node[:]
    g.node.extend(new_nodes)
    return model, quantized


@pytest.fixture(scope="module")
def fixed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str], list[str]]:
    graph = load_graph(MODEL)
    command = modelopt_command(str(MODEL), graph, sensitive_nodes(graph))
    exclude = _excluded_patterns(command)
    model, quantized = quantize_like_modelopt(onnx.load(str(MODEL)), exclude)
    onnx.checker.check_model(model, full_check=True)
    path = tmp_path_factory.mktemp("modelopt") / "xlmr_tiny_ts_op17.int8.onnx"
    onnx.save(model, str(path))
    return path, quantized, exclude


def test_the_fix_excludes_sensitive_nodes_and_quantizes_every_gemm(fixed: tuple[Path, list[str], list[str]]) -> None:
    path, quantized, exclude = fixed
    graph = load_graph(MODEL)
    gemms = [n.name for n in graph.nodes if n.op_type in GEMMS]
    assert exclude and all(p.startswith("^") and p.endswith("$") for p in exclude)
    assert set(quantized) == set(gemms)  # the fix never excludes a MatMul/Gemm of this model
    assert load_graph(path).qdq_nodes > 2 * len(gemms)


def test_the_linter_finds_nothing_of_warning_or_worse_in_the_fixed_model(
        fixed: tuple[Path, list[str], list[str]]) -> None:
    path, _, _ = fixed
    # The mask constant's FP16 hazard is not a Q/DQ placement matter (ModelOpt: --op_types_to_exclude_fp16 Mul)
    result = assert_qdq_placement_clean(path, allow=["fp16-overflow-constant"])
    assert result.by_id("unquantized-gemm-share") == []  # every GEMM is quantized
    assert [f.id for f in result.findings] == ["fp16-overflow-constant"]


def test_the_float_model_is_what_the_fix_starts_from() -> None:
    result = lint_model(MODEL)
    assert result.qdq_nodes == 0
    assert [f.id for f in result.findings] == ["fp16-overflow-constant", "unquantized-gemm-share"]
