"""Engine layer readers: every format on small hand-written inputs, then every real artifact of
../shared/corpus against counts established independently of the reader."""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

import pytest

from trtdiag.engine import layers as el
from trtdiag.engine.layers import (
    normalise_dtype,
    parse_engine_layer_sections,
    parse_engine_layers_text,
    parse_metadata,
    read_engine_layers,
    scan_marked_lines,
    split_profile,
    split_top_level,
)
from trtdiag.errors import InputError

# --- helpers -------------------------------------------------------------------------------------------


def numbered(text: str) -> list[tuple[int, str]]:
    # split on "\n" only: str.splitlines() also splits at \x1e, the Metadata separator
    return list(enumerate(text.split("\n"), start=1))


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def assert_one_line_error(exc: pytest.ExceptionInfo[InputError]) -> None:
    message = str(exc.value)
    assert message and "\n" not in message


# --- small helpers ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "dtype"),
    [
        ("Row major linear FP32", "FP32"),
        ("Row major linear FP16 format", "FP16"),
        ("Channel major FP16 format where channel % 8 == 0", "FP16"),
        ("Thirty-two wide channel vectorized row major Int8 format", "INT8"),
        ("Four wide channel vectorized row major Int8 format", "INT8"),
        ("Half[-1,32:8,28,28]", "FP16"),
        ("Int8(1,3,224,224)", "INT8"),
        ("Float(-2,1,28,28)", "FP32"),
        ("Float", "FP32"),
        ("Half", "FP16"),
        ("BFloat16", "BF16"),
        ("Int32", "INT32"),
        ("Int64", "INT64"),
        ("Bool", "BOOL"),
        ("UInt8", "UINT8"),
        ("FP8[3,16]", "FP8"),
        ("Int4", "INT4"),
        ("FP4", "FP4"),
        ("float16", "FP16"),
        ("float32", "FP32"),
        ("DataType.HALF", "FP16"),
        ("Row major linear FP32 format (kLINEAR)", "FP32"),
        ("", None),
        (None, None),
        ("Unknown format", None),
    ],
)
def test_normalise_dtype(text: str | None, dtype: str | None) -> None:
    assert normalise_dtype(text) == dtype


def test_parse_metadata_separators_and_suffixes() -> None:
    assert parse_metadata("[ONNX Layer: a]\x1e[ONNX Layer: b]") == ("a", "b")
    assert parse_metadata("[ONNX Layer: a]\x1f[ONNX Layer: b]") == ("a", "b")
    assert parse_metadata("[ONNX Layer: a]\ufffd[ONNX Layer: b]") == ("a", "b")
    assert parse_metadata("[ONNX Layer: a][ONNX Layer: b]") == ("a", "b")
    assert parse_metadata("[ONNX Layer: /enc/MatMul | Local Function: attn]") == ("/enc/MatMul",)
    assert parse_metadata("[ONNX Layer: conv | doc string line]\x1e[ONNX Layer: relu]") == ("conv", "relu")
    assert parse_metadata("[ONNX Layer: x[0]/Gather]") == ("x[0]/Gather",)
    assert parse_metadata("[ONNX Layer: a]\x1e[ONNX Layer: trunc") == ("a", "trunc")  # cut at 4000 chars
    assert parse_metadata("") == ()
    assert parse_metadata(None) == ()


def test_split_profile_and_top_level() -> None:
    assert split_profile("node_of_Y [profile 1]") == ("node_of_Y", 1)
    assert split_profile("node_linear [profile 2]_myl15_1") == ("node_linear_myl15_1", 2)
    assert split_profile("conv") == ("conv", None)
    assert split_top_level("PWN(PWN(a, b), c), d + e, {ForeignNode[x, y]}") == ["PWN(PWN(a, b), c)", "d + e",
                                                                                 "{ForeignNode[x, y]}"]


# --- text formats ------------------------------------------------------------------------------------------

