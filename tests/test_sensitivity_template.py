"""Variants derived from one all-INT8 template equal the quantizer's own variants, bit for bit."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from .conftest import MODELS

pytest.importorskip("onnxruntime")

from trtdiag.onnx.graph import load_graph
from trtdiag.sensitivity.calibrate import calibrate
from trtdiag.sensitivity.data import make_dataset
from trtdiag.sensitivity.template import VariantTemplate
from trtdiag.sensitivity.variants import prepare_model, quantizable_nodes, quantize, session


@pytest.mark.parametrize("name", ["bert_tiny_ts_op17.onnx", "tiny_cnn_op17.onnx"])
def test_template_variants_equal_quantizer_variants(name: str, tmp_path: Path) -> None:
    model = MODELS / name
    g = load_graph(model)
    ds = make_dataset(g, None, None, shapes=",".join(f"{n}:2x{'3x32x32' if 'cnn' in name else '16'}" for n in g.inputs))
    calib = calibrate(model, ds.calibration)
    nodes = quantizable_nodes(g)
    template = VariantTemplate.build(prepare_model(model), calib, nodes, tmp_path)
    assert template is not None
    assert {"all_int8.onnx", "fp32.onnx"} <= {p.name for p in tmp_path.iterdir()}
    fp32 = prepare_model(model)
    rng = random.Random(1)
    subsets = [nodes, [], nodes[:1], nodes[-1:], *([n for n in nodes if rng.random() < 0.5] for _ in range(2))]
    for subset in subsets:
        expected = [session(quantize(fp32, calib, subset)).run(None, b) for b in ds.evaluation]
        got = [template.session(subset).run(None, b) for b in ds.evaluation]
        for e, o in zip(expected, got, strict=True):
            for x, y in zip(e, o, strict=True):
                assert np.array_equal(x, y), (len(subset), name)
    assert not any(n.op_type in ("QuantizeLinear", "DequantizeLinear") for n in template.variant([]).graph.node)
    assert not list(tmp_path.glob("variant-*"))  # the per-variant graph files are removed
