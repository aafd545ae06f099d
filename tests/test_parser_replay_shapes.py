"""Counter replay of the parser's shape arithmetic (trtdiag/parser_replay/shapes.py, importers.py).

Every expected name list below was worked out by hand from onnx-tensorrt release/10.1-GA
(96e781103cfc): ShapeTensor.cpp (tensor() :174-205, op() :244-286, concat :342-367, gather
:369-387, addShuffle :506-521, addSlice :523-535), importerUtils.cpp (broadcastTensor :159-175,
unsqueezeTensor :1874-1906, squeezeTensor :1607-1632, sliceAcrossAxis :1576-1605, createZeroTensor
:399-413, decodeOnnxStartsAndEnds :1960-1977) and the importers in onnxOpImporters.cpp. The
comments give the counter after each collision (``c=``); names without a suffix were free.
"""

from __future__ import annotations

import onnx
from onnx import TensorProto, helper

from trtdiag.parser_replay.increments import MODEL_10_0
from trtdiag.parser_replay.replay import LAYER, ReplayResult, replay
from trtdiag.parser_replay.rgraph import from_onnx

I64, F = TensorProto.INT64, TensorProto.FLOAT
S = "ONNXTRT_"


def _model(nodes: list[onnx.NodeProto], inputs: list[onnx.ValueInfoProto], output: str,
           inits: list[onnx.TensorProto]) -> onnx.ModelProto:
    g = helper.make_graph(nodes, "g", inputs, [helper.make_tensor_value_info(output, F, None)], inits)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])


def _layers(r: ReplayResult) -> list[str]:
    return [x.name for x in r.registrations if x.space == LAYER]


def test_unsqueeze_of_an_activation_with_unknown_dims():
    # dims = shapeOf(x) = [-1, 4] (not all known); subscripts [0, 2, 1]; interlace = gather(concat(dims, [1])):
    # concat: dims.tensor() ShapeTensor + castHelper, [1].tensor() tmp_weight + ShapeTensorFromDims, ShapeConcat;
    # gather: subscripts.tensor() tmp_weight_0 (c=1) + ShapeTensorFromDims_1 (c=2), ShapeGather;
    # addShuffle: ShapeShuffle; the node; output y (reserved) -> y_2 (c=3).
    m = _model([helper.make_node("Unsqueeze", ["x", "axes"], ["y"], name="unsq")],
               [helper.make_tensor_value_info("x", F, ["N", 4])], "y",
               [helper.make_tensor("axes", I64, [1], [1])])
    r = replay(from_onnx(m), MODEL_10_0)
    assert r.complete and r.final_counter == 3
    assert _layers(r) == [f"{S}ShapeTensor", f"{S}castHelper", f"{S}ShapeTensorFromDims", f"{S}ShapeConcat",
                          f"{S}ShapeTensorFromDims_1", f"{S}ShapeGather", f"{S}ShapeShuffle", "unsq"]


def test_broadcast_of_an_operand_with_unknown_dims():
    # Add(x[N,4], y[N,3,4]): x is broadcast to rank 3 with shape concat([1], shapeOf(x)): [1].tensor()
    # tmp_weight + ShapeTensorFromDims, shapeOf(x).tensor() ShapeTensor + castHelper, ShapeConcat,
    # ShapeShuffle, then the same shuffle as ONNXTRT_Broadcast; the node; z -> z_0 (c=1).
    m = _model([helper.make_node("Add", ["x", "y"], ["z"], name="add")],
               [helper.make_tensor_value_info("x", F, ["N", 4]), helper.make_tensor_value_info("y", F, ["N", 3, 4])],
               "z", [])
    r = replay(from_onnx(m), MODEL_10_0)
    assert r.complete and r.final_counter == 1
    assert _layers(r) == [f"{S}ShapeTensorFromDims", f"{S}ShapeTensor", f"{S}castHelper", f"{S}ShapeConcat",
                          f"{S}ShapeShuffle", f"{S}Broadcast", "add"]
    assert [(b.number, b.node, b.operand) for b in r.broadcasts] == [(None, "add", "x")]


def bert_position_ids_model() -> onnx.ModelProto:
    """The BERT embeddings' position ids: Slice(pos[1,8], [0], Unsqueeze(Gather(Shape(ids), 1)), [1], [1])."""
    nodes = [
        helper.make_node("Shape", ["ids"], ["sh"], name="shape"),
        helper.make_node("Gather", ["sh", "idx1"], ["seq"], name="g", axis=0),
        helper.make_node("Unsqueeze", ["seq", "axes0"], ["end"], name="u"),
        helper.make_node("Slice", ["pos", "s0", "end", "ax", "st"], ["out"], name="slice"),
    ]
    inits = [helper.make_tensor("pos", I64, [1, 8], list(range(8))), helper.make_tensor("s0", I64, [1], [0]),
             helper.make_tensor("ax", I64, [1], [1]), helper.make_tensor("st", I64, [1], [1]),
             helper.make_tensor("idx1", I64, [], [1]), helper.make_tensor("axes0", I64, [1], [0])]
    return _model(nodes, [helper.make_tensor_value_info("ids", I64, ["B", "S"])], "out", inits)


