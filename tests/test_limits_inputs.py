"""Bad inputs are exit 2 with one line, never exit 3: an ONNX node name that is not UTF-8 (read with
replacement characters, exit 0), and the other hostile inputs of the limits (README "Limits and guarantees")."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from trtdiag.cli import main
from trtdiag.onnx.graph import load_graph

from .conftest import LOGS

LOG = LOGS / "xlmr_int8_only_trtexec.log"
WARNING = ("[12/01/2026-10:00:01] [W] [TRT] Missing scale and zero-point for tensor {}, expect fall back to "
           "non-int8 implementation for any layer consuming or producing given tensor\n")
HEADER = "[12/01/2026-10:00:00] [I] TensorRT version: 10.3.0\n[12/01/2026-10:00:00] [I] Precision: FP32+INT8\n"


def _model_with_bad_names(path: Path) -> None:
    """A model whose node names hold bytes that are not UTF-8. ``onnx.helper`` refuses such names, so the
    placeholders of valid names are patched in the serialized bytes (same lengths: the framing holds)."""
    from onnx import TensorProto, helper

    nodes = [helper.make_node("MatMul", ["x", "w"], ["y"], name="/encoder/layer.0/QQQQ/MatMul"),
             helper.make_node("Relu", ["y"], ["z"], name="RRRR")]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
                              [helper.make_tensor_value_info("z", TensorProto.FLOAT, [1, 4])],
                              [helper.make_tensor("w", TensorProto.FLOAT, [4, 4], [0.0] * 16)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    data = model.SerializeToString()
    path.write_bytes(data.replace(b"QQQQ", b"\xff\xfe\x80Q").replace(b"RRRR", b"\xc3\x28RR"))


def _one_line_exit_2(argv: list[str]) -> str:
    result = CliRunner().invoke(main, argv)
    assert result.exit_code == 2, (result.exit_code, result.output, result.stderr)
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    return result.stderr


def test_onnx_names_that_are_not_utf8_are_read_with_replacements(tmp_path: Path) -> None:
    model = tmp_path / "bad.onnx"
    _model_with_bad_names(model)
    g = load_graph(model)
    assert [n.name for n in g.nodes] == ["/encoder/layer.0/\ufffd\ufffd\ufffdQ/MatMul", "\ufffd(RR"]
    assert any("not valid UTF-8" in w for w in g.warnings)
    log = tmp_path / "b.log"
    log.write_text(HEADER + WARNING.format("y"))
    out = tmp_path / "r.json"
    result = CliRunner().invoke(main, ["analyze", str(log), str(model), "-o", str(tmp_path / "r.html"),
                                       "--json", str(out), "-q"])
    assert result.exit_code == 0, result.output
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["missing_scale"][0]["onnx_node"] == "/encoder/layer.0/\ufffd\ufffd\ufffdQ/MatMul"
    assert any("not valid UTF-8" in n for n in doc["notes"])


@pytest.mark.parametrize("name,content", [
    ("directory", None),
    ("prose.cache", b"hello world\nthis is not a cache at all\n"),
    ("huge-int.json", b'{"a": [' + b"9" * 5000 + b', 1]}'),
    ("binary.cache", b"\x00\x01\x02" * 50),
])
def test_bad_calibration_caches_exit_2_in_one_line(tmp_path: Path, name: str, content: bytes | None) -> None:
    cache = tmp_path / name
    if content is None:
        cache.mkdir()
    else:
        cache.write_bytes(content)
    _one_line_exit_2(["analyze", str(LOG), "--calib-cache", str(cache), "-o", str(tmp_path / "r.html")])


def test_other_bad_inputs_exit_2_in_one_line(tmp_path: Path) -> None:
    out = ["-o", str(tmp_path / "r.html")]
    _one_line_exit_2(["analyze", str(LOG), "--shapes", "input_ids:99999999999999999999x1", *out])
    _one_line_exit_2(["analyze", str(tmp_path / "missing.log"), *out])
    not_onnx = tmp_path / "m.onnx"
    not_onnx.write_bytes(b"\xff" * 64)
    _one_line_exit_2(["analyze", str(LOG), str(not_onnx), *out])
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 10000 + "]" * 10000)
    _one_line_exit_2(["analyze", str(LOG), "--int8-layers", str(deep), *out])
