"""Input shapes: trtexec --shapes parsing, defaults, partial user shapes, shape inference."""

from __future__ import annotations

import pytest

from trtdiag.errors import InputError
from trtdiag.onnx.graph import load_graph
from trtdiag.onnx.shapes import (
    concrete_shapes,
    default_shapes,
    infer_tensor_shapes,
    parse_shapes,
    with_input_shapes,
)

from .conftest import MODELS


def test_parse_shapes() -> None:
    assert parse_shapes("input_ids:16x128,attention_mask:16x128") == {"input_ids": (16, 128), "attention_mask": (16, 128)}
    assert parse_shapes("SequenceMask/Range:0:4x8") == {"SequenceMask/Range:0": (4, 8)}
    for bad in ("input_ids", "input_ids:16xA", "x:0x3"):
        with pytest.raises(InputError):
            parse_shapes(bad)


def test_default_shapes() -> None:
    assert default_shapes({"input_ids": ("INT64", ("batch", "seq")), "image": ("FLOAT", ("N", 3, 224, 224))}) == {
        "input_ids": (1, 128), "image": (1, 3, 224, 224)}


def test_unnamed_inputs_follow_the_symbolic_dims_of_named_ones() -> None:
    inputs = {"input_ids": ("INT64", ("batch", "seq")), "token_type_ids": ("INT64", ("batch", "seq")),
              "pixels": ("FLOAT", ("N", 3))}
    concrete, notes = concrete_shapes(inputs, {"input_ids": (8, 64)})
    assert concrete == {"input_ids": (8, 64), "token_type_ids": (8, 64), "pixels": (1, 3)}
    assert notes == ["default shapes used for pixels=1x3, token_type_ids=8x64"]
    assert concrete_shapes(inputs, None) == (default_shapes(inputs), [])
    with pytest.raises(InputError, match="does not have"):
        concrete_shapes(inputs, {"mask": (1, 2)})


def test_inference_resolves_every_tensor_at_concrete_shapes() -> None:
    g = load_graph(MODELS / "xlmr_tiny_ts_op17.onnx")
    shaped = with_input_shapes(g.structure, {"input_ids": (2, 16), "attention_mask": (2, 16)})
    assert g.structure.graph.input[0].type.tensor_type.shape.dim[0].dim_param  # the index's model is left alone
    shapes, failure = infer_tensor_shapes(shaped)
    assert failure is None
    assert shapes["input_ids"] == (2, 16)
    assert shapes[g.outputs[0]] is not None and shapes[g.outputs[0]][:2] == (2, 16)
    with pytest.raises(InputError, match="rank"):
        with_input_shapes(g.structure, {"input_ids": (2, 16, 1)})
