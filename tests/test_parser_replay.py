"""Counter replay of the ONNX parser (trtdiag/parser_replay): hand-computed graphs, fit, stop rule.

The expected names below were worked out by hand from the onnx-tensorrt 10.1 sources cited in
trtdiag/parser_replay/increments.py, not produced by running the replay.
"""

from __future__ import annotations

import math
from pathlib import Path

import onnx
import pytest
from onnx import TensorProto, helper

from trtdiag.log.collector import read_log
from trtdiag.naming import PARSER_HELPER, map_missing_scales
from trtdiag.onnx.graph import load_graph
from trtdiag.parser_replay.attribute import BY_COUNTER_REPLAY
from trtdiag.parser_replay.fit import fit_offsets, helper_number, observed_numbers
from trtdiag.parser_replay.increments import MODEL_10_0, MODEL_10_16, model_for
from trtdiag.parser_replay.replay import LAYER, replay
from trtdiag.parser_replay.rgraph import from_onnx

F = TensorProto.FLOAT


def _init(name: str, dims: list[int]) -> TensorProto:
    return helper.make_tensor(name, F, dims, [0.0] * max(1, math.prod(dims)))


def layernorm_add_model() -> onnx.ModelProto:
    """x[1,4,8] -> LayerNormalization(w, b) -> Add(b2) -> y2 (a graph output)."""
    nodes = [
        helper.make_node("LayerNormalization", ["x", "w", "b"], ["y1"], name="ln", axis=-1),
        helper.make_node("Add", ["y1", "b2"], ["y2"], name="add"),
    ]
    g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", F, [1, 4, 8])],
                          [helper.make_tensor_value_info("y2", F, [1, 4, 8])],
                          [_init("w", [8]), _init("b", [8]), _init("b2", [8])])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])


def decomposed_model(extra: str | None = None) -> onnx.ModelProto:
    """Constant two; ReduceMean; Sub; Pow(two) (scalar broadcast); MatMul(W[8,8]) (rank broadcast)."""
    nodes = [
        helper.make_node("Constant", [], ["two"], name="c_two", value=helper.make_tensor("v", F, [], [2.0])),
        helper.make_node("ReduceMean", ["x"], ["m"], name="rm", axes=[-1]),
        helper.make_node("Sub", ["x", "m"], ["d"], name="sub"),
        helper.make_node("Pow", ["d", "two"], ["p"], name="pow"),
        helper.make_node("MatMul", ["p", "W"], ["o"], name="mm"),
    ]
    if extra is not None:  # an op the replay does not model, between Pow and MatMul
        nodes.insert(4, helper.make_node(extra, ["p"], ["s"], name="unmodelled"))
    g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", F, [1, 4, 8])],
                          [helper.make_tensor_value_info("o", F, [1, 4, 8])], [_init("W", [8, 8])])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])


def test_layernorm_and_add_by_hand():
    # outputs reserved: y2; inputs: x; initializers: w b b2 (counter 0).
    # ln: tmp_weight, tmp_weight_0 (c=1); layers w, b; broadcast w: ShapeShuffle, Broadcast;
    #     broadcast b: ShapeShuffle_1 (c=2), Broadcast_2 (c=3); layer ln; tensor y1.
    # add: layer b2; ShapeShuffle_3 (c=4), Broadcast_4 (c=5); layer add; tensor y2 -> y2_5 (c=6).
    r = replay(from_onnx(layernorm_add_model()), MODEL_10_0)
    assert r.complete and r.final_counter == 6
    layers = [x.name for x in r.registrations if x.space == LAYER]
    assert layers == ["w", "b", "ONNXTRT_ShapeShuffle", "ONNXTRT_Broadcast", "ONNXTRT_ShapeShuffle_1",
                      "ONNXTRT_Broadcast_2", "ln", "b2", "ONNXTRT_ShapeShuffle_3", "ONNXTRT_Broadcast_4", "add"]
    assert [(b.number, b.node, b.operand) for b in r.broadcasts] == [
        (None, "ln", "w"), (2, "ln", "b"), (4, "add", "b2")]
    assert r.registrations[-1].name == "y2_5"


def test_decomposed_layernorm_and_matmul_by_hand():
    # c_two: weights, tensor "two" only. rm, sub: one layer each. pow: layer "two", ShapeShuffle, Broadcast
    # (first ones), layer pow. mm: layer W, W rank 2 < 3: ShapeShuffle_0 (c=1), Broadcast_1 (c=2),
    # layer mm, tensor o -> o_2 (c=3).
    r = replay(from_onnx(decomposed_model()), MODEL_10_0)
    assert r.complete and r.final_counter == 3
    assert [(b.number, b.node, b.operand) for b in r.broadcasts] == [(None, "pow", "two"), (1, "mm", "W")]


def test_unmodelled_op_stops_the_replay():
    r = replay(from_onnx(decomposed_model(extra="Shrink")), MODEL_10_0)
    assert not r.complete and r.stopped_at == "unmodelled"
    assert "Shrink" in (r.stop_reason or "")
    assert r.nodes_replayed == 4
    assert [b.node for b in r.broadcasts] == ["pow"]  # nothing predicted past the stop


