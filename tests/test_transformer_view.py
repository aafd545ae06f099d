"""Block x sub-module grid: roles from every naming scheme, cells coloured by what lacked scales."""

from __future__ import annotations

import pytest

from trtdiag.analysis import analyze
from trtdiag.transformer_view import role_of

from .conftest import LOGS, MODELS


@pytest.mark.parametrize(("sub", "op", "role"), [
    ("attention.self.query", "MatMul", "Q"),
    ("self_attn.k_proj", "MatMul", "K"),
    ("attention.self.value", "Add", "V"),
    ("attention.self", "Softmax", "Softmax"),
    ("attention.self", "MatMul", "attention MatMuls"),
    ("attention.output.dense", "MatMul", "attention output"),
    ("attention.output.LayerNorm", "LayerNormalization", "attention LayerNorm"),
    ("intermediate.dense", "MatMul", "FFN up"),
    ("intermediate.intermediate_act_fn", "Erf", "FFN up"),
    ("output.dense", "MatMul", "FFN down"),
    ("output.LayerNorm", "LayerNormalization", "output LayerNorm"),
    ("embeddings.word_embeddings", "Gather", "embeddings"),
    ("pooler.dense", "Gemm", "pooler"),
    ("", "Cast", "other"),
])
def test_roles(sub: str, op: str, role: str) -> None:
    assert role_of(sub, op) == role


def test_grid_of_the_int8_only_build() -> None:
    a = analyze(LOGS / "xlmr_int8_only_trtexec.log", MODELS / "xlmr_tiny_ts_op17.onnx",
                shapes="input_ids:16x128,attention_mask:16x128")
    grid = a.grid
    assert grid is not None
    assert grid.rows == ("outside blocks", "block 0", "block 1")
    q1, q0 = grid.cell("block 1", "Q"), grid.cell("block 0", "Q")
    assert q1 is not None and q1.state == "activation" and q1.warned_activations >= 1
    assert q0 is not None and q0.state == "weight" and q0.warned_activations == 0
    # each Q projection is 16*128*64*64 MACs of a 201,392,128-MAC model
    assert q0.mac_share == pytest.approx(16 * 128 * 64 * 64 / 201_392_128)
    assert sum(c.mac_share or 0 for c in grid.cells) == pytest.approx(1.0)
    html = a.to_html()
    assert 'id="grid"' in html and 'data-cell="block 1|Q"' in html


def test_no_grid_for_a_cnn() -> None:
    a = analyze(LOGS / "resnet_like_benign_int8_fp16.log", MODELS / "tiny_cnn_op17.onnx")
    assert a.grid is None and 'id="grid"' not in a.to_html()
