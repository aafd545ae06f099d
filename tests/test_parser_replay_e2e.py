"""End to end: `trtdiag analyze <non-verbose log> <model>` names ONNXTRT_Broadcast helpers by counter replay.

The model is a one-block transformer built here with onnx.helper (static dims, HF-style node names).
Its verbose parse below was written by hand from onnx-tensorrt release/10.1-GA (96e781103cfc):
MatMul (onnxOpImporters.cpp:3407-3458) broadcasts its rank-2 weight, a bias Add (elementwiseHelper,
importerUtils.cpp:566-611) its rank-1 bias, LayerNormalization (:2752-2803) makes two tmp_weights and
broadcasts weight and bias, Softmax (:5404-5413) re-registers its reshape-back shuffle; every
collision takes the one counter (weightUtils.cpp:152-166). The non-verbose log's helper numbers are
read from that hand-written verbose log, not from the replay; the replay must reproduce the verbose
log and attribute the non-verbose one.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import onnx
from onnx import TensorProto, helper

from trtdiag.parser_replay.increments import MODEL_10_0
from trtdiag.parser_replay.replay import replay
from trtdiag.parser_replay.rgraph import from_onnx
from trtdiag.parser_replay.verify import compare, logged_registrations

from .test_cli import run

F = TensorProto.FLOAT
L0 = "/encoder/layer.0"
SS, BC = "ONNXTRT_ShapeShuffle", "ONNXTRT_Broadcast"

# (node, op, inputs, output, registered layers in order); counter after each collision in the comments
BLOCK = [
    (f"{L0}/attention/self/query/MatMul", "MatMul", ["x", "Wq"], "q", ["Wq", SS, BC]),
    (f"{L0}/attention/self/key/MatMul", "MatMul", ["x", "Wk"], "k", ["Wk", f"{SS}_0", f"{BC}_1"]),  # c=2
    (f"{L0}/attention/self/Transpose", "Transpose", ["k"], "kt", []),
    (f"{L0}/attention/self/MatMul", "MatMul", ["q", "kt"], "s", []),
    (f"{L0}/attention/self/Softmax", "Softmax", ["s"], "p", [f"{SS}_2"]),  # c=3 (the node name first)
    (f"{L0}/attention/self/MatMul_1", "MatMul", ["p", "x"], "ctx", []),
    (f"{L0}/attention/output/dense/MatMul", "MatMul", ["ctx", "Wo"], "a", ["Wo", f"{SS}_3", f"{BC}_4"]),  # c=5
    (f"{L0}/attention/output/dense/Add", "Add", ["bo", "a"], "b", ["bo", f"{SS}_5", f"{BC}_6"]),  # c=7
    (f"{L0}/attention/output/Add", "Add", ["b", "x"], "c", []),
    # tmp_weight, tmp_weight_7 (c=8) are tensor names: not logged
    (f"{L0}/attention/output/LayerNorm/LayerNormalization", "LayerNormalization", ["c", "ln1w", "ln1b"], "d",
     ["ln1w", "ln1b", f"{SS}_8", f"{BC}_9", f"{SS}_10", f"{BC}_11"]),  # c=12
    (f"{L0}/output/dense/MatMul", "MatMul", ["d", "W2"], "e", ["W2", f"{SS}_12", f"{BC}_13"]),  # c=14
    (f"{L0}/output/dense/Add", "Add", ["b2", "e"], "f", ["b2", f"{SS}_14", f"{BC}_15"]),  # c=16
    # tmp_weight_16, tmp_weight_17 (c=18)
    (f"{L0}/output/LayerNorm/LayerNormalization", "LayerNormalization", ["f", "ln2w", "ln2b"], "y",
     ["ln2w", "ln2b", f"{SS}_18", f"{BC}_19", f"{SS}_20", f"{BC}_21"]),  # c=22; y (reserved) -> y_22
]
SHAPES = {"Wq": [8, 8], "Wk": [8, 8], "Wo": [8, 8], "W2": [8, 8], "bo": [8], "b2": [8],
          "ln1w": [8], "ln1b": [8], "ln2w": [8], "ln2b": [8]}
P = "[01/01/2026-00:00:00] [TRT] "


def block_model() -> onnx.ModelProto:
    nodes = []
    for name, op, ins, out, _ in BLOCK:
        attrs = {"perm": [0, 2, 1]} if op == "Transpose" else {"axis": -1} if op in ("Softmax",) else {}
        nodes.append(helper.make_node(op, ins, [out], name=name, **attrs))
    inits = [helper.make_tensor(k, F, v, [0.01] * math.prod(v)) for k, v in SHAPES.items()]
    g = helper.make_graph(nodes, "block", [helper.make_tensor_value_info("x", F, [1, 4, 8])],
                          [helper.make_tensor_value_info("y", F, [1, 4, 8])], inits)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])


def verbose_log() -> list[str]:
    """The hand-written parse (layer registrations only: what the comparison reads)."""
    lines = [f"{P}[I] TensorRT version: 10.1.0"]
    for name, op, _, _, layers in BLOCK:
        lines.append(f"{P}[V] Parsing node: {name} [{op}]")
        node_layer_first = op == "Softmax"
        if node_layer_first:
            lines.append(f"{P}[V] Registering layer: {name} for ONNX node: {name}")
        lines += [f"{P}[V] Registering layer: {n} required by ONNX-TRT" for n in layers]
        if not node_layer_first:
            lines.append(f"{P}[V] Registering layer: {name} for ONNX node: {name}")
    return lines


def non_verbose_log(version: str) -> str:
    """What an INT8 build without --verbose prints: the LayerNorm and bias broadcasts lack scales."""
    logged = [n for layers, _ in logged_registrations(verbose_log()).values() for n in layers]
    helpers = [n for n in logged if n.startswith(BC) and n != BC]
    assert helpers == [f"{BC}_{k}" for k in (1, 4, 6, 9, 11, 13, 15, 19, 21)]
    warned = [h for h in helpers if int(h.rsplit("_", 1)[1]) in (6, 9, 11, 15, 19, 21)]
    out = [f"{P}[I] TensorRT version: {version}"]
    out += [f"{P}[W] Missing scale and zero-point for tensor {h}_output, expect fall back to non-int8 "
            "implementation for any layer consuming or producing given tensor" for h in warned]
    return "\n".join(out) + "\n"


def test_replay_reproduces_the_hand_written_verbose_parse():
    r = replay(from_onnx(block_model()), MODEL_10_0)
    assert r.complete and compare(r, verbose_log()) == (len(BLOCK), ())
    assert r.registrations[-1].name == "y_22"


def _analyze(tmp_path: Path, version: str) -> dict:
    model = tmp_path / "block.onnx"
    onnx.save(block_model(), str(model))
    log = tmp_path / f"build_{version}.log"
    log.write_text(non_verbose_log(version))
    js = tmp_path / f"{version}.json"
    proc = run("analyze", str(log), str(model), "--json", str(js), "-o", str(tmp_path / f"{version}.html"),
               "--no-timestamp")
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(js.read_text())


def test_analyze_attributes_broadcast_helpers_and_the_grid_places_them(tmp_path):
    doc = _analyze(tmp_path, "10.1.0")
    rows = {t["tensor"]: t for t in doc["missing_scale"]}
    ln = rows[f"{BC}_9_output"]
    assert (ln["mapped_by"], ln["onnx_node"], ln["block"]) == (
        "counter-replay", f"{L0}/attention/output/LayerNorm/LayerNormalization", 0)
    assert rows[f"{BC}_15_output"]["onnx_node"] == f"{L0}/output/dense/Add"
    assert all(t["mapped_by"] == "counter-replay" and t["replay_confidence"].startswith("high: offset 0, 6/6")
               for t in rows.values())
    assert doc["transformer_view"]["unplaced"] == 0
    html = (tmp_path / "10.1.0.html").read_text()
    assert "replay confidence" in html and "high: offset 0" in html
    # TensorRT 9.3 is not modelled: the same warnings stay unattributed and sit in no grid cell
    before = _analyze(tmp_path, "9.3.0")
    assert all(t["mapped_by"] == "none" for t in before["missing_scale"])
    assert before["transformer_view"]["unplaced"] == 6 > doc["transformer_view"]["unplaced"]
