"""Name mapping rules of trtdiag/naming.py (exact, <weights>_output, _N, " (N)", verbose parse context) on the fixture XLM-R model."""

from __future__ import annotations

from pathlib import Path

import pytest

from trtdiag.log.collector import read_log
from trtdiag.naming import (
    ACTIVATION,
    BY_CONSTANT,
    BY_DUPLICATE,
    BY_EXACT,
    BY_LAYER_OUTPUT,
    BY_NONE,
    BY_UNIQUIFIED,
    BY_VERBOSE,
    GRAPH_INPUT,
    PARSER_HELPER,
    UNKNOWN,
    UNNAMED_LAYER,
    WEIGHT,
    map_missing_scales,
)
from trtdiag.onnx.graph import load_graph

from .conftest import MODELS

WARN = "[01/01/2026-00:00:00] [TRT] [W] Missing scale and zero-point for tensor {}, expect fall back to non-int8 implementation for any layer consuming or producing given tensor\n"


@pytest.fixture(scope="module")
def graph():
    return load_graph(MODELS / "xlmr_tiny_ts_op17.onnx")


def _map(tmp_path: Path, graph, names: list[str], verbose: str = ""):
    p = tmp_path / "b.log"
    p.write_text(verbose + "".join(WARN.format(n) for n in names))
    return map_missing_scales(read_log(p), graph)


CASES = [
    ("input_ids", GRAPH_INPUT, BY_EXACT, None, None, True),
    ("/encoder/layer.1/attention/self/query/MatMul_output_0", ACTIVATION, BY_EXACT,
     "/encoder/layer.1/attention/self/query/MatMul", (1, "attention.self.query"), False),
    ("encoder.layer.0.attention.output.LayerNorm.bias_output", WEIGHT, BY_CONSTANT, None,
     (0, "attention.output.LayerNorm"), False),
    ("onnx::MatMul_282_output", WEIGHT, BY_CONSTANT, None, None, False),
    ("/encoder/layer.0/attention/self/Softmax_output", ACTIVATION, BY_LAYER_OUTPUT,
     "/encoder/layer.0/attention/self/Softmax", (0, "attention.self"), False),
    ("/encoder/layer.0/attention/self/Softmax_output_0 (1)", ACTIVATION, BY_DUPLICATE,
     "/encoder/layer.0/attention/self/Softmax", (0, "attention.self"), False),
    ("/encoder/layer.0/attention/output/LayerNorm/LayerNormalization_output_0_7", ACTIVATION, BY_UNIQUIFIED,
     "/encoder/layer.0/attention/output/LayerNorm/LayerNormalization", (0, "attention.output.LayerNorm"), False),
    ("ONNXTRT_Broadcast_163_output", PARSER_HELPER, BY_NONE, None, None, False),
    ("(Unnamed Layer* 117) [ElementWise]_output", UNNAMED_LAYER, BY_NONE, None, None, False),
    ("something_else_entirely", UNKNOWN, BY_NONE, None, None, False),
]


@pytest.mark.parametrize(("name", "cls", "how", "node", "module", "integer"), CASES, ids=[c[0][:40] for c in CASES])
def test_mapping_rules(tmp_path: Path, graph, name, cls, how, node, module, integer) -> None:
    t = _map(tmp_path, graph, [name]).tensors[0]
    assert (t.cls, t.mapped_by, t.onnx_node) == (cls, how, node)
    if module is not None:
        assert (t.block, t.submodule) == module
    assert t.is_integer is integer
    if how == BY_NONE:
        assert t.reason


def test_weights_point_at_their_consumers(tmp_path: Path, graph) -> None:
    t = _map(tmp_path, graph, ["encoder.layer.1.output.LayerNorm.weight_output"]).tensors[0]
    assert t.onnx_consumers == ("/encoder/layer.1/output/LayerNorm/LayerNormalization",)
    assert t.op_type == "LayerNormalization" and t.weight_path


def test_verbose_parse_attributes_helpers(tmp_path: Path, graph) -> None:
    node = "/encoder/layer.1/attention/self/query/Add"
    verbose = "".join(f"[01/01/2026-00:00:00] [V] [TRT] {m}\n" for m in [
        f"Parsing node: {node} [Add]",
        "Registering layer: encoder.layer.1.attention.self.query.bias required by ONNX-TRT",
        "Registering layer: ONNXTRT_ShapeShuffle_57 required by ONNX-TRT",
        "Registering layer: ONNXTRT_Broadcast_58 required by ONNX-TRT",
        f"Registering layer: {node} for ONNX node: {node}",
        f"{node} [Add] outputs: [x -> (-1, -1, 64)[FLOAT]], ",
    ])
    m = _map(tmp_path, graph, ["ONNXTRT_Broadcast_58_output", "ONNXTRT_Broadcast_99_output"], verbose)
    a, b = m.tensors
    assert (a.cls, a.mapped_by, a.onnx_node, a.block, a.submodule) == (
        PARSER_HELPER, BY_VERBOSE, node, 1, "attention.self.query")
    assert a.weight_path  # the Add reads a bias initializer
    assert (b.mapped_by, b.onnx_node) == (BY_NONE, None)


def test_without_model_nothing_is_guessed(tmp_path: Path) -> None:
    m = _map(tmp_path, None, ["input_ids", "ONNXTRT_castHelper_8_output"])
    a, b = m.tensors
    assert (a.cls, a.mapped_by, a.reason) == (UNKNOWN, BY_NONE, "no model given")
    assert (b.cls, b.is_integer) == (PARSER_HELPER, True)
    assert not m.mismatch


def test_wrong_model_is_detected(tmp_path: Path) -> None:
    cnn_names = [f"conv{i}_output_0" for i in range(8)]
    m = _map(tmp_path, load_graph(MODELS / "xlmr_tiny_ts_op17.onnx"), cnn_names)
    assert m.mismatch and "0 of 8" in (m.mismatch_reason or "")