def test_fit_single_offset_and_failures():
    r = replay(from_onnx(layernorm_add_model()), MODEL_10_0)  # predicted: None, 2, 4
    ok = fit_offsets((None, 2, 4), r)
    assert ok.ok and ok.offset == 0 and ok.fitted == 3
    assert ok.attribution["ONNXTRT_Broadcast_4"].node == "add"
    assert fit_offsets((3,), r).offset == 1  # only 3-2 >= 0 fits; noted as non-zero
    none = fit_offsets((2, 5), r)
    assert not none.ok and "no single offset" in none.reason and not none.attribution
    amb = fit_offsets((6,), r)
    assert not amb.ok and amb.reason.startswith("ambiguous")


def test_helper_numbers_and_versions():
    assert helper_number("ONNXTRT_Broadcast_163_output") == (True, 163)
    assert helper_number("ONNXTRT_Broadcast_output") == (True, None)
    assert helper_number("ONNXTRT_ShapeShuffle_3_output") == (False, None)
    assert observed_numbers(["ONNXTRT_Broadcast_7", "ONNXTRT_Broadcast_7_output", "x"]) == (7,)
    assert model_for("10.1.0.27") is MODEL_10_0 and model_for("10.16.1") is MODEL_10_16
    assert model_for("8.6.1") is None and model_for(None) is None


WARN = ("[01/01/2026-00:00:00] [TRT] [W] Missing scale and zero-point for tensor {}, expect fall back to "
        "non-int8 implementation for any layer consuming or producing given tensor\n")


def _mapped(tmp_path: Path, version: str, names: list[str]):
    model = tmp_path / "m.onnx"
    onnx.save(layernorm_add_model(), str(model))
    log = tmp_path / "b.log"
    log.write_text(f"[01/01/2026-00:00:00] [TRT] [I] TensorRT version: {version}\n"
                   + "".join(WARN.format(n) for n in names))
    return {t.tensor: t for t in map_missing_scales(read_log(log), load_graph(model)).tensors}


def test_naming_attributes_broadcast_helpers(tmp_path):
    rows = _mapped(tmp_path, "10.1.0", ["ONNXTRT_Broadcast_2_output", "ONNXTRT_Broadcast_4_output"])
    a, b = rows["ONNXTRT_Broadcast_2_output"], rows["ONNXTRT_Broadcast_4_output"]
    assert (a.onnx_node, a.op_type, a.mapped_by, a.cls) == ("ln", "LayerNormalization", BY_COUNTER_REPLAY,
                                                             PARSER_HELPER)
    assert (b.onnx_node, b.op_type, b.weight_path) == ("add", "Add", True)
    assert "offset 0" in (a.reason or "")


@pytest.mark.parametrize("version,names", [
    ("8.6.1", ["ONNXTRT_Broadcast_2_output"]),  # parser version not modelled
    ("10.1.0", ["ONNXTRT_Broadcast_2_output", "ONNXTRT_Broadcast_5_output"]),  # no single offset
])
def test_naming_leaves_unfitted_helpers_unmapped(tmp_path, version, names):
    for row in _mapped(tmp_path, version, names).values():
        assert row.onnx_node is None and row.mapped_by != BY_COUNTER_REPLAY


def test_cnn_ops_by_hand():
    """Conv -> BatchNormalization -> GlobalAveragePool -> Flatten -> Gemm, static dims.

    Prologue: y; x; k, s, bb, mu, var, fw, fb (counter 0). conv: layer conv. bn: temp weights use their
    own counter; layer bn. gap: layer gap. flat: ShapeShuffle, layer flat. fc: layers fw, fc, fb;
    ShapeShuffle_0 (c=1), Broadcast (first, unsuffixed); tensor y -> y_1 (c=2)."""
    c = 4
    nodes = [
        helper.make_node("Conv", ["x", "k"], ["c"], name="conv", kernel_shape=[1, 1]),
        helper.make_node("BatchNormalization", ["c", "s", "bb", "mu", "var"], ["n"], name="bn"),
        helper.make_node("GlobalAveragePool", ["n"], ["g"], name="gap"),
        helper.make_node("Flatten", ["g"], ["f"], name="flat"),
        helper.make_node("Gemm", ["f", "fw", "fb"], ["y"], name="fc", transB=1),
    ]
    inits = [_init("k", [c, 3, 1, 1]), *(_init(n, [c]) for n in ("s", "bb", "mu", "var")),
             _init("fw", [2, c]), _init("fb", [2])]
    g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", F, [1, 3, 8, 8])],
                          [helper.make_tensor_value_info("y", F, [1, 2])], inits)
    r = replay(from_onnx(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])), MODEL_10_0)
    assert r.complete and r.final_counter == 2
    assert [x.name for x in r.registrations if x.space == LAYER] == [
        "conv", "bn", "gap", "ONNXTRT_ShapeShuffle", "flat", "fw", "fc", "fb", "ONNXTRT_ShapeShuffle_0",
        "ONNXTRT_Broadcast"]
    assert [(b.number, b.node, b.operand) for b in r.broadcasts] == [(None, "fc", "fb")]
