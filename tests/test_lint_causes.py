"""The second causes of the lint rules, and how the Q/DQ view reads scales, on tiny hand-built models."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from trtdiag.lint.run import lint_model


class G:
    """A few-node ONNX graph builder for one test."""

    def __init__(self) -> None:
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []

    def add(self, op: str, name: str, inputs: list[str], **attrs: object) -> str:
        self.nodes.append(helper.make_node(op, inputs, [f"{name}_out"], name=name, **attrs))
        return f"{name}_out"

    def const(self, name: str, value: np.ndarray) -> str:
        self.inits.append(numpy_helper.from_array(value, name))
        return name

    def qdq(self, t: str, name: str, scale: float = 0.1, zp: int = 0, q: bool = True) -> str:
        s = self.const(f"{name}_s", np.array(scale, dtype=np.float32))
        z = self.const(f"{name}_z", np.array(zp, dtype=np.int8))
        src = self.add("QuantizeLinear", f"{name}_Q", [t, s, z]) if q else t
        return self.add("DequantizeLinear", f"{name}_DQ", [src, s, z])

    def weight(self, name: str, shape: tuple[int, ...], axis: int | None = None) -> str:
        w = self.const(name, np.full(shape, 0.1, dtype=np.float32))
        n = shape[axis] if axis is not None else 1
        s = self.const(f"{name}_s", np.full(n, 0.01, dtype=np.float32) if axis is not None else np.array(0.01, np.float32))
        z = self.const(f"{name}_z", np.zeros(n, dtype=np.int8) if axis is not None else np.array(0, np.int8))
        attrs = {"axis": axis} if axis is not None else {}
        q = self.add("QuantizeLinear", f"{name}_Q", [w, s, z], **attrs)
        return self.add("DequantizeLinear", f"{name}_DQ", [q, s, z], **attrs)

    def save(self, path: Path, out: str, in_shape: tuple[int, ...] = (1, 4, 8, 8)) -> Path:
        graph = helper.make_graph(self.nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, in_shape)],
                                  [helper.make_tensor_value_info(out, TensorProto.FLOAT, None)], self.inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
        onnx.save(model, path)
        return path


def test_qdq_between_conv_and_residual_add(tmp_path: Path) -> None:
    g = G()
    dx = g.qdq("x", "x")
    c = g.add("Conv", "conv", [dx, g.weight("w", (4, 4, 1, 1), 0)])
    add = g.add("Add", "add", [g.qdq(c, "conv_out"), dx])
    f = lint_model(g.save(tmp_path / "m.onnx", add)).by_id("qdq-residual-add")
    assert len(f) == 1 and f[0].title.startswith("Q/DQ between")
    assert f[0].evidence.nodes == ("add", "conv_out_Q", "conv_out_DQ", "conv")


def test_lone_dq_and_unused_pair(tmp_path: Path) -> None:
    g = G()
    r = g.add("Relu", "relu", ["x"])
    lone = g.qdq(r, "lone", q=False)
    g.qdq(r, "unused")
    out = g.add("Conv", "conv", [lone, g.weight("w", (4, 4, 1, 1), 0)])
    titles = {f.title: f.evidence.nodes for f in lint_model(g.save(tmp_path / "m.onnx", out)).by_id("qdq-orphan")}
    assert titles == {"DequantizeLinear nodes on activations that no QuantizeLinear produced": ("lone_DQ",),
                      "Q/DQ pairs whose output nothing reads": ("unused_Q", "unused_DQ")}


def test_weight_scales_on_the_wrong_axis_and_linear_input_not_quantized(tmp_path: Path) -> None:
    g = G()
    mm = g.add("MatMul", "mm", ["x", g.weight("w", (8, 6), 0)])  # per channel on K, not N
    result = lint_model(g.save(tmp_path / "m.onnx", mm, (2, 8)))
    axis = result.by_id("qdq-per-tensor-weights")
    assert len(axis) == 1 and "axis" in axis[0].title and axis[0].evidence.nodes == ("w_DQ", "mm")
    gemm = result.by_id("gemm-input-not-quantized")
    assert len(gemm) == 1 and gemm[0].evidence.nodes == ("mm",) and gemm[0].evidence.tensors == ("x",)
    assert gemm[0].mac_share == 1.0


def test_dq_feeding_a_gemm_and_a_float_op_is_info(tmp_path: Path) -> None:
    g = G()
    d = g.qdq("x", "x")
    mm = g.add("MatMul", "mm", [d, g.weight("w", (8, 8), 1)])
    sm = g.add("Softmax", "sm", [d])
    out = g.add("Add", "sum", [mm, sm])
    f = lint_model(g.save(tmp_path / "m.onnx", out, (2, 8))).by_id("dq-feeds-non-int8-op")
    assert [(str(x.severity), x.evidence.nodes) for x in f] == [("info", ("x_DQ", "sm"))]


def test_model_without_qdq_reports_every_gemm_as_unquantized(tmp_path: Path) -> None:
    g = G()
    out = g.add("MatMul", "mm", ["x", g.const("w", np.ones((8, 8), np.float32))])
    result = lint_model(g.save(tmp_path / "m.onnx", out, (2, 8)))
    assert [f.id for f in result.findings] == ["unquantized-gemm-share"]
    assert result.findings[0].title.startswith("No Q/DQ nodes") and result.findings[0].mac_share == 1.0


def test_zero_point_in_a_constant_node_is_read(tmp_path: Path) -> None:
    g = G()
    g.nodes.append(helper.make_node("Constant", [], ["zp"], value=numpy_helper.from_array(np.array(5, np.uint8))))
    s = g.const("s", np.array(0.1, np.float32))
    q = g.add("QuantizeLinear", "q", ["x", s, "zp"])
    d = g.add("DequantizeLinear", "dq", [q, s, "zp"])
    out = g.add("MatMul", "mm", [d, g.weight("w", (8, 8), 1)])
    f = lint_model(g.save(tmp_path / "m.onnx", out, (2, 8))).by_id("qdq-nonzero-zero-point")
    assert len(f) == 1 and f[0].evidence.nodes == ("q", "dq") and "UINT8" in f[0].evidence.notes[0]


def test_large_per_channel_zero_points_are_read_inline_and_from_external_data(tmp_path: Path) -> None:
    n = 2048  # over the weight-free reader's inline limit
    g = G()
    w = g.const("w", np.zeros((8, n), np.float32))
    s = g.const("w_s", np.full(n, 0.01, np.float32))
    z = g.const("w_z", np.r_[np.zeros(n - 1, np.int8), np.int8(1)])
    q = g.add("QuantizeLinear", "w_Q", [w, s, z], axis=1)
    dw = g.add("DequantizeLinear", "w_DQ", [q, s, z], axis=1)
    out = g.add("MatMul", "mm", [g.qdq("x", "x"), dw])
    inline = g.save(tmp_path / "inline.onnx", out, (2, 8))
    f = lint_model(inline).by_id("qdq-nonzero-zero-point")  # read by walking the file to the two tensors
    assert len(f) == 1 and f[0].evidence.nodes == ("w_Q", "w_DQ")
    model = onnx.load(inline)
    onnx.save(model, tmp_path / "ext.onnx", save_as_external_data=True, all_tensors_to_one_file=True,
              location="ext.data", size_threshold=1024)
    f = lint_model(tmp_path / "ext.onnx").by_id("qdq-nonzero-zero-point")
    assert len(f) == 1 and f[0].evidence.nodes == ("w_Q", "w_DQ")
