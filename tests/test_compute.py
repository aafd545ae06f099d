"""MACs from ONNX shape inference (the shapes themselves: tests/test_onnx_shapes.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from trtdiag.errors import InputError
from trtdiag.onnx.compute import GEMM_OPS, compute_profile
from trtdiag.onnx.graph import load_graph
from trtdiag.onnx.shapes import (
    ShapeInference,
    infer_shapes,
    infer_tensor_shapes,
    parse_shapes,
    symbolic_inference_available,
    with_input_shapes,
)

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


# ---- ONNX Runtime symbolic shape inference and the ONNX fallback ----------------------------------

ALL_MODELS = sorted([*MODELS.glob("*.onnx"), *(MODELS / "qdq").glob("*.onnx")])
TRANSFORMERS = ["xlmr_tiny_ts_op17", "xlmr_tiny_ts_op14", "xlmr_tiny_ts_op11", "xlmr_tiny_dynamo_op17",
                "xlmr_tiny_dynamo_op18", "xlmr_tiny_ts_op17_ext", "xlmr_tiny_ts_op17_qdq", "bert_tiny_ts_op17"]
HALVED = "inferred at batch 2 and halved"


def _without_onnxruntime(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make ``import onnxruntime`` fail, as on a machine without it."""
    for name in list(sys.modules):
        if name == "onnxruntime" or name.startswith("onnxruntime."):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "onnxruntime", None)


@pytest.mark.parametrize("path", ALL_MODELS, ids=lambda p: p.relative_to(MODELS).as_posix())
def test_every_gemm_of_every_fixture_model_resolves_with_onnxruntime(path: Path) -> None:
    pytest.importorskip("onnxruntime.tools.symbolic_shape_infer")
    g = load_graph(path)
    gemms = [n for n in g.nodes if n.op_type in GEMM_OPS]
    prof = compute_profile(g.structure, g.inputs, None)
    assert prof.unresolved == ()
    assert len(prof.macs) == len(gemms) > 0
    assert not any(HALVED in n for n in prof.notes)


@pytest.mark.parametrize("stem", TRANSFORMERS)
def test_onnxruntime_gives_the_closed_form_at_batch_one(stem: str) -> None:
    pytest.importorskip("onnxruntime.tools.symbolic_shape_infer")
    g = load_graph(MODELS / f"{stem}.onnx")
    prof = compute_profile(g.structure, g.inputs, None)
    assert prof.total_macs * B == EXPECTED_TOTAL and prof.unresolved == ()
    assert not any(HALVED in n or "opset 17" in n for n in prof.notes)
    user = compute_profile(g.structure, g.inputs, parse_shapes(f"input_ids:{B}x{S},attention_mask:{B}x{S}"))
    assert user.total_macs == EXPECTED_TOTAL == 201_392_128


def test_symbolic_inference_is_used_and_resolves_the_opset_11_export() -> None:
    pytest.importorskip("onnxruntime.tools.symbolic_shape_infer")
    g = load_graph(MODELS / "xlmr_tiny_ts_op11.onnx")
    shaped = with_input_shapes(g.structure, {"input_ids": (1, 128), "attention_mask": (1, 128)})
    ort, onnx_only = infer_shapes(shaped), infer_shapes(shaped, ShapeInference.ONNX)
    assert ort.engine is ShapeInference.ONNXRUNTIME and ort.failure is None
    assert onnx_only.engine is ShapeInference.ONNX
    assert sum(v is not None for v in ort.shapes.values()) > sum(v is not None for v in onnx_only.shapes.values())
    assert infer_tensor_shapes(shaped) == (ort.shapes, None)


def test_symbolic_inference_leaves_no_stray_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """ORT's own infer_shapes saves sym_shape_infer_temp.onnx in the working directory when a shape stays
    unknown; a graph with an unknown custom op must not leave it behind, and still gets the other MACs."""
    pytest.importorskip("onnxruntime.tools.symbolic_shape_infer")
    pytest.importorskip("onnx")
    from onnx import TensorProto, helper

    monkeypatch.chdir(tmp_path)
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 8])
    w = helper.make_tensor("w", TensorProto.FLOAT, [8, 4], [0.0] * 32)
    nodes = [helper.make_node("MatMul", ["x", "w"], ["y"], name="mm"),
             helper.make_node("MyPlugin", ["y"], ["z"], name="plugin", domain="trt.plugins"),
             helper.make_node("MatMul", ["z", "w2"], ["out"], name="after_plugin")]
    w2 = helper.make_tensor("w2", TensorProto.FLOAT, [4, 2], [0.0] * 8)
    graph = helper.make_graph(nodes, "g", [x], [helper.make_tensor_value_info("out", TensorProto.FLOAT, None)],
                              initializer=[w, w2])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("trt.plugins", 1)])
    prof = compute_profile(model, {"x": ("FLOAT", ("batch", 8))}, None)
    assert prof.macs["mm"] == 1 * 4 * 8
    assert "after_plugin" in prof.unresolved
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("stem", ["xlmr_tiny_ts_op17", "xlmr_tiny_ts_op11", "bert_tiny_ts_op17", "xlmr_tiny_dynamo_op17"])
def test_fallback_without_onnxruntime_keeps_the_onnx_path(stem: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _without_onnxruntime(monkeypatch)
    assert not symbolic_inference_available()
    path = MODELS / f"{stem}.onnx"
    g = load_graph(path)
    user = compute_profile(g.structure, g.inputs, parse_shapes(f"input_ids:{B}x{S},attention_mask:{B}x{S}"))
    assert user.total_macs == EXPECTED_TOTAL and user.unresolved == ()
    batch_one = compute_profile(g.structure, g.inputs, None)
    if stem == "xlmr_tiny_ts_op11":  # ONNX inference alone resolves 3 of 17 GEMMs of the opset-11 export at batch 1
        assert len(batch_one.macs) == 3 and len(batch_one.unresolved) == 14
        assert any("could not resolve" in n for n in batch_one.notes)
    elif stem.startswith("xlmr_tiny_dynamo"):
        assert batch_one.total_macs * B == EXPECTED_TOTAL and batch_one.notes == ()
    else:  # the TorchScript exports need the batch-2 workaround, which says so
        assert batch_one.total_macs * B == EXPECTED_TOTAL
        assert any(HALVED in n for n in batch_one.notes)


def test_forcing_the_symbolic_engine_without_onnxruntime_is_a_note(monkeypatch: pytest.MonkeyPatch) -> None:
    _without_onnxruntime(monkeypatch)
    g = load_graph(MODELS / "tiny_cnn_op17.onnx")
    shaped = with_input_shapes(g.structure, {name: (1, *dims[1:]) for name, (_t, dims) in g.inputs.items()})
    forced = infer_shapes(shaped, ShapeInference.ONNXRUNTIME)
    assert forced.failure and "not installed" in forced.failure
    assert infer_shapes(shaped).engine is ShapeInference.ONNX
