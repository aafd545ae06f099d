"""ONNX graph index on the project's fixture models (made by fixtures/make_models.py)."""

from __future__ import annotations

from pathlib import Path

import onnx
import pytest
from onnx import TensorProto, helper

from trtdiag.errors import InputError
from trtdiag.onnx.graph import Module, ModuleSource, load_graph, module_from_dotted, module_from_node_name

from .conftest import MODELS


@pytest.mark.parametrize(("name", "want"), [
    ("/encoder/layer.2/attention/output/LayerNorm/Add_1", Module(2, "attention.output.LayerNorm", ModuleSource.NAME)),
    ("/encoder/layer.0/attention/self/query/MatMul", Module(0, "attention.self.query", ModuleSource.NAME)),
    ("/embeddings/LayerNorm/LayerNormalization", Module(None, "embeddings.LayerNorm", ModuleSource.NAME)),
    ("/Cast", Module(None, "", ModuleSource.NAME)),
    ("/model/encoder/layers.11/self_attn/k_proj/MatMul", Module(11, "self_attn.k_proj", ModuleSource.NAME)),
    ("/transformer/h.3/mlp/c_fc/MatMul", Module(3, "mlp.c_fc", ModuleSource.NAME)),
    ("Constant_119", None),
])
def test_torchscript_names(name: str, want: Module | None) -> None:
    assert module_from_node_name(name) == want


def test_dotted_paths() -> None:
    assert module_from_dotted("encoder.layer.0.attention.self.query", ModuleSource.METADATA) == Module(0, "attention.self.query", ModuleSource.METADATA)
    assert module_from_dotted("encoder.layer.11", ModuleSource.METADATA) == Module(11, "", ModuleSource.METADATA)
    assert module_from_dotted("pooler.dense", ModuleSource.INITIALIZER) == Module(None, "pooler.dense", ModuleSource.INITIALIZER)


@pytest.mark.parametrize("stem", ["xlmr_tiny_ts_op17", "xlmr_tiny_ts_op14", "xlmr_tiny_ts_op11", "xlmr_tiny_dynamo_op18",
                                  "xlmr_tiny_dynamo_op17", "xlmr_tiny_ts_op17_ext", "bert_tiny_ts_op17"])
def test_fixture_models_are_transformers(stem: str) -> None:
    g = load_graph(MODELS / f"{stem}.onnx")
    t = g.transformer
    assert (t.is_transformer, t.attention_patterns, t.layernorms, t.blocks) == (True, 2, 5, 2)
    assert g.inputs["input_ids"][0] == "INT64"
    assert g.qdq_nodes == 0


def test_torchscript_block_and_submodule() -> None:
    g = load_graph(MODELS / "xlmr_tiny_ts_op14.onnx")  # decomposed LayerNorm
    assert g.module_of_node("/encoder/layer.1/attention/output/LayerNorm/Add_1") == Module(1, "attention.output.LayerNorm", ModuleSource.NAME)
    assert g.module_of_tensor("encoder.layer.1.output.LayerNorm.bias").block == 1
    assert g.producer_of("/encoder/layer.0/attention/self/Softmax_output_0").op_type == "Softmax"
    assert [c.op_type for c in g.consumers_of("/encoder/layer.0/attention/self/Softmax_output_0")] == ["MatMul"]


def test_dynamo_metadata_and_initializer_anchoring() -> None:
    with_md = load_graph(MODELS / "xlmr_tiny_dynamo_op18.onnx")
    assert with_md.module_of_node("node_MatMul_35") == Module(0, "attention.self.query", ModuleSource.METADATA)
    assert with_md.module_of_node("node_Erf_70") == Module(0, "intermediate.intermediate_act_fn", ModuleSource.METADATA)
    no_md = load_graph(MODELS / "xlmr_tiny_dynamo_op17.onnx")  # opset conversion dropped the metadata
    m = no_md.module_of_node("node_MatMul_35")
    assert m is not None and (m.block, m.submodule, m.source) == (0, "attention.self.query", "initializer")
    sources = {x.source for x in no_md.modules.values()}
    assert sources == {"initializer", "propagated"}
    assert sum(1 for x in no_md.modules.values() if x.block is not None) >= 60


def test_external_data_is_not_read(tmp_path: Path) -> None:
    g = load_graph(MODELS / "xlmr_tiny_ts_op17_ext.onnx")
    assert g.external_initializers == 15
    assert g.initializers["embeddings.word_embeddings.weight"] == ("FLOAT", (1000, 64))
    # the weights file is not needed at all
    copy = tmp_path / "m.onnx"
    copy.write_bytes((MODELS / "xlmr_tiny_ts_op17_ext.onnx").read_bytes())
    assert len(load_graph(copy).nodes) == 198


def test_empty_node_names_and_qdq() -> None:
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])
    s = helper.make_tensor("s", TensorProto.FLOAT, [], [0.1])
    z = helper.make_tensor("z", TensorProto.INT8, [], [0])
    nodes = [helper.make_node("QuantizeLinear", ["x", "s", "z"], ["q"]),
             helper.make_node("DequantizeLinear", ["q", "s", "z"], ["y"], name="dq")]
    model = helper.make_model(helper.make_graph(nodes, "g", [x], [y], [s, z]))
    from trtdiag.onnx.graph import index_model

    g = index_model(model)
    assert g.node("node_of_q") is not None and g.qdq_nodes == 2


@pytest.mark.parametrize("content", [b"", b"\x00\x01garbage" * 100, b"[I] a text log\n"])
def test_non_onnx_files_are_refused(tmp_path: Path, content: bytes) -> None:
    p = tmp_path / "model.onnx"
    p.write_bytes(content)
    with pytest.raises(InputError):
        load_graph(p)


def test_missing_model() -> None:
    with pytest.raises(InputError, match="not found"):
        load_graph("/nonexistent/model.onnx")


def test_checker_accepts_fixtures() -> None:
    onnx.checker.check_model(str(MODELS / "xlmr_tiny_ts_op17.onnx"))
