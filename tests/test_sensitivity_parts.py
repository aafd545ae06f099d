"""Sensitivity building blocks: data, the range check on the fixture exports, variants, CLI exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
import pytest
from click.testing import CliRunner

from trtdiag.cli import main
from trtdiag.errors import InputError
from trtdiag.onnx.graph import GraphIndex, load_graph
from trtdiag.sensitivity.data import load_npz, make_dataset, synthetic_batches, vocabulary_size
from trtdiag.sensitivity.groups import Granularity, make_groups
from trtdiag.sensitivity.sweep import curve_steps, score

from .conftest import MODELS

XLMR = MODELS / "xlmr_tiny_ts_op17.onnx"
CNN = MODELS / "tiny_cnn_op17.onnx"


def test_synthetic_tokens_stay_in_the_vocabulary_and_masks_pad() -> None:
    g = load_graph(XLMR)
    assert vocabulary_size(g, "input_ids") == 1000
    a = synthetic_batches(g, 3, seed=7, shapes="input_ids:4x32,attention_mask:4x32")
    b = synthetic_batches(g, 3, seed=7, shapes="input_ids:4x32,attention_mask:4x32")
    for x, y in zip(a, b, strict=True):
        assert np.array_equal(x["input_ids"], y["input_ids"])  # deterministic from the seed
        assert x["input_ids"].dtype == np.int64 and x["input_ids"].min() >= 3 and x["input_ids"].max() < 1000
        mask = x["attention_mask"]
        assert mask.shape == (4, 32) and mask[:, 0].all()
        assert all(np.all(np.diff(row) <= 0) for row in mask)  # ones, then zero padding


def test_npz_is_split_into_calibration_and_held_out_batches(tmp_path: Path) -> None:
    g = load_graph(XLMR)
    path = tmp_path / "calib.npz"
    np.savez(path, input_ids=np.full((16, 8), 5), attention_mask=np.ones((16, 8), dtype=np.int64))
    ds = make_dataset(g, str(path), None)
    assert (len(ds.calibration), len(ds.evaluation), ds.synthetic) == (2, 2, False)
    assert ds.shapes == {"input_ids": (4, 8), "attention_mask": (4, 8)}
    np.savez(tmp_path / "bad.npz", input_ids=np.ones((4, 8)))
    with pytest.raises(InputError, match="attention_mask"):
        load_npz(tmp_path / "bad.npz", g)


@pytest.mark.parametrize("model", ["xlmr_tiny_ts_op17.onnx", "bert_tiny_ts_op17.onnx"])
def test_mask_path_range_check_fires_on_torchscript_exports(model: str) -> None:
    pytest.importorskip("onnxruntime")
    from trtdiag.sensitivity.calibrate import calibrate
    from trtdiag.sensitivity.ranges import FINDING_ID, check_ranges
    from trtdiag.sensitivity.variants import quantizable_nodes

    g = load_graph(MODELS / model)
    calib = calibrate(MODELS / model, make_dataset(g, None, None, shapes=_small(g)).calibration)
    check = check_ranges(g, calib, set(quantizable_nodes(g)))
    assert check.finding is not None and check.finding.id == FINDING_ID
    assert any("/Mul" in t for t in check.tensors) and len(check.tensors) >= 3
    assert all(max(map(abs, calib.ranges[t])) > 1e30 for t in check.tensors)
    assert check.fp16_hazard_ops == ("Mul",)


def test_range_check_is_quiet_without_a_mask() -> None:
    pytest.importorskip("onnxruntime")
    from trtdiag.sensitivity.calibrate import calibrate
    from trtdiag.sensitivity.ranges import check_ranges
    from trtdiag.sensitivity.variants import quantizable_nodes

    g = load_graph(CNN)
    calib = calibrate(CNN, make_dataset(g, None, None).calibration)
    check = check_ranges(g, calib, set(quantizable_nodes(g)))
    assert check.finding is None and check.tensors == () and check.fp16_hazard_ops == ()


def test_build_qdq_model_keeps_excluded_nodes_in_float(tmp_path: Path) -> None:
    pytest.importorskip("onnxruntime")
    from trtdiag.sensitivity.calibrate import calibrate
    from trtdiag.sensitivity.variants import build_qdq_model

    g = load_graph(CNN)
    calib = calibrate(CNN, make_dataset(g, None, None).calibration)
    out = build_qdq_model(CNN, calib, ["/fc/Gemm"], tmp_path / "cnn.qdq.onnx")
    model = onnx.load(out)
    names = [n.name for n in model.graph.node]
    producers = {o: n for n in model.graph.node for o in n.output}
    fc = next(n for n in model.graph.node if n.name == "/fc/Gemm")
    conv = next(n for n in model.graph.node if n.name == "/conv1/Conv")
    assert producers[conv.input[0]].op_type == "DequantizeLinear"
    assert all(i not in producers or producers[i].op_type != "DequantizeLinear" for i in fc.input)
    assert names.index(producers[conv.input[0]].name) < names.index("/conv1/Conv")  # topologically sorted


def test_groups_and_curve_steps() -> None:
    g = load_graph(XLMR)
    nodes = [n.name for n in g.nodes if n.op_type in ("MatMul", "Gemm")]
    blocks = make_groups(g, nodes, Granularity.BLOCK)
    assert [x.label for x in blocks] == ["block 0", "block 1", "pooler"]
    roles = make_groups(g, nodes, Granularity.ROLE)
    assert {x.label for x in roles} >= {"attention.self.query", "attention.self", "intermediate.dense",
                                        "output.dense", "pooler.dense"}
    assert sorted(n for x in roles for n in x.nodes) == sorted(nodes)
    assert curve_steps(8) == [0, 1, 2, 4, 8] and curve_steps(5) == [0, 1, 2, 4, 5] and curve_steps(0) == [0]


def test_score_is_one_minus_cosine_and_sqnr() -> None:
    ref = [[np.array([1.0, 0.0])]]
    assert score(ref, ref).error == 0.0 and score(ref, ref).sqnr_db == float("inf")
    worse = score(ref, [[np.array([1.0, 1.0])]])
    assert worse.error == pytest.approx(1 - 1 / np.sqrt(2)) and worse.sqnr_db == pytest.approx(0.0)
    assert score(ref, [[np.array([np.nan, 0.0])]]).error == 1.0


def test_cli_bad_input_exits_2_with_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["sensitivity", str(tmp_path / "missing.onnx")])
    assert result.exit_code == 2
    assert len(result.output.strip().splitlines()) == 1 and "error" in result.output


def test_cli_writes_json_and_html(tmp_path: Path) -> None:
    pytest.importorskip("onnxruntime")
    out = tmp_path / "s.json"
    result = CliRunner().invoke(main, ["sensitivity", str(CNN), "--granularity", "node", "--workers", "1",
                                       "--json", str(out), "-o", str(tmp_path / "s.html")])
    assert result.exit_code == 0, result.output
    doc = json.loads(out.read_text())
    assert doc["schema"] == "trtdiag.sensitivity/1" and doc["findings"] == []
    assert {tuple(r["nodes"]) for r in doc["ranking"]} == {("/conv1/Conv",), ("/conv2/Conv",), ("/fc/Gemm",)}
    assert "<svg" in (tmp_path / "s.html").read_text()


def _small(g: GraphIndex) -> str:
    return ",".join(f"{n}:2x16" for n in g.inputs)