LAYER_INFO_86 = """\
&&&& RUNNING TensorRT.trtexec [TensorRT v100300] # trtexec --onnx=m.onnx --verbose
[01/02/2025-10:00:00] [V] [TRT] Engine Layer Information:
Layer(Reformat): Reformatting CopyNode for Input Tensor 0 to c1 + r1, Tactic: 0x00000000000003e8, in (Float[-1,3,8,8]) -> Reformatted Input Tensor 0 to c1 + r1 (Half[-1,3:8,8,8])
Layer(CaskConvolution): c1 + r1, Tactic: 0x112767cf498572ea, Reformatted Input Tensor 0 to c1 + r1 (Half[-1,3:8,8,8]) -> t1 (Int8[-1,32:32,8,8])
Layer(Constant): w, Tactic: 0x0000000000000000,  -> w_out (Float[4])
Layer(Myelin): {ForeignNode[a...b]}, Tactic: 0x0000000000000000, t1 (Int8[-1,32:32,8,8]), w_out (Float[4]) -> (Unnamed Layer* 7) [TopK]_output (1) (Int32[-1,1]), PWN(x, y)_out (Float[-1])
[01/02/2025-10:00:00] [I] [TRT] [MemUsageStats] Peak memory usage
"""


def test_layer_info_86() -> None:
    r = parse_engine_layers_text(numbered(LAYER_INFO_86), "x.log")
    assert r is not None
    assert r.format == "layer-info-text-86"
    assert r.tensorrt_version == "10.3.0"
    assert [layer.name for layer in r.layers] == [
        "Reformatting CopyNode for Input Tensor 0 to c1 + r1", "c1 + r1", "w", "{ForeignNode[a...b]}"]
    assert [layer.line for layer in r.layers] == [3, 4, 5, 6]
    conv = r.layers[1]
    assert conv.layer_type == "CaskConvolution"
    assert conv.tactic == "0x112767cf498572ea"
    assert conv.inputs[0].dtype == "FP16" and conv.inputs[0].format == "Half[-1,3:8,8,8]"
    assert conv.inputs[0].dims == (-1, 3, 8, 8)
    assert conv.outputs[0].name == "t1" and conv.outputs[0].dtype == "INT8"
    const = r.layers[2]
    assert const.inputs == () and const.outputs[0].name == "w_out"
    myelin = r.layers[3]
    assert [t.name for t in myelin.inputs] == ["t1", "w_out"]
    assert [t.name for t in myelin.outputs] == ["(Unnamed Layer* 7) [TopK]_output (1)", "PWN(x, y)_out"]
    assert [t.dtype for t in myelin.outputs] == ["INT32", "FP32"]
    assert all(layer.profile is None for layer in r.layers)


def test_layer_info_8_and_7_bracket_syntax() -> None:
    text = """\
[V] [TRT] Engine Layer Information:
Layer(CaskConvolution): Conv_0 + PWN(Clip_3), Tactic: -8431788508843860955, in:0[Int8(1,3,16,16)] -> (Unnamed Layer* 3) [Shuffle]_output[Int8(1,32,8,8)]
Layer(Reformat): Reformatting CopyNode for Output Tensor 0 to Conv_0 + PWN(Clip_3), Tactic: 0, (Unnamed Layer* 3) [Shuffle]_output[Int8(1,32,8,8)] -> out[Float(1,32,8,8)]
"""
    r = parse_engine_layers_text(numbered(text), "x.log")
    assert r is not None and r.format == "layer-info-text-8" and r.tensorrt_version is None
    assert r.layers[0].name == "Conv_0 + PWN(Clip_3)"
    assert r.layers[0].tactic == "-8431788508843860955"
    assert r.layers[0].inputs[0].name == "in:0" and r.layers[0].inputs[0].format == "Int8(1,3,16,16)"
    assert r.layers[0].outputs[0].name == "(Unnamed Layer* 3) [Shuffle]_output"
    assert r.layers[1].outputs[0].dtype == "FP32"
    seven = "&&&& RUNNING TensorRT.trtexec [TensorRT v7103] # trtexec\n" + text.replace("CaskConvolution", "i8816cudnn")
    r7 = parse_engine_layers_text(numbered(seven), "x.log")
    assert r7 is not None and r7.format == "layer-info-text-7" and r7.layers[0].layer_type == "i8816cudnn"


