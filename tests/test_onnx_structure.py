"""The weight-skipping ONNX reader gives the same graph as onnx.load, minus large initializer values."""

from __future__ import annotations

from pathlib import Path

import onnx
import pytest
from onnx import numpy_helper

from trtdiag.onnx.structure import KEEP_VALUES_UP_TO, load_structure

from .conftest import MODELS

ALL = sorted(p.name for p in MODELS.glob("*.onnx"))


@pytest.mark.parametrize("name", ALL)
def test_same_graph_as_onnx_load(name: str) -> None:
    full = onnx.load(str(MODELS / name), load_external_data=False)
    light = load_structure(MODELS / name)
    assert light.graph.node == full.graph.node
    assert light.graph.input == full.graph.input and light.graph.output == full.graph.output
    assert light.opset_import == full.opset_import and light.ir_version == full.ir_version
    dropped = 0
    for a, b in zip(light.graph.initializer, full.graph.initializer, strict=True):
        assert (a.name, list(a.dims), a.data_type) == (b.name, list(b.dims), b.data_type)
        n = 1
        for d in b.dims:
            n *= d
        if n <= KEEP_VALUES_UP_TO and b.data_location != onnx.TensorProto.EXTERNAL:
            assert (numpy_helper.to_array(a) == numpy_helper.to_array(b)).all()  # shape constants kept
        else:
            assert not a.raw_data and not a.float_data
            dropped += bool(b.raw_data or b.float_data)
    assert (light.ByteSize() < full.ByteSize()) == bool(dropped)


def test_external_data_fields_survive() -> None:
    light = load_structure(MODELS / "xlmr_tiny_ts_op17_ext.onnx")
    ext = [t for t in light.graph.initializer if t.data_location == onnx.TensorProto.EXTERNAL]
    assert len(ext) == 15 and all(t.external_data for t in ext)


@pytest.mark.parametrize("content", [b"\xff" * 64, b"\x0a\x05ab", b"\x3a\xff\xff\xff\xff\x0f"])
def test_malformed_bytes_raise(tmp_path: Path, content: bytes) -> None:
    p = tmp_path / "bad.onnx"
    p.write_bytes(content)
    with pytest.raises(Exception):  # noqa: B017 - any parse error; load_graph turns it into an InputError
        load_structure(p)
