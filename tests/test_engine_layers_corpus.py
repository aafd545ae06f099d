"""Engine layer readers on every real layer artifact of the corpus, against counts established
independently of the reader (skipped when the corpus is absent)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import artifact, manifest
from tests.test_engine_layers import assert_one_line_error
from trtdiag.engine.layers import (
    read_engine_layer_sections,
    read_engine_layers,
)
from trtdiag.engine.model import EngineLayers
from trtdiag.errors import InputError

# --- real artifacts ---------------------------------------------------------------------------------------

#: (layer count, format) of the listing read_engine_layers returns, per corpus/logs artifact whose
#: MANIFEST features include layer_info or myelin (profiles excluded: see test_engine_profile.py).
#: How each count was obtained independently of the reader:
#:   JSON      python -c "len(json.load(open(f))['Layers'])"
#:   Layer(    grep -c '^Layer(' f                       (files with a single Engine Layer Information)
#:   Name:     grep -c '^Name: ' f                       (109: all 26 are in its last, detailed section)
#:   Polygr.   grep -cE '^\s+Layer [0-9]+ +\|' f
#:   GPU list  grep -A1 'Layers running on GPU' f | tail -1 | tr ',' '\n' | grep -c '[^ ]'   (last of 7 runs)
#:   None      no layer listing in the file (read_engine_layers must raise InputError)
LAYER_EXPECTED: dict[str, tuple[int, str] | None] = {
    "021": (840, "json-names"),
    "034": (56, "gpu-layers-7"),
    "035": (65, "gpu-layers-7"),
    "071": (36, "json-detailed"),
    "073": (37, "json-detailed"),
    "075": (86, "json-detailed"),
    "077": (63, "json-detailed"),
    "079": (2, "polygraphy-engine"),
    "080": (1, "polygraphy-network"),
    "092": (10, "layer-info-text-8"),
    "093": (12, "layer-info-text-8"),
    "094": (12, "layer-info-text-8"),
    "095": (15, "layer-info-text-86"),
    "096": (16, "layer-info-text-86"),
    "097": (6, "layer-info-text-86"),
    "100": (9, "dump-layer-info-detailed"),
    "101": (9, "json-detailed"),
    "107": (27, "polygraphy-network"),
    "108": (10, "polygraphy-engine"),
    "109": (26, "dump-layer-info-detailed"),
    "113": (2, "layer-info-text-86"),
    "114": (12, "polygraphy-engine"),
    "126": None,
}

#: corpus/trex engine-graph files (the corpus MANIFEST), counted with len(json.load(f)["Layers"]).
TREX_GRAPHS = {"001": 37, "007": 36, "011": 73, "015": 63}


def test_expectation_table_covers_every_layer_artifact(corpus_logs: Path) -> None:
    wanted = {a["file"][:3] for a in manifest(corpus_logs)
              if {"layer_info", "myelin"} & set(a.get("features") or []) and "profile_table" not in a["features"]}
    assert wanted == set(LAYER_EXPECTED)


@pytest.mark.parametrize("number", sorted(LAYER_EXPECTED))
def test_corpus_layer_artifact(corpus_logs: Path, number: str) -> None:
    path = artifact(corpus_logs, number)
    expected = LAYER_EXPECTED[number]
    if expected is None:
        with pytest.raises(InputError) as exc:
            read_engine_layers(path)
        assert_one_line_error(exc)
        return
    count, fmt = expected
    r = read_engine_layers(path)
    assert (len(r.layers), r.format) == (count, fmt)
    assert [layer.index for layer in r.layers] == list(range(count))
    assert all(layer.name and "[profile" not in layer.name for layer in r.layers)
    if path.suffix == ".json":
        assert count == len(json.loads(path.read_text())["Layers"])


@pytest.mark.parametrize("number", sorted(TREX_GRAPHS))
def test_corpus_trex_graph(corpus_trex: Path, number: str) -> None:
    r = read_engine_layers(artifact(corpus_trex, number))
    assert (len(r.layers), r.format) == (TREX_GRAPHS[number], "json-detailed")
    assert all(layer.layer_type for layer in r.layers)


def test_trex_graph_001_is_the_same_engine_as_073(corpus_logs: Path, corpus_trex: Path) -> None:
    assert read_engine_layers(artifact(corpus_trex, "001")).layers == read_engine_layers(artifact(corpus_logs, "073")).layers


def test_073_qat_origins_and_int8(corpus_logs: Path) -> None:
    r = read_engine_layers(artifact(corpus_logs, "073"))
    first = r.layers[0]
    assert (first.name, first.layer_type, first.origin) == ("QuantizeLinear_2", "Reformat", "QDQ")
    assert first.inputs[0].dtype == "FP32" and first.outputs[0].dtype == "INT8"
    assert first.outputs[0].format == "Four wide channel vectorized row major Int8 format"
    conv = r.layers[1]
    assert conv.name == "conv1.weight + QuantizeLinear_7 + Conv_9"
    assert conv.tactic == "ampere_fp32_icudnn_int8x4_128x64_relu_medium_nn_v1"
    assert conv.inputs[0].dims == (32, 3, 224, 224) and conv.outputs[0].dtype == "FP32"
    # independent: python -c "[l.get('Origin') for l in json.load(f)['Layers']]" -> 10 QDQ, 2 REFORMAT
    origins = [layer.origin for layer in r.layers]
    assert origins.count("QDQ") == 10 and origins.count("REFORMAT") == 2
    assert [t.name for t in r.io_tensors] == ["input.1", "422"]


def test_077_origins_and_fp16_baseline_075(corpus_logs: Path) -> None:
    int8 = read_engine_layers(artifact(corpus_logs, "077"))
    assert [(layer.name, layer.origin) for layer in int8.layers if layer.origin] == [
        ("QuantLinearNode__838", "QDQ"),
        ("Reformatting CopyNode for Input Tensor 0 to copied_squeeze_after_resnet50/quant_predictions/BiasAdd", "REFORMAT"),
    ]
    fp16 = read_engine_layers(artifact(corpus_logs, "075"))
    conv_out = {t.dtype for layer in fp16.layers if layer.layer_type == "CaskConvolution" for t in layer.outputs}
    assert conv_out == {"FP16"}


def test_101_metadata_separators_and_myelin(corpus_logs: Path) -> None:
    r = read_engine_layers(artifact(corpus_logs, "101"))
    by_name = {layer.name: layer for layer in r.layers}
    assert by_name["node_conv2d + node_relu"].metadata == ("node_conv2d", "node_relu")  # \u001e in the file
    assert by_name["node_linear_myl4_0"].metadata == ("node_linear", "node_relu_2")  # \u001f in the file
    assert by_name["node_linear_myl4_0"].tactic.startswith("sm50_xmma_cublas_gemvx")
    assert by_name["__myl_CastReshCast_myl4_4"].metadata == ()
    assert by_name["__myl_CastReshCast_myl4_4"].outputs[0].dtype == "INT64"
    assert [t.name for t in r.io_tensors] == ["x", "y", "z"]


def test_100_dump_layer_info_myelin_sublayers(corpus_logs: Path) -> None:
    r = read_engine_layers(artifact(corpus_logs, "100"))
    assert r.tensorrt_version == "10.16.1"
    myl = [layer for layer in r.layers if layer.name.startswith("__myl_")]
    # independent: grep -c '^Name: __myl_' -> 4
    assert [layer.name for layer in myl] == ["__myl_MulSum_myl4_1", "__myl_AddMaxrSubExpSum_myl4_2",
                                             "__myl_DivMulMaxr_myl4_3", "__myl_CastReshCast_myl4_4"]
    assert {layer.layer_type for layer in myl} == {"kgen"}
    assert myl[1].metadata == ("node_linear_1", "node_softmax")
    assert [t.name for t in myl[1].outputs] == ["__myln_k_arg__bb1_6_myl4", "__myln_k_arg__bb1_5_myl4", "y"]
    assert r.layers[0].line == 154  # grep -n '^Name: ' | head -1
    assert [t.name for t in r.io_tensors] == ["x", "y", "z"]


def test_100_text_and_101_json_describe_the_same_engine(corpus_logs: Path) -> None:
    text = read_engine_layers(artifact(corpus_logs, "100"))
    js = read_engine_layers(artifact(corpus_logs, "101"))

    def key(r: EngineLayers) -> list[tuple]:
        return [(layer.name, layer.layer_type, layer.metadata, layer.inputs, layer.outputs) for layer in r.layers]

    assert key(text) == key(js)


def test_079_two_profiles(corpus_logs: Path) -> None:
    r = read_engine_layers(artifact(corpus_logs, "079"))
    assert [(layer.name, layer.profile, layer.layer_type) for layer in r.layers] == [
        ("node_of_Y", 0, "Reformat"), ("node_of_Y", 1, "MyelinReformat")]
    assert [t.name for t in r.layers[1].inputs] == ["X"]
    assert [(t.name, t.dtype, t.dims) for t in r.io_tensors] == [("X", "FP32", (1, 2, -1, -1)), ("Y", "FP32", (1, 2, -1, -1))]


def test_109_all_verbosity_levels(corpus_logs: Path) -> None:
    path = artifact(corpus_logs, "109")
    sections = read_engine_layer_sections(path)
    # independent: grep -n 'Engine Layer Information\|\[V\] Layers:' -> lines 1386, 2798, 4210
    assert [s.format for s in sections] == ["layer-info-text-86", "layer-info-text-86", "dump-layer-info-detailed"]
    assert [len(s.layers) for s in sections] == [16, 16, 26]
    r = read_engine_layers(path)
    assert r == sections[-1]
    assert [layer.profile for layer in r.layers] == [0] * 13 + [1] * 13
    assert r.layers[21].name == "node_linear_myl15_1"  # "node_linear [profile 1]_myl15_1" in the log
    myelin = [layer for layer in sections[0].layers if layer.layer_type == "Myelin"]
    assert [layer.profile for layer in myelin] == [0, 1]
    # the verbose "ForeignNode {...} metadata:" lines give the names-only listing its ONNX nodes
    assert myelin[0].metadata == ("node_view", "node_linear", "node_relu_2", "node_linear_1", "node_softmax", "node_argmax")


def test_092_to_097_text_syntax_per_version(corpus_logs: Path) -> None:
    r92 = read_engine_layers(artifact(corpus_logs, "092"))
    assert r92.tensorrt_version == "8.0.3"
    assert r92.layers[0].tactic == "7144526460361122478"  # decimal tactics up to 8.2
    assert (r92.layers[0].inputs[0].name, r92.layers[0].inputs[0].dims) == ("x:0", (-2, 1, 28, 28))
    assert r92.layers[-1].outputs[1].dtype == "INT32"
    r95 = read_engine_layers(artifact(corpus_logs, "095"))
    assert r95.tensorrt_version == "8.6.0"
    conv = r95.layers[1]
    assert (conv.name, conv.tactic) == ("Conv-1 + ReLU-2", "0x98e92db98836b738")
    assert (conv.outputs[0].format, conv.outputs[0].dims, conv.outputs[0].dtype) == ("Half[-1,32:2,28,28]", (-1, 32, 28, 28), "FP16")
    r97 = read_engine_layers(artifact(corpus_logs, "097"))
    assert r97.layers[0].name == "{ForeignNode[node_conv2d...node_relu]}" and r97.layers[0].layer_type == "Myelin"
    assert [t.dtype for t in r97.layers[-1].outputs] == ["FP32", "INT64"]


def test_113_fp8_output(corpus_logs: Path) -> None:
    r = read_engine_layers(artifact(corpus_logs, "113"))
    assert [t.dtype for t in r.layers[0].outputs] == ["FP8", "FP32"]
    assert r.layers[1].layer_type == "MyelinReformat"


def test_polygraphy_108_107_114(corpus_logs: Path) -> None:
    r = read_engine_layers(artifact(corpus_logs, "108"))
    assert r.tensorrt_version == "10.16.2.5"
    assert r.layers[5].tactic == "sm80_xmma_gemm_f32f32_f32f32_f32_nn_n_tilesize32x32x8_stage3_warpsize1x2x1_ffma_aligna4_alignc4"
    assert r.layers[4].inputs == () and r.layers[4].tactic is None
    assert [(t.name, t.dtype) for t in r.io_tensors] == [("x", "FP32"), ("y", "FP32"), ("z", "INT64")]
    net = read_engine_layers(artifact(corpus_logs, "107"))
    assert net.layers[0].layer_type == "LayerType.CONVOLUTION" and net.layers[-1].name == "ONNXTRT_castHelper_9"
    old = read_engine_layers(artifact(corpus_logs, "114"))
    assert {layer.profile for layer in old.layers} == {None}  # "- Profile: 0" only: a single-profile engine
    assert [layer.name for layer in old.layers if layer.origin == "REFORMAT"] == [
        "Reformatting CopyNode for Output Tensor 0 to MaxPool-3", "Reformatting CopyNode for Input Tensor 0 to MaxPool-6"]


def test_034_last_of_seven_runs(corpus_logs: Path) -> None:
    path = artifact(corpus_logs, "034")
    sections = read_engine_layer_sections(path)
    assert len(sections) == 7  # grep -c 'Layers running on GPU'
    r = read_engine_layers(path)
    assert r.layers[0].name == "conv1 + conv1_relu + pool1" and r.layers[-1].name == "prob"
    assert r.layers[0].line == 737  # grep -n -A1 'Layers running on GPU' | tail -1


def test_021_names_only_with_bindings(corpus_logs: Path) -> None:
    r = read_engine_layers(artifact(corpus_logs, "021"))
    assert [t.name for t in r.io_tensors] == ["image", "boxes", "logits", "classes"]
    assert r.layers[9].name == "Reformatting CopyNode for Input Tensor 0 to PWN(PWN(/Sub), PWN(/Div))"
    assert all(layer.layer_type is None and layer.inputs == () for layer in r.layers)