def test_slice_of_a_constant_up_to_a_dynamic_end():
    # shape: the node. g: constant idx1, the node (INT64 data: no cast). u: a scalar's dims are [] (known):
    # the new dims [1] are known, ShapeShuffle, the node.
    # slice: constants pos, s0; castHelper (starts), castHelper_0 (c=1, ends). Axes [1] of rank 2:
    # subscripts [0, 2] interlace starts: [0,0].tensor() tmp_weight + FromDims, ShapeConcat; gather:
    # subscripts.tensor() tmp_weight_1 (c=2) FromDims_2 (c=3), ShapeGather. Ends: dims [1,8].tensor()
    # tmp_weight_3 FromDims_4 (c=5), ShapeConcat_5 (c=6), ShapeGather_6 (c=7; subscripts cached).
    # Steps fold to [1,1]; stepSign [0,0].
    # bumpIfNegative(starts): max(starts,[-1]) tmp_weight_7 FromDims_8 ElementWise (c=9), min(.,[0])
    # tmp_weight_9 FromDims_10 ElementWise_11 (c=12), mul(signs, dims) _12, sub _13 (c=14).
    # clamp(starts, [0], dims + 0 = dims): tmp_weight_14 FromDims_15 ElementWise_16, min _17 (c=18).
    # bumpIfNegative(ends): tmp_weight_18 FromDims_19 _20, tmp_weight_21 FromDims_22 _23, _24, _25 (c=26).
    # clamp(ends, stepSign, dims): stepSign.tensor() tmp_weight_26 FromDims_27, _28, _29 (c=30).
    # sizes = ends - starts _30 (c=31); max([0,0], sizes): tmp_weight_31 FromDims_32 _33 (c=34).
    # ShapeSlice, the node; out (reserved) -> out_34 (c=35).
    r = replay(from_onnx(bert_position_ids_model()), MODEL_10_0)
    assert r.complete and r.final_counter == 35
    fd, ew = f"{S}ShapeTensorFromDims", f"{S}ShapeElementWise"
    assert _layers(r) == [
        "shape", "idx1", "g", f"{S}ShapeShuffle", "u",
        "pos", "s0", f"{S}castHelper", f"{S}castHelper_0", fd, f"{S}ShapeConcat", f"{fd}_2", f"{S}ShapeGather",
        f"{fd}_4", f"{S}ShapeConcat_5", f"{S}ShapeGather_6",
        f"{fd}_8", ew, f"{fd}_10", f"{ew}_11", f"{ew}_12", f"{ew}_13", f"{fd}_15", f"{ew}_16", f"{ew}_17",
        f"{fd}_19", f"{ew}_20", f"{fd}_22", f"{ew}_23", f"{ew}_24", f"{ew}_25", f"{fd}_27", f"{ew}_28",
        f"{ew}_29", f"{ew}_30", f"{fd}_32", f"{ew}_33", f"{S}ShapeSlice", "slice"]
    assert r.registrations[-1].name == "out_34"


def test_cumsum_registers_no_node_layer_and_broadcasts_its_zero():
    # sliceAcrossAxis (axis 1 of [N,S]): extractDimension, extractDimension_0 (c=1); strides concat([1], len):
    # tmp_weight FromDims, ShapeConcat; sizes concat(len0, [1]): tmp_weight_1 FromDims_2 ShapeConcat_3 (c=4);
    # ShapeSlice. Trip limit: extractDimension_4 (c=5) + extractDimensionReshape. squeeze of [-1,1]:
    # ShapeTensor castHelper, [0]: tmp_weight_5 FromDims_6 (c=7), ShapeGather, ShapeShuffle, squeezeTensor.
    # createZeroTensor: tmp_weight_7 (c=8), castHelper_8 (c=9), its rank-0 zero broadcast to rank 1:
    # ShapeShuffle_9 (c=10), ONNXTRT_Broadcast (first), createZeroTensor. Output c -> c_10 (c=11).
    m = _model([helper.make_node("CumSum", ["m", "ax"], ["c"], name="cs")],
               [helper.make_tensor_value_info("m", TensorProto.INT32, ["N", "S"])], "c",
               [helper.make_tensor("ax", I64, [], [1])])
    r = replay(from_onnx(m), MODEL_10_0)
    assert r.complete and r.final_counter == 11
    assert _layers(r) == [
        f"{S}extractDimension", f"{S}extractDimension_0", f"{S}ShapeTensorFromDims", f"{S}ShapeConcat",
        f"{S}ShapeTensorFromDims_2", f"{S}ShapeConcat_3", f"{S}ShapeSlice", f"{S}extractDimension_4",
        f"{S}extractDimensionReshape", f"{S}ShapeTensor", f"{S}castHelper", f"{S}ShapeTensorFromDims_6",
        f"{S}ShapeGather", f"{S}ShapeShuffle", f"{S}squeezeTensor", f"{S}castHelper_8", f"{S}ShapeShuffle_9",
        f"{S}Broadcast", f"{S}createZeroTensor"]
    assert [(b.number, b.node) for b in r.broadcasts] == [(None, "cs")]


