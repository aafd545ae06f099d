"""The sensitivity sweep on the planted-outlier model (fixtures/make_sensitivity_models.py) and its outputs."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from .conftest import FIXTURES, MODELS

pytest.importorskip("onnxruntime")

from trtdiag.sensitivity.commands import recommended_exclusion
from trtdiag.sensitivity.document import SCHEMA, to_document, to_json
from trtdiag.sensitivity.groups import Granularity
from trtdiag.sensitivity.page import to_html
from trtdiag.sensitivity.pipeline import SensitivityOptions, SensitivityReport, run_sensitivity

SHAPES = "input_ids:2x32,attention_mask:2x32"
PLANTED_ROLE = "output.dense"  # FFN down projection: the only MatMul that reads the scaled channel


def _make_outlier(tmp: Path) -> Path:
    spec = importlib.util.spec_from_file_location("make_sensitivity_models", FIXTURES / "make_sensitivity_models.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out: Path = module.make_outlier_model(tmp / "xlmr_outlier.onnx")
    return out


@pytest.fixture(scope="module")
def outlier(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _make_outlier(tmp_path_factory.mktemp("sens"))


@pytest.fixture(scope="module")
def by_role(outlier: Path) -> SensitivityReport:
    return run_sensitivity(outlier, SensitivityOptions(shapes=SHAPES, granularity=Granularity.ROLE, workers=1))


def test_planted_block_ranks_first(outlier: Path) -> None:
    report = run_sensitivity(outlier, SensitivityOptions(shapes=SHAPES, granularity=Granularity.BLOCK, workers=1))
    top = report.result.ranking[0]
    assert top.group.block == 1 and top.group.label == "block 1"
    assert top.only.error > 10 * report.result.ranking[1].only.error
    assert top.without.error < report.result.all_int8.error / 5  # everything but block 1 in INT8 is fine


def test_planted_role_ranks_first_and_the_curve_falls(by_role: SensitivityReport) -> None:
    ranking = by_role.result.ranking
    assert ranking[0].group.role == PLANTED_ROLE
    assert ranking[0].only.error > 10 * ranking[1].only.error
    errors = {p.excluded: p.score.error for p in by_role.result.curve}
    assert errors[0] >= errors[1] >= errors[2] >= errors[4]
    assert errors[1] < errors[0] / 5  # the planted role out: most of the error is gone
    assert errors[len(ranking)] == 0.0  # nothing quantized
    assert recommended_exclusion(by_role.result) == 1


def test_document_validates_and_names_the_commands(by_role: SensitivityReport) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((Path(__file__).resolve().parent.parent / "trtdiag/schema/sensitivity.schema.json").read_text())
    doc = json.loads(to_json(by_role))
    jsonschema.Draft202012Validator(schema).validate(doc)
    assert doc["schema"] == SCHEMA and doc["data"]["synthetic"] is True
    assert [f["id"] for f in doc["findings"]] == ["calibration-range-overflow"]
    modelopt = doc["commands"][0]["command"]
    assert "--calibration_shapes input_ids:2x32,attention_mask:2x32" in modelopt
    assert "--calibration_eps cpu" in modelopt and "--op_types_to_exclude_fp16 Mul" in modelopt
    assert r"'^/encoder/layer\.1/output/dense/MatMul$'" in modelopt
    assert "Softmax" not in modelopt and "LayerNorm" not in modelopt
    assert any("--stronglyTyped" in c["command"] for c in doc["commands"])
    assert any("--layerPrecisions=" in c["command"] for c in doc["commands"])
    assert any("--layer-precisions" in c["command"] for c in doc["commands"])
    assert doc["ranking"][0]["error"] >= doc["ranking"][-1]["error"]


def test_html_is_self_contained_and_escaped(by_role: SensitivityReport) -> None:
    page = to_html(by_role)
    assert "<svg" in page and "<polyline" in page and "attention.output.dense" in page
    assert "SYNTHETIC INPUTS" in page and "<script src" not in page and "http://" not in page.replace(
        'xmlns="http://www.w3.org/2000/svg"', "")
    assert to_document(by_role)["curve"][0]["excluded"] == 0


def test_parallel_workers_give_the_same_ranking() -> None:
    model = MODELS / "tiny_cnn_op17.onnx"
    serial = run_sensitivity(model, SensitivityOptions(shapes="input:2x3x32x32", workers=1))
    parallel = run_sensitivity(model, SensitivityOptions(shapes="input:2x3x32x32", workers=2))
    assert [r.group.label for r in serial.result.ranking] == [r.group.label for r in parallel.result.ranking]
    assert [r.only.error for r in serial.result.ranking] == pytest.approx(
        [r.only.error for r in parallel.result.ranking], rel=1e-6, abs=1e-9)
    assert serial.ranges.finding is None


def test_transformer_grid_is_coloured_by_sensitivity(by_role: SensitivityReport) -> None:
    from trtdiag.sensitivity.grid import build_grid
    from trtdiag.sensitivity.page import shader

    grid = build_grid(by_role.graph, by_role.result.ranking)
    assert grid is not None and grid.rows[-2:] == ("block 0", "block 1")
    cells = {(c.row, c.column): c for c in grid.cells}
    down = cells[("block 1", "FFN down")]
    assert down.error == grid.top and down.group == PLANTED_ROLE
    assert cells[("block 0", "FFN down")].error == down.error  # a role spans every block
    assert all(c.error < down.error for c in grid.cells if c.column != "FFN down")
    shade = shader(grid)
    assert shade(grid.top) == "rgba(198,40,40,0.88)" and shade(0.0) == "rgba(198,40,40,0.08)"
    page = to_html(by_role)
    assert '<table class="grid">' in page and "rgba(198,40,40,0.88)" in page


def test_a_cnn_has_no_transformer_grid() -> None:
    from trtdiag.onnx.graph import load_graph
    from trtdiag.sensitivity.grid import build_grid
    from trtdiag.sensitivity.groups import Group
    from trtdiag.sensitivity.sweep import Ranked, Score

    g = load_graph(MODELS / "tiny_cnn_op17.onnx")
    convs = tuple(n.name for n in g.nodes if n.op_type in ("Conv", "Gemm"))
    ranked = [Ranked(Group("all", convs, None, None), Score(0.1, 10.0), Score(0.0, 99.0))]
    assert build_grid(g, ranked) is None