def test_layer_info_python_prefixed_lines_and_profiles() -> None:
    text = """\
[01/02/2025-10:00:00] [TRT] [V] Engine Layer Information:
[01/02/2025-10:00:00] [TRT] [V] Layer(CaskPooling): pool, Tactic: 0x01, x (Float[1,4,4,4]) -> y (Float[1,4,2,2])
[01/02/2025-10:00:00] [TRT] [V] Layer(CaskPooling): pool [profile 1], Tactic: 0x01, x [profile 1] (Float[1,4,4,4]) -> y [profile 1] (Float[1,4,2,2])
"""
    r = parse_engine_layers_text(numbered(text), "x.log")
    assert r is not None
    assert [(layer.name, layer.profile) for layer in r.layers] == [("pool", 0), ("pool", 1)]
    assert r.layers[1].inputs[0].name == "x"


def test_foreign_node_metadata_is_attached_to_names_only_listing() -> None:
    text = """\
[TRT] [V] ForeignNode {ForeignNode[a...b]} metadata: [ONNX Layer: a][ONNX Layer: m][ONNX Layer: b]
[TRT] [V] Engine Layer Information:
Layer(Myelin): {ForeignNode[a...b]}, Tactic: 0x0000000000000000, x (Float[2]) -> y (Float[2])
"""
    r = parse_engine_layers_text(numbered(text), "x.log")
    assert r is not None and r.layers[0].metadata == ("a", "m", "b")


DETAILED = """\
[01/02/2025-10:00:00] [I] Layer Information:
[01/02/2025-10:00:00] [I] Layers:
Name: QuantizeLinear_2, LayerType: Reformat, Inputs: [ { Name: x, Location: Device, Dimensions: [1,3,8,8], Format/Datatype: Row major linear FP32 }], Outputs: [ { Name: xq, Location: Device, Dimensions: [1,3,8,8], Format/Datatype: Four wide channel vectorized row major Int8 format }], ParameterType: Reformat, Origin: QDQ, TacticValue: 0x00000000000003e8, StreamId: 0, Metadata: [ONNX Layer: QuantizeLinear_2]
Name: w + QuantizeLinear_7 + Conv_9, LayerType: CaskConvolution, Inputs: [ { Name: xq, Location: Device, Dimensions: [1,3,8,8], Format/Datatype: Four wide channel vectorized row major Int8 format }], Outputs: [ { Name: y, Location: Device, Dimensions: [1,16,8,8], Format/Datatype: Channel major FP16 format where channel % 8 == 0 }], ParameterType: Convolution, Kernel: [3,3], Weights: {"Type": "Int8", "Count": 432}, Bias: {"Type": "Float", "Count": 16}, TacticName: sm80_xmma_fprop_i8i8_f16, TacticValue: 0xb29abdd00304c881, StreamId: 0, Metadata: [ONNX Layer: QuantizeLinear_7]\x1e[ONNX Layer: Conv_9]
Name: __myl_AddMul_myl0_1, LayerType: kgen, Inputs: [ { Name: y, Dimensions: [1,16,8,8], Format/Datatype: Half }, { Name: b, Dimensions: [16], Format/Datatype: Half }], Outputs: [ { Name: __mye12_3, Dimensions: [1,16,8,8], Format/Datatype: BFloat16 }], TacticName: __myl_AddMul_0xabc, StreamId: 0, Metadata:
Name: __mye9_0_myl0_0, LayerType: shape_call, Inputs: [], Outputs: [], TacticName: , StreamId: 0, Metadata:

Bindings:
x
__mye12_3
[01/02/2025-10:00:01] [I] Skipped inference phase since --skipInference is added.
"""


def test_dump_layer_info_detailed() -> None:
    r = parse_engine_layers_text(numbered(DETAILED), "x.log")
    assert r is not None and r.format == "dump-layer-info-detailed"
    assert [layer.name for layer in r.layers] == [
        "QuantizeLinear_2", "w + QuantizeLinear_7 + Conv_9", "__myl_AddMul_myl0_1", "__mye9_0_myl0_0"]
    q, conv, kgen, shape = r.layers
    assert q.origin == "QDQ" and q.tactic == "0x00000000000003e8" and q.metadata == ("QuantizeLinear_2",)
    assert q.outputs[0].dtype == "INT8" and q.inputs[0].dims == (1, 3, 8, 8)
    assert conv.tactic == "sm80_xmma_fprop_i8i8_f16" and conv.origin is None
    assert conv.metadata == ("QuantizeLinear_7", "Conv_9")
    assert conv.outputs[0].format == "Channel major FP16 format where channel % 8 == 0"
    assert kgen.layer_type == "kgen" and [t.dtype for t in kgen.inputs] == ["FP16", "FP16"]
    assert kgen.outputs[0].dtype == "BF16" and kgen.metadata == ()
    assert shape.inputs == () and shape.outputs == () and shape.tactic is None
    assert [t.name for t in r.io_tensors] == ["x", "__mye12_3"]
    assert r.layers[0].line == 3


