"""Static accuracy hazards read from the ONNX model alone (no run needed).

``fp16-overflow-constant``: a floating-point constant outside the FP16 range (|x| > 65504) that reaches a
Mul or Add. TorchScript transformer exports build the attention mask as ``(1 - mask) * finfo(float32).min``;
once that Mul runs in FP16 (TensorRT FP16 tactics, ModelOpt's default FP16 conversion), -3.4e38 becomes
-inf, and ``0 * -inf`` is NaN for the positions that are *not* masked: the Softmax after it returns NaN, and
a Q/DQ pair further on can hide the NaN from the outputs. Only the values of small tensors are read
(``GraphIndex.structure`` keeps shape constants and scalars, drops weights), which is where such masks live.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterator

import numpy as np

from trtdiag.findings import Evidence, Finding, Severity
from trtdiag.onnx.graph import GraphIndex

FP16_MAX = 65504.0
#: Ops a constant passes through unchanged in magnitude on its way to the Mul/Add.
_PASS_THROUGH = frozenset({"Cast", "Reshape", "Unsqueeze", "Squeeze", "Expand", "Identity", "Where", "Flatten",
                           "Transpose", "ConstantOfShape"})
_TARGET_OPS = frozenset({"Mul", "Add", "Sub"})
_HOPS = 4

# The words of the finding, shared with the build rule (``trtdiag/rules/builds/fp16_overflow_constant.py``)
# and the lint rule (``trtdiag/lint/rules/fp16_overflow.py``) that report the same hazard.
HAZARD_ID = "fp16-overflow-constant"
TITLE = "Constants outside the FP16 range feed Mul/Add (the finfo(float32).min attention mask)"
EXPLANATION = (
    "{tensors} constant(s) exceed the FP16 range (|x| > 65504) and reach {nodes} Mul/Add "
    "node(s). In FP16 they become -inf, 0 * -inf is NaN, and the Softmax after an attention mask returns "
    "NaN; a Q/DQ pair after it can hide the NaN from the final outputs."
)
FIX = (
    "Keep that Mul in FP32 (TensorRT: set its layer precision to FP32 with --precisionConstraints=obey "
    "--layerPrecisions=<node>:fp32), or clamp the constant to -65504 before export "
    "(torch.finfo(torch.float16).min), or with NVIDIA ModelOpt quantize with "
    "--op_types_to_exclude_fp16 Mul."
)


def _small_constants(graph: GraphIndex) -> Iterator[tuple[str, np.ndarray]]:
    """(tensor name, values) of Constant nodes and initializers whose values the structure kept."""
    from onnx import numpy_helper

    model = graph.structure
    for t in model.graph.initializer:
        if t.raw_data or t.float_data or t.double_data:
            yield t.name, numpy_helper.to_array(t)
    for node in model.graph.node:
        if node.op_type in ("Constant", "ConstantOfShape") and node.output:
            for a in node.attribute:
                if a.name == "value" and a.HasField("t"):
                    yield node.output[0], numpy_helper.to_array(a.t)


def _overflows(values: np.ndarray) -> bool:
    if values.dtype.kind != "f" or values.size == 0:
        return False
    finite = values[np.isfinite(values)]
    return bool(finite.size) and float(np.abs(finite).max()) > FP16_MAX


def _reached_targets(graph: GraphIndex, tensor: str) -> list[str]:
    """Mul/Add/Sub nodes the tensor reaches through magnitude-preserving ops, within a few hops."""
    found: list[str] = []
    frontier = [tensor]
    for _ in range(_HOPS):
        nxt: list[str] = []
        for t in frontier:
            for c in graph.consumers_of(t):
                if c.op_type in _TARGET_OPS:
                    found.append(c.name)
                elif c.op_type in _PASS_THROUGH:
                    nxt.extend(o for o in c.outputs if o)
        frontier = nxt
    return list(dict.fromkeys(found))


def fp16_overflow_constants(graph: GraphIndex) -> Finding | None:
    """The ``fp16-overflow-constant`` finding, or None when no such constant reaches a Mul/Add (or when the
    index was built without the model's structure, as rule unit tests do)."""
    if getattr(graph, "structure", None) is None:
        return None
    tensors: list[str] = []
    nodes: list[str] = []
    notes: list[str] = []
    for name, values in _small_constants(graph):
        if not _overflows(values):
            continue
        targets = _reached_targets(graph, name)
        if targets:
            tensors.append(name)
            nodes.extend(targets)
            peak = float(values[np.isfinite(values)].flat[np.argmax(np.abs(values[np.isfinite(values)]))])
            notes.append(f"{name} = {peak:.4g} reaches {', '.join(targets[:3])}")
    if not tensors:
        return None
    nodes = list(dict.fromkeys(nodes))
    return Finding(
        id=HAZARD_ID,
        severity=Severity.WARNING,
        title=TITLE,
        explanation=EXPLANATION.format(tensors=len(tensors), nodes=len(nodes)),
        evidence=Evidence(tensors=tuple(tensors[:20]), nodes=tuple(nodes[:20]), notes=tuple(notes[:5]),
                          total_tensors=len(tensors), total_nodes=len(nodes)),
        fix=FIX,
        commands=("python -m modelopt.onnx.quantization --onnx_path "
                  f"{shlex.quote(graph.path or 'model.onnx')} --op_types_to_exclude_fp16 Mul",),
    )
