"""Build one INT8 variant: Q/DQ on the inputs of chosen MatMul/Gemm/Conv nodes, TensorRT-like.

Settings follow how ModelOpt places Q/DQ for TensorRT: symmetric INT8 activations and weights,
per-channel weights, and Q/DQ only on the inputs of MatMul/Gemm/Conv (TensorRT fuses the rest). The
variants reuse one calibration (:mod:`trtdiag.sensitivity.calibrate`) so a sweep of hundreds of
variants costs one calibration. ``onnxruntime`` is an optional dependency, imported lazily here.
"""

from __future__ import annotations

import copy
import logging
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import onnx

from trtdiag.onnx.graph import GraphIndex, index_model
from trtdiag.sensitivity.calibrate import Calibration, import_ort

QUANTIZED_OPS = ("MatMul", "Gemm", "Conv")
#: ModelOpt quantizes GEMM/Conv inputs only, never their outputs: TensorRT fuses the output scale itself.
EXTRA_OPTIONS = {"ActivationSymmetric": True, "WeightSymmetric": True,
                 "OpTypesToExcludeOutputQuantization": list(QUANTIZED_OPS)}


def quantizable_nodes(g: GraphIndex) -> list[str]:
    """MatMul/Gemm/Conv nodes in graph order: the only nodes a variant ever quantizes."""
    return [n.name for n in g.nodes if n.op_type in QUANTIZED_OPS and n.domain in ("", "ai.onnx")]


def prepare_model(model_path: str | os.PathLike[str]) -> onnx.ModelProto:
    """The FP32 model with shapes inferred and the opset raised if per-channel INT8 needs it."""
    import_ort()
    from onnxruntime.quantization.quant_utils import QuantType, load_model_with_shape_infer
    from onnxruntime.quantization.quantize import update_opset_version

    model = load_model_with_shape_infer(Path(model_path))
    return update_opset_version(model, QuantType.QInt8, QuantType.QInt8)


def quantize(model: onnx.ModelProto, calibration: Calibration, nodes_to_quantize: Iterable[str]) -> onnx.ModelProto:
    """A copy of ``model`` with exactly ``nodes_to_quantize`` in INT8, topologically sorted.

    An empty set returns the FP32 model unchanged (ONNX Runtime would read "no list" as "everything").
    """
    if not set(nodes_to_quantize):
        return model
    return quantize_in_place(copy.deepcopy(model), calibration, nodes_to_quantize)


def quantize_in_place(model: onnx.ModelProto, calibration: Calibration,
                      nodes_to_quantize: Iterable[str]) -> onnx.ModelProto:
    """:func:`quantize` without the copy: ``model`` is consumed (the quantizer edits it)."""
    chosen = sorted(set(nodes_to_quantize))
    if not chosen:
        return model
    from onnxruntime.quantization.qdq_quantizer import QDQQuantizer
    from onnxruntime.quantization.quant_utils import QuantType

    logging.getLogger().setLevel(max(logging.getLogger().level, logging.ERROR))  # ORT warns per variant
    quantizer = QDQQuantizer(model, True, False, QuantType.QInt8, QuantType.QInt8,
                             calibration.tensors_data(), chosen, [], list(QUANTIZED_OPS), dict(EXTRA_OPTIONS))
    quantizer.quantize_model()
    quantizer.model.topological_sort()
    result: onnx.ModelProto = quantizer.model.model
    return result


def _options(threads: int) -> Any:
    ort = import_ort()
    options = ort.SessionOptions()
    options.log_severity_level = 3
    if threads:
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
    return options


def session(model: onnx.ModelProto, threads: int = 0) -> Any:
    """A CPU inference session for an in-memory model (``threads`` 0: ONNX Runtime's default)."""
    ort = import_ort()
    options = _options(threads)
    if model.ByteSize() < (2 << 30) - (64 << 20):
        return ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    with tempfile.TemporaryDirectory(prefix="trtdiag-variant-") as tmp:  # protobuf's 2 GB limit
        path = Path(tmp) / "model.onnx"
        onnx.save_model(model, path, save_as_external_data=True, location="model.onnx.data")
        return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def session_from_path(path: str | os.PathLike[str], threads: int = 0) -> Any:
    """A CPU inference session for a model file (external data resolved beside it)."""
    ort = import_ort()
    return ort.InferenceSession(str(path), _options(threads), providers=["CPUExecutionProvider"])


def build_qdq_model(model: str | os.PathLike[str] | onnx.ModelProto, calibration: Calibration,
                    exclude_nodes: Iterable[str], out_path: str | os.PathLike[str]) -> Path:
    """Write the Q/DQ model with every MatMul/Gemm/Conv in INT8 except ``exclude_nodes``."""
    proto = model if isinstance(model, onnx.ModelProto) else prepare_model(model)
    g = index_model(proto, infer_shapes=False)
    skip = set(exclude_nodes)
    result = quantize(proto, calibration, [n for n in quantizable_nodes(g) if n not in skip])
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    large = result.ByteSize() >= (2 << 30) - (64 << 20)
    onnx.save_model(result, out, save_as_external_data=large, location=out.name + ".data" if large else None)
    return out
