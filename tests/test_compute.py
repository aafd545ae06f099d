"""MACs from ONNX shape inference (the shapes themselves: tests/test_onnx_shapes.py)."""

from __future__ import annotations

import pytest

from trtdiag.errors import InputError
from trtdiag.onnx.compute import compute_profile
from trtdiag.onnx.graph import load_graph
from trtdiag.onnx.shapes import parse_shapes

from .conftest import MODELS

B, S, H, HEADS, FFN, LAYERS = 16, 128, 64, 2, 128, 2
PER_LAYER = 4 * B * S * H * H + 2 * B * S * H * FFN + 2 * B * HEADS * S * S * (H // HEADS)
EXPECTED_TOTAL = LAYERS * PER_LAYER + B * H * H  # + the pooler Gemm


@pytest.mark.parametrize("stem", ["xlmr_tiny_ts_op17", "xlmr_tiny_ts_op14", "xlmr_tiny_ts_op11", "xlmr_tiny_dynamo_op17",
                                  "xlmr_tiny_dynamo_op18", "xlmr_tiny_ts_op17_ext", "bert_tiny_ts_op17"])
def test_macs_match_the_closed_form(stem: str) -> None:
    path = MODELS / f"{stem}.onnx"
    g = load_graph(path)
    prof = compute_profile(path, g.inputs, parse_shapes(f"input_ids:{B}x{S},attention_mask:{B}x{S}"))
    assert prof.unresolved == ()
    assert prof.total_macs == EXPECTED_TOTAL
    assert len(prof.macs) == 17


def test_batch_one_is_resolved_and_consistent() -> None:
    path = MODELS / "xlmr_tiny_ts_op17.onnx"
    g = load_graph(path)
    one = compute_profile(path, g.inputs, None)
    assert one.input_shapes == {"input_ids": (1, 128), "attention_mask": (1, 128)}
    assert one.total_macs * B == EXPECTED_TOTAL
    assert one.share(["/encoder/layer.0/attention/self/query/MatMul"]) == pytest.approx(S * H * H / one.total_macs)


def test_shapes_for_unknown_inputs_are_refused() -> None:
    path = MODELS / "xlmr_tiny_ts_op17.onnx"
    g = load_graph(path)
    with pytest.raises(InputError, match="does not have"):
        compute_profile(path, g.inputs, {"pixels": (1, 3)})
    with pytest.raises(InputError, match="rank"):
        compute_profile(path, g.inputs, {"input_ids": (1, 3, 4)})


def test_conv_macs() -> None:
    path = MODELS / "tiny_cnn_op17.onnx"
    g = load_graph(path)
    prof = compute_profile(path, g.inputs, None)
    assert prof.total_macs > 0 and not prof.unresolved
    conv = [n for n in g.nodes if n.op_type == "Conv"]
    assert set(prof.macs) >= {n.name for n in conv}


def test_structure_copy_drops_weights_but_not_the_answer() -> None:
    path = MODELS / "xlmr_tiny_ts_op17.onnx"
    g = load_graph(path)
    assert g.structure.ByteSize() < path.stat().st_size / 5  # the 256k-element embedding table is gone
    shapes = parse_shapes("input_ids:4x32,attention_mask:4x32")
    assert compute_profile(g.structure, g.inputs, shapes).macs == compute_profile(path, g.inputs, shapes).macs
