"""Layer-wise accuracy: the first diverging tensor, mapped to ONNX node, block and sub-module; NaN/Inf
inside the network reported even when the outputs are finite; the static FP16-overflow hazard."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("onnxruntime")

import onnx
from onnx import numpy_helper

from trtdiag.accuracy.classify import AccuracyClass
from trtdiag.accuracy.document import accuracy_document
from trtdiag.accuracy.hazards import fp16_overflow_constants
from trtdiag.accuracy.load import RunnerResults
from trtdiag.accuracy.pipeline import compare_runs
from trtdiag.accuracy.reference import default_tensors, run_reference, select_tensors
from trtdiag.documents.schemas import validate
from trtdiag.onnx.graph import GraphIndex, load_graph

from .conftest import MODELS
from .test_accuracy_classes import XLMR, xlmr_feeds

BROKEN_LN = "/encoder/layer.1/attention/output/LayerNorm/LayerNormalization"
SOFTMAX0 = "/encoder/layer.0/attention/self/Softmax_output_0"


@pytest.fixture(scope="module")
def graph() -> GraphIndex:
    return load_graph(XLMR)


@pytest.fixture(scope="module")
def reference(graph: GraphIndex) -> RunnerResults:
    return run_reference(XLMR, xlmr_feeds(), select_tensors(graph))


def _scaled_layernorm_model(tmp: Path) -> Path:
    """The fixture model with one LayerNorm's gain tripled: everything after it diverges."""
    model = onnx.load(str(XLMR))
    node = next(n for n in model.graph.node if n.name == BROKEN_LN)
    init = next(t for t in model.graph.initializer if t.name == node.input[1])
    init.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(init) * 3.0, init.name))
    path = tmp / "scaled.onnx"
    onnx.save(model, str(path))
    return path


def test_default_marks_are_blocks_layernorms_and_softmaxes(graph: GraphIndex) -> None:
    marked = default_tensors(graph)
    assert SOFTMAX0 in marked and f"{BROKEN_LN}_output_0" in marked
    assert len(marked) < 12  # a handful per block, never "mark all"


def test_first_divergence_is_the_perturbed_layer(graph: GraphIndex, reference: RunnerResults,
                                                     tmp_path: Path) -> None:
    broken = run_reference(_scaled_layernorm_model(tmp_path), xlmr_feeds(), select_tensors(graph))
    cand = RunnerResults("int8.json", "trt-runner-N6-test", broken.iterations)
    result = compare_runs(reference, [cand], graph)
    (c,) = result.candidates
    assert c.layerwise is not None
    div = c.layerwise.first_divergence
    assert div is not None and div.place.tensor == f"{BROKEN_LN}_output_0"
    assert div.place.onnx_node == BROKEN_LN and div.place.op_type == "LayerNormalization"
    assert div.place.block == 1 and div.place.submodule == "attention.output.LayerNorm"
    assert div.previous_class is AccuracyClass.SAME and div.accuracy_class.rank >= AccuracyClass.DEGRADED.rank
    doc = accuracy_document(result, timestamp=False)
    validate(doc)
    assert doc["first_divergence"]["tensor"] == f"{BROKEN_LN}_output_0"
    blocks = {b["block"]: b["class"] for b in doc["candidates"][0]["layerwise"]["blocks"]}
    assert blocks[0] == "same-as-reference" and blocks[1] != "same-as-reference"


def test_nan_inside_with_finite_outputs_is_reported(graph: GraphIndex, reference: RunnerResults) -> None:
    it = {k: np.array(v, copy=True) for k, v in reference.iterations[0].items()}
    it[SOFTMAX0][0, 0, 0, :] = np.nan  # the NaN Softmax a Q/DQ pair hides downstream
    result = compare_runs(reference, [RunnerResults("c.json", "trt-runner-N6-x", (it,))], graph)
    (c,) = result.candidates
    assert all(o.non_finite == 0 for o in c.outputs)
    assert c.accuracy_class is AccuracyClass.SAME
    found = {f.id: f for f in result.findings}
    assert "while the outputs are finite" in found["non-finite-intermediate"].title
    assert found["non-finite-intermediate"].evidence.tensors == (SOFTMAX0,)
    assert c.layerwise is not None and c.layerwise.first_divergence is not None
    assert c.layerwise.first_divergence.place.tensor == SOFTMAX0


def test_layerwise_without_model_keeps_the_saved_order(reference: RunnerResults) -> None:
    it = {k: np.array(v, copy=True) for k, v in reference.iterations[0].items()}
    result = compare_runs(reference, [RunnerResults("c.json", "c", (it,))], None)
    assert result.candidates[0].layerwise is None  # without a model every common tensor is an output
    assert result.candidates[0].accuracy_class is AccuracyClass.SAME


@pytest.mark.parametrize(("model", "fires"), [
    ("xlmr_tiny_ts_op17.onnx", True), ("bert_tiny_ts_op17.onnx", True), ("tiny_cnn_op17.onnx", False)])
def test_fp16_overflow_constant(model: str, fires: bool) -> None:
    finding = fp16_overflow_constants(load_graph(MODELS / model))
    assert (finding is not None) is fires
    if finding is not None:
        assert finding.id == "fp16-overflow-constant"
        assert any(n.endswith(("Mul", "Mul_1")) for n in finding.evidence.nodes)
        assert "-65504" in finding.fix and "--op_types_to_exclude_fp16 Mul" in finding.fix