def test_dump_layer_info_prefixed_lines() -> None:
    text = "\n".join("[01/02/2025-10:00:00] [I] " + line for line in DETAILED.split("\n")[2:4])
    r = parse_engine_layers_text(numbered(text), "x.log")
    assert r is not None and len(r.layers) == 2 and r.layers[1].metadata == ("QuantizeLinear_7", "Conv_9")


def test_dump_layer_info_spacing_variants() -> None:
    text = "Name: r, LayerType: Reformat, Inputs: [{ Name: a, Dimensions: [2,3], Format/Datatype: Float } ], Outputs: [ ], Origin: REFORMAT"
    r = parse_engine_layers_text(numbered(text), "x.log")
    assert r is not None
    layer = r.layers[0]
    assert (layer.origin, layer.inputs[0].dims, layer.outputs, layer.metadata) == ("REFORMAT", (2, 3), (), ())


def test_gpu_layers_trt7_with_dla() -> None:
    text = """\
[02/22/2021-15:13:16] [I] [TRT]
[02/22/2021-15:13:17] [I] [TRT] --------------- Layers running on DLA:
[02/22/2021-15:13:17] [I] [TRT] {conv1,bn1,relu1},
[02/22/2021-15:13:17] [I] [TRT]
[02/22/2021-15:13:17] [I] [TRT] --------------- Layers running on GPU:
[02/22/2021-15:13:17] [I] [TRT] input reformatter 0, conv2 + relu2, inception/1x1 + relu || inception/3x3 + relu, pool5, prob,
[02/22/2021-15:13:35] [I] [TRT] Some tactics do not have sufficient workspace memory to run.
"""
    r = parse_engine_layers_text(numbered(text), "x.log")
    assert r is not None and r.format == "gpu-layers-7"
    assert [(layer.name, layer.layer_type) for layer in r.layers] == [
        ("{conv1,bn1,relu1}", "DLA"), ("input reformatter 0", None), ("conv2 + relu2", None),
        ("inception/1x1 + relu || inception/3x3 + relu", None), ("pool5", None), ("prob", None)]


def test_gpu_layers_trt85() -> None:
    text = """\
[I] [TRT] ---------- Layers Running on DLA ----------
[I] [TRT] ---------- Layers Running on GPU ----------
[I] [TRT] [GpuLayer] CONVOLUTION: /backbone/conv1/Conv + PWN(/backbone/act/Sigmoid, /backbone/act/Mul)
[I] [TRT] [GpuLayer] COPY: /Add_4_output_0 copy
[I] [TRT] [GpuLayer] MYELIN: {ForeignNode[/a/MatMul.../b/Add]}
[I] [TRT] Total Activation Memory: 1024
"""
    r = parse_engine_layers_text(numbered(text), "x.log")
    assert r is not None and r.format == "gpu-layers-85"
    assert [layer.layer_type for layer in r.layers] == ["CONVOLUTION", "COPY", "MYELIN"]
    assert r.layers[0].name == "/backbone/conv1/Conv + PWN(/backbone/act/Sigmoid, /backbone/act/Mul)"


POLY_ENGINE = """\
[I] Loading bytes from /tmp/m.engine
[I] ==== TensorRT Engine ====
    Name: Unnamed Network 0 | Explicit Batch Engine

    ---- 1 Engine Input(s) ----
    {inp [dtype=float16, shape=(1, 4)]}

    ---- 2 Engine Output(s) ----
    {out [dtype=float32, shape=(1, 4)],
     idx [dtype=int32, shape=(1,)]}

    ---- 2 Profile(s) (3 Tensor(s) Each) ----
    - Profile: 0
        Tensor: inp          (Input), Index: 0 | Shape: (1, 4)

    ---- 2 Layer(s) Per Profile ----
    - Profile: 0
        Layer 0    | mm + add [Op: CaskGemmConvolution]
            {inp [dtype=float16, shape=(1, 4), Format: Row major linear FP16 format]}
             -> {out [dtype=float32, shape=(1, 4), Format: Row major linear FP32],
                 idx [dtype=int32, shape=(1,), Format: Int32]}
            ---- Attributes ----
            Origin = Unknown
            Tactic = 0x00000000000003e9

        Layer 1    | QuantizeLinear_1 [Op: Reformat]
            {} -> {}
            ---- Attributes ----
            Origin = QDQ
            Tactic =
            Metadata = [ONNX Layer: QuantizeLinear_1]

    - Profile: 1
        Layer 0    | mm + add [profile 1] [Op: CaskGemmConvolution]
            {inp [profile 1] [shape=(1, 4)]}
             -> {out [profile 1] [shape=(1, 4)]}
[I] PASSED | Runtime: 1.0s
"""