def test_slice_with_axes_from_a_tensor_stops():
    m = _model([helper.make_node("Slice", ["pos", "s0", "e", "axes_t"], ["out"], name="slice")],
               [helper.make_tensor_value_info("axes_t", I64, [1])], "out",
               [helper.make_tensor("pos", I64, [1, 8], list(range(8))), helper.make_tensor("s0", I64, [1], [0]),
                helper.make_tensor("e", I64, [1], [4])])
    r = replay(from_onnx(m), MODEL_10_0)
    assert r.stopped_at == "slice" and "dynamic axes" in (r.stop_reason or "")


def test_resize_with_constant_or_tensor_scales():
    # Constant scales: only the resize layer (oi:4398), under the node's name; y -> y_0 (c=1).
    # Scales from a tensor: resizeShapeTensor (iu:1908-1931): the static shape of x as a tensor
    # (tmp_weight + ShapeTensorFromDims), then floatCast, prod, floor, intCast; y -> y_0.
    x = helper.make_tensor_value_info("x", F, [1, 3, 4, 4])
    const = _model([helper.make_node("Resize", ["x", "", "sc"], ["y"], name="rs", mode="nearest")], [x], "y",
                   [helper.make_tensor("sc", F, [4], [1.0, 1.0, 2.0, 2.0])])
    r = replay(from_onnx(const), MODEL_10_0)
    assert r.complete and _layers(r) == ["rs"] and r.final_counter == 1
    dynamic = _model([helper.make_node("Resize", ["x", "", "sc"], ["y"], name="rs", mode="nearest")],
                     [x, helper.make_tensor_value_info("sc", F, [4])], "y", [])
    r = replay(from_onnx(dynamic), MODEL_10_0)
    assert r.complete and r.final_counter == 1
    assert _layers(r) == ["rs", f"{S}ShapeTensorFromDims", *(f"{S}resizeShapeTensor_{p}"
                                                              for p in ("floatCast", "prod", "floor", "intCast"))]


def test_softmax_before_opset_13_flattens_first():
    # flattenTensor(axis 1) of [N,4,8]: d0 = gather(dims,[0]) is unknown: dims.tensor() ShapeTensor + castHelper,
    # [0] tmp_weight + ShapeTensorFromDims, ShapeGather (the product's mul by 1 returns it); d1 = 4*8 folds to
    # [32]: tmp_weight_0 (c=1) ShapeTensorFromDims_1 (c=2), ShapeConcat; ShapeShuffle, ONNXTRT_flattenTensor;
    # the softmax under the node name; the reshape back: ShapeTensor_2 castHelper_3 (c=4) ShapeShuffle_4 (c=5);
    # y -> y_5 (c=6).
    g = helper.make_graph([helper.make_node("Softmax", ["x"], ["y"], name="sm")], "g",
                          [helper.make_tensor_value_info("x", F, ["N", 4, 8])],
                          [helper.make_tensor_value_info("y", F, None)])
    r = replay(from_onnx(helper.make_model(g, opset_imports=[helper.make_opsetid("", 11)])), MODEL_10_0)
    assert r.complete and r.final_counter == 6
    assert _layers(r) == [f"{S}ShapeTensor", f"{S}castHelper", f"{S}ShapeTensorFromDims", f"{S}ShapeGather",
                          f"{S}ShapeTensorFromDims_1", f"{S}ShapeConcat", f"{S}ShapeShuffle", f"{S}flattenTensor",
                          "sm", f"{S}ShapeTensor_2", f"{S}castHelper_3", f"{S}ShapeShuffle_4"]


def test_range_with_a_dynamic_limit():
    # Bounds: constant s, castHelper; n, castHelper_0 (c=1); constant d, castHelper_1 (c=2). Count:
    # sub(start, limit) ShapeElementWise, floorDiv ShapeElementWise_2 (c=3), sub([0], q): [0].tensor()
    # tmp_weight + ShapeTensorFromDims, ShapeElementWise_3 (c=4), max(., [0]) ShapeElementWise_4 (c=5, [0]
    # cached); convertTo1D: ShapeShuffle; ShapeFill, the node; delta to 1-D: ShapeShuffle_5 (c=6); y -> y_6.
    m = _model([helper.make_node("Range", ["s", "n", "d"], ["y"], name="rg")],
               [helper.make_tensor_value_info("n", I64, [])], "y",
               [helper.make_tensor("s", I64, [], [0]), helper.make_tensor("d", I64, [], [1])])
    r = replay(from_onnx(m), MODEL_10_0)
    assert r.complete and r.final_counter == 7
    ew = f"{S}ShapeElementWise"
    assert _layers(r) == ["s", f"{S}castHelper", f"{S}castHelper_0", "d", f"{S}castHelper_1", ew, f"{ew}_2",
                          f"{S}ShapeTensorFromDims", f"{ew}_3", f"{ew}_4", f"{S}ShapeShuffle", f"{S}ShapeFill", "rg",
                          f"{S}ShapeShuffle_5"]
