"""The TensorRT behaviour the lint rules rely on, written as data with the documentation it comes from.

Why data: every finding cites the statement it rests on, the HTML report lists them, and when a TensorRT
release changes a fusion rule the change is one entry here, not a hunt through rule code. Sections are
those of the TensorRT developer guide, chapter "Working with Quantized Types".
"""

from __future__ import annotations

from dataclasses import dataclass

GUIDE_URL = "https://docs.nvidia.com/deeplearning/tensorrt/latest/inference-library/quantized-types-explicit-quantization.html"
EXPLICIT = "Explicit Quantization"
PLACEMENT = "Q/DQ Layer-Placement Recommendations"
PROCESSING = "Explicit Quantization: TensorRT Processing of Q/DQ Networks"
SCHEME = "Quantization Scheme"


@dataclass(frozen=True)
class Fact:
    """One statement about how TensorRT treats Q/DQ, with the guide section it comes from."""

    id: str
    statement: str
    section: str
    url: str = GUIDE_URL


FACTS: tuple[Fact, ...] = (
    Fact("symmetric-only",
         "TensorRT quantization is symmetric: the zero-point of every QuantizeLinear/DequantizeLinear must be 0 "
         "(INT8; FP8 and INT4 likewise). The ONNX parser rejects other zero-points (\"TRT only supports "
         "symmetric quantization - zeroPt must be all zeros\").", SCHEME),
    Fact("explicit-mode",
         "A network containing Q/DQ layers is built with explicit quantization: TensorRT runs in INT8 exactly where "
         "the Q/DQ nodes say and nowhere else; calibrators and calibration caches are not used.", EXPLICIT),
    Fact("per-channel-weights",
         "Activations are quantized per tensor; weights may be quantized per tensor or per channel, and per-channel "
         "scales must lie on the output-channel axis (K): axis 0 for Convolution weights [K, C, R, S], the N axis "
         "of a MatMul weight [K, N] (axis 1), axis 0 of a Gemm weight with transB=1.", SCHEME),
    Fact("quantize-weighted-inputs",
         "Quantize all inputs of weighted operations (Convolution, Transposed Convolution and GEMM): a weighted "
         "layer runs an INT8 kernel only when both its data input and its weights come through DequantizeLinear.",
         PLACEMENT),
    Fact("no-output-quantization",
         "By default do not quantize the outputs of weighted operations: an extra Q/DQ pair between a Convolution/"
         "GEMM and the element-wise Add or activation that follows it breaks the fusion of that Add/activation into "
         "the kernel's epilogue.", PLACEMENT),
    Fact("quantize-residual",
         "Quantize the residual input of skip connections: TensorRT fuses the element-wise Add that follows a "
         "weighted layer into its INT8 epilogue when the Add's other input is dequantized (INT8).", PLACEMENT),
    Fact("qdq-propagation",
         "TensorRT propagates DequantizeLinear forward and QuantizeLinear backward through commuting layers "
         "(Reshape, Transpose, Squeeze, Unsqueeze, Flatten, Identity, MaxPool) before fusing them into the "
         "quantizable layers they reach.", PROCESSING),
    Fact("float-only-consumers",
         "A DequantizeLinear that no quantizable layer absorbs stays a standalone layer: its consumer (LayerNorm, "
         "Softmax, GELU/Erf, Div, Pow...) runs in FP16/FP32 and the INT8 tensor is reformatted to float first.",
         PROCESSING),
    Fact("requantize-on-scale-change",
         "Quantizable joins (Concat, element-wise Add) run in INT8 without rescaling only when the scales of their "
         "quantized inputs and output agree; different scales force a requantization (a reformat or a separate "
         "scale layer).", PROCESSING),
    Fact("q-dq-pairs",
         "QuantizeLinear and DequantizeLinear come in pairs: a Q is followed by a DQ, and a DQ reads a Q or a "
         "constant INT8/FP8 weight. A lone Q or DQ is either rejected by the parser or left as a standalone "
         "Scale layer.", EXPLICIT),
)
FACT_BY_ID = {f.id: f for f in FACTS}

#: Layers that TensorRT runs as INT8 GEMM/convolution kernels when their inputs are dequantized.
WEIGHTED_OPS = frozenset({"Conv", "ConvTranspose", "MatMul", "Gemm"})
#: Ops through which TensorRT moves a DQ forward (or a Q backward): shape-only or order-preserving.
COMMUTING_OPS = frozenset({"Reshape", "Transpose", "Squeeze", "Unsqueeze", "Flatten", "Identity", "MaxPool"})
#: Ops with no INT8 implementation: a DQ feeding them forces a reformat to float.
FLOAT_ONLY_OPS = frozenset({
    "LayerNormalization", "SimplifiedLayerNormalization", "Softmax", "LogSoftmax", "Erf", "Gelu", "Div", "Pow",
    "Sqrt", "ReduceMean", "Exp", "Log", "Tanh", "Sigmoid", "InstanceNormalization", "GroupNormalization",
})
#: Pointwise activations that TensorRT fuses into a convolution/GEMM epilogue.
EPILOGUE_OPS = frozenset({"Relu", "LeakyRelu", "Clip", "Sigmoid", "Tanh", "HardSigmoid", "Elu", "Selu"})
#: Joins whose quantized inputs must share a scale.
JOIN_OPS = frozenset({"Concat", "Add"})