def test_polygraphy_engine() -> None:
    r = parse_engine_layers_text(numbered(POLY_ENGINE), "x.log")
    assert r is not None and r.format == "polygraphy-engine"
    assert [(layer.name, layer.profile, layer.layer_type) for layer in r.layers] == [
        ("mm + add", 0, "CaskGemmConvolution"), ("QuantizeLinear_1", 0, "Reformat"), ("mm + add", 1, "CaskGemmConvolution")]
    first = r.layers[0]
    assert first.tactic == "0x00000000000003e9" and first.origin is None
    assert first.inputs[0].dtype == "FP16" and first.inputs[0].format == "Row major linear FP16 format"
    assert [(t.name, t.dtype, t.dims) for t in first.outputs] == [("out", "FP32", (1, 4)), ("idx", "INT32", (1,))]
    assert r.layers[1].origin == "QDQ" and r.layers[1].tactic is None and r.layers[1].inputs == ()
    assert r.layers[1].metadata == ("QuantizeLinear_1",)
    assert r.layers[2].inputs[0].name == "inp" and r.layers[2].inputs[0].dtype is None
    assert [(t.name, t.dtype) for t in r.io_tensors] == [("inp", "FP16"), ("out", "FP32"), ("idx", "INT32")]


def test_polygraphy_network_view() -> None:
    text = """\
[I] ==== TensorRT Network ====
    Name: Unnamed Network 0 | Explicit Batch Network

    ---- 1 Layer(s) ----
    Layer 0    | node_conv [Op: LayerType.CONVOLUTION]
        {x [dtype=float32, shape=(1, 1, 4, 4)]}
         -> {y [dtype=float32, shape=(1, 2, 4, 4)]}
        ---- Attributes ----
        node_conv.kernel = [ 0.1 -0.2
         0.3]
"""
    r = parse_engine_layers_text(numbered(text), "x.log")
    assert r is not None and r.format == "polygraphy-network"
    assert r.layers[0].layer_type == "LayerType.CONVOLUTION" and r.layers[0].outputs[0].dims == (1, 2, 4, 4)


def test_last_section_wins_and_all_sections_are_available() -> None:
    text = LAYER_INFO_86 + DETAILED + "[I] [TRT] ---------- Layers Running on GPU ----------\n[I] [TRT] [GpuLayer] POOLING: p\n"
    sections = parse_engine_layer_sections(numbered(text), "x.log")
    assert [s.format for s in sections] == ["layer-info-text-86", "dump-layer-info-detailed", "gpu-layers-85"]
    last = parse_engine_layers_text(numbered(text), "x.log")
    assert last == sections[-1]


def test_gap_in_line_numbers_ends_a_section() -> None:
    # keyword-filtered streams (LogReader) only carry the Layer(...) lines: a gap separates two builds
    lines = [(10, "Layer(NoOp): a, Tactic: 0x0, x (Float[1]) -> y (Float[1])"),
             (11, "Layer(NoOp): b, Tactic: 0x0, y (Float[1]) -> z (Float[1])"),
             (90, "Layer(NoOp): c, Tactic: 0x0, x (Float[1]) -> z (Float[1])")]
    sections = parse_engine_layer_sections(lines, "x.log")
    assert [[layer.name for layer in s.layers] for s in sections] == [["a", "b"], ["c"]]


def test_no_layer_information_in_text() -> None:
    assert parse_engine_layers_text(numbered("[I] hello\n[W] [TRT] nothing here\n"), "x.log") is None


# --- files: streaming, gzip, JSON, errors --------------------------------------------------------------------


