"""Engine layer -> ONNX nodes and layer precision, on the fixture XLM-R model."""

from __future__ import annotations

import pytest

from trtdiag.engine.mapping import LayerKind, LayerMapper, NameMapper, classify_layer, layer_precision, split_fused
from trtdiag.engine.model import EngineLayer, TensorInfo
from trtdiag.onnx.graph import load_graph

from .conftest import MODELS


def layer(name: str, ins: tuple[str | None, ...] = ("FP16",), outs: tuple[str | None, ...] = ("FP16",),
          layer_type: str | None = None, metadata: tuple[str, ...] = (), origin: str | None = None) -> EngineLayer:
    return EngineLayer(index=0, name=name, profile=None, layer_type=layer_type,
                       inputs=tuple(TensorInfo(f"i{i}", d, None, None) for i, d in enumerate(ins)),
                       outputs=tuple(TensorInfo(f"o{i}", d, None, None) for i, d in enumerate(outs)),
                       tactic=None, metadata=metadata, origin=origin, line=None)


@pytest.fixture(scope="module")
def mapper() -> LayerMapper:
    return LayerMapper(load_graph(MODELS / "xlmr_tiny_ts_op17.onnx"))


def test_split_fused() -> None:
    assert split_fused("Conv_0 + PWN(PWN(a, b), c) + (Unnamed Layer* 3) [Shuffle]") == [
        "Conv_0", "a", "b", "c", "(Unnamed Layer* 3) [Shuffle]"]


@pytest.mark.parametrize(("ins", "outs", "want"), [
    (("INT8",), ("FP16",), ("INT8", "FP16")),      # INT8 compute with FP16 output: a mixed layer
    (("FP16", "INT32"), ("FP16",), ("FP16", "FP16")),  # integer index inputs are ignored
    (("FP32", "INT8"), ("INT8",), ("INT8", "INT8")),   # lowest precision among the data inputs
    ((), ("FP16",), ("FP16", "FP16")),            # constants: their output
    (("INT64",), ("INT64",), (None, None)),
])
def test_precision_rule(ins, outs, want) -> None:
    assert layer_precision(layer("x", ins, outs)) == want


def test_fused_names_and_weights(mapper: LayerMapper) -> None:
    m = mapper.map_layers([layer("/encoder/layer.0/attention/self/query/MatMul + /encoder/layer.0/attention/self/query/Add",
                                 ("INT8",), ("FP16",))])[0]
    assert m.nodes == ("/encoder/layer.0/attention/self/query/MatMul", "/encoder/layer.0/attention/self/query/Add")
    assert (m.method, m.kind, m.precision, m.output_precision, m.mixed) == ("fused-name", "compute", "INT8", "FP16", True)
    w = mapper.map_layers([layer("encoder.layer.0.output.LayerNorm.bias + ONNXTRT_Broadcast_7")])[0]
    assert w.nodes == ("/encoder/layer.0/output/LayerNorm/LayerNormalization",)


def test_metadata_is_authoritative(mapper: LayerMapper) -> None:
    m = mapper.map_layers([layer("__myl_MulAddCast_myl0_3", layer_type="kgen",
                                 metadata=("/encoder/layer.1/output/Add", "not/in/model"))])[0]
    assert (m.nodes, m.method, m.kind) == (("/encoder/layer.1/output/Add",), "metadata", "myelin")


def test_foreign_node_range_excludes_claimed_nodes(mapper: LayerMapper) -> None:
    g = mapper.graph
    first, last = "/embeddings/LayerNorm/LayerNormalization", "/encoder/layer.1/output/LayerNorm/LayerNormalization"
    pooled = "/encoder/layer.0/attention/self/query/MatMul"
    maps = mapper.map_layers([layer(f"{{ForeignNode[{first}...{last}]}}", layer_type="Myelin"), layer(pooled)])
    region = maps[0]
    lo, hi = g.node(first).index, g.node(last).index
    want = [n.name for n in g.nodes[lo:hi + 1] if n.op_type != "Constant" and n.name != pooled]
    assert region.method == "foreign-node-range" and list(region.nodes) == want
    assert pooled not in region.nodes and maps[1].nodes == (pooled,)


def test_reformats_qdq_and_unmapped(mapper: LayerMapper) -> None:
    ref, qdq, myl, junk = mapper.map_layers([
        layer("Reformatting CopyNode for Input Tensor 0 to /pooler/dense/Gemm", ("FP16",), ("INT8",), "Reformat"),
        layer("QuantizeLinear_2", ("FP32",), ("INT8",), "Reformat", origin="QDQ"),
        layer("__myl_GathGathMulAdd_myl0_0", layer_type="kgen"),
        layer("totally_unknown_layer"),
    ])
    assert (ref.kind, ref.target, ref.nodes) == ("reformat", "/pooler/dense/Gemm", ())
    assert qdq.kind == "qdq"
    assert myl.nodes == () and "Metadata" in (myl.reason or "")
    assert junk.method == "none" and junk.reason


@pytest.mark.parametrize(("name", "layer_type", "metadata", "origin", "kind"), [
    ("__myl_MulAdd_0", None, (), None, LayerKind.MYELIN),  # names-only export: no LayerType to go by
    ("node_linear_myl15_1", None, (), None, LayerKind.MYELIN),
    ("{ForeignNode[a...b]}", None, ("a",), None, LayerKind.MYELIN),
    ("QuantizeLinear_7", None, (), None, LayerKind.QDQ),
    ("QuantizeLinear_7", "Reformat", (), "QDQ", LayerKind.QDQ),
    ("w + QuantizeLinear_7 + Conv_9", "CaskConvolution", (), None, LayerKind.COMPUTE),
    ("/Add_4_output_0 copy", None, (), None, LayerKind.COPY),
    ("Reformatting CopyNode for Input Tensor 0 to conv", "Reformat", (), None, LayerKind.REFORMAT),
    ("shape", "NoOp", (), None, LayerKind.NOOP),
    ("shape", "NoOp", ("/Shape",), None, LayerKind.COMPUTE),  # covers an ONNX node: counts as compute
    ("w", "Constant", (), None, LayerKind.CONSTANT),
    ("conv", "kgen", (), None, LayerKind.MYELIN),
    ("Conv_0 + Relu_1", "CaskConvolution", (), None, LayerKind.COMPUTE),
])
def test_one_classifier_with_and_without_a_model(mapper: LayerMapper, name, layer_type, metadata, origin,
                                                  kind) -> None:
    """The kind decides which totals a layer's time goes to: it must not depend on the model.

    Regression: without a model ``__myl_MulAdd_0`` and ``QuantizeLinear_7`` counted as compute and
    ``x copy`` as compute, so the Q/DQ time and the per-kind totals of a comparison changed when the
    model was left out."""
    one = layer(name, layer_type=layer_type, metadata=metadata, origin=origin)
    assert classify_layer(one) is kind
    assert mapper.map_layers([one])[0].kind is kind
    assert NameMapper().map_layers([one])[0].kind is kind