def test_read_text_file_streams_with_tiny_chunks_and_both_finders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = "[V] [TRT] tactic chatter\r\n" * 50 + LAYER_INFO_86.replace("\n", "\r\n") + "[V] tail\r\n" * 30
    p = write(tmp_path, "build.log", text)
    expected = parse_engine_layers_text(numbered(text.replace("\r\n", "\n")), str(p))
    assert read_engine_layers(p) == expected
    for chunk in (7, 64, 1000):
        parser = el.layer_parser(str(p))
        scan_marked_lines(p, parser.keywords, parser.feed, chunk_bytes=chunk)
        assert parser.finish()[-1] == expected
    monkeypatch.setitem(sys.modules, "hyperscan", None)  # force the pure-Python marker search
    parser = el.layer_parser(str(p))
    scan_marked_lines(p, parser.keywords, parser.feed, chunk_bytes=64)
    assert parser.finish()[-1] == expected
    assert expected is not None and expected.layers[0].line == 53


def test_read_gzip_log(tmp_path: Path) -> None:
    p = tmp_path / "build.log.gz"
    p.write_bytes(gzip.compress(DETAILED.encode()))
    assert len(read_engine_layers(p).layers) == 4


def test_json_names_only_and_detailed(tmp_path: Path) -> None:
    names = write(tmp_path, "names.json", json.dumps({"Layers": ["a + b", "c [profile 1]"], "Bindings": ["x", "y", "x [profile 1]"]}))
    r = read_engine_layers(names)
    assert r.format == "json-names"
    assert [(layer.name, layer.profile, layer.layer_type) for layer in r.layers] == [("a + b", 0, None), ("c", 1, None)]
    assert [t.name for t in r.io_tensors] == ["x", "y"]
    detailed = {
        "Layers": [
            {"Name": "QuantizeLinear_2", "LayerType": "Reformat", "Origin": "QDQ", "TacticValue": "0x0",
             "Inputs": [{"Name": "x", "Location": "Device", "Dimensions": [1, 3], "Format/Datatype": "Row major linear FP32"}],
             "Outputs": [{"Name": "xq", "Dimensions": [1, 3], "Format/Datatype": "Row major Int8 format"}],
             "Metadata": "[ONNX Layer: QuantizeLinear_2]"},
            {"Name": "__myl_Mul_myl0_0", "LayerType": "kgen", "TacticName": "__myl_Mul_0x1", "Inputs": [], "Outputs": [],
             "Metadata": "[ONNX Layer: m1]\u001f[ONNX Layer: m2]"},
        ],
        "I/O Tensors": [
            {"Name": "x", "IOMode": "Input", "DataType": "Float", "Dimensions": [1, 3],
             "ProfileInfo": [{"Format": "Row major linear FP32 format (kLINEAR)"}]},
        ],
    }
    r = read_engine_layers(write(tmp_path, "detailed.json", json.dumps(detailed)))
    assert r.format == "json-detailed" and r.tensorrt_version is None
    q, k = r.layers
    assert (q.origin, q.tactic, q.metadata, q.outputs[0].dtype) == ("QDQ", "0x0", ("QuantizeLinear_2",), "INT8")
    assert (k.tactic, k.metadata, k.line) == ("__myl_Mul_0x1", ("m1", "m2"), None)
    assert r.io_tensors[0].dtype == "FP32" and r.io_tensors[0].format == "Row major linear FP32 format (kLINEAR)"


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("empty.log", b""),
        ("binary.plan", bytes(range(256)) * 40),
        ("no_layers.json", b'{"Bindings": ["x"]}'),
        ("profile.json", b'[{"count": 3}, {"name": "a", "averageMs": 1.0}]'),
        ("broken.json", b'{"Layers": ["a",'),
        ("plain.log", b"[I] [TRT] nothing about layers here\n[W] something else\n"),
    ],
)
def test_bad_input_raises_one_line_input_error(tmp_path: Path, name: str, content: bytes) -> None:
    p = tmp_path / name
    p.write_bytes(content)
    with pytest.raises(InputError) as exc:
        read_engine_layers(p)
    assert_one_line_error(exc)


def test_missing_file_and_directory(tmp_path: Path) -> None:
    for target in (tmp_path / "nope.json", tmp_path):
        with pytest.raises(InputError) as exc:
            read_engine_layers(target)
        assert_one_line_error(exc)
