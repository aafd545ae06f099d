"""The exact commands that apply a sweep's result: ModelOpt PTQ, TensorRT builds, layer precisions.

ModelOpt matches ``--nodes_to_exclude`` with ``re.match``, so names are escaped and anchored
(:func:`trtdiag.fixes.exclusion_patterns`). Only MatMul/Gemm/Conv nodes are ever named: ModelOpt never
quantizes Softmax or LayerNorm, so excluding them does nothing. When the range check found activations
beyond FP16's range, ModelOpt's default FP16 conversion would turn them into -inf (NaN after Softmax), so
``--op_types_to_exclude_fp16`` keeps their producers in FP32.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from trtdiag.fixes import exclusion_patterns, layer_precision_commands
from trtdiag.sensitivity.ranges import RangeCheck
from trtdiag.sensitivity.sweep import SweepResult

#: The recommended exclusion removes at least this share of the all-INT8 error.
ERROR_SHARE_REMOVED = 0.75


@dataclass(frozen=True)
class Command:
    purpose: str
    command: str


def recommended_exclusion(result: SweepResult) -> int:
    """Smallest k on the curve whose error is at most (1 - ERROR_SHARE_REMOVED) of the all-INT8 error
    (0 when INT8 is already lossless, the largest partial k when no point gets there)."""
    base = result.all_int8.error
    if base <= 0 or not result.curve:
        return 0
    partial = [p for p in result.curve if 0 < p.excluded < len(result.ranking)] or list(result.curve)
    for point in result.curve:
        if point.excluded > 0 and point.score.error <= (1 - ERROR_SHARE_REMOVED) * base:
            return point.excluded
    return partial[-1].excluded


def excluded_nodes(result: SweepResult, k: int, ranges: RangeCheck) -> list[str]:
    """Nodes of the top-k groups plus the quantizable readers of out-of-range tensors, deduplicated."""
    seen: dict[str, None] = dict.fromkeys(ranges.excluded_nodes)
    for r in result.ranking[:k]:
        seen.update(dict.fromkeys(r.group.nodes))
    return list(seen)


def _shapes_arg(shapes: dict[str, tuple[int, ...]]) -> str:
    return ",".join(f"{name}:{'x'.join(str(d) for d in dims)}" for name, dims in shapes.items())


def modelopt_command(model: str, calib: str, shapes: dict[str, tuple[int, ...]], exclude: Sequence[str],
                     fp16_hazard_ops: Sequence[str], output: str) -> str:
    parts = ["python", "-m", "modelopt.onnx.quantization", "--onnx_path", shlex.quote(model),
             "--quantize_mode", "int8", "--calibration_data_path", shlex.quote(calib)]
    if shapes:
        parts += ["--calibration_shapes", shlex.quote(_shapes_arg(shapes))]
    parts += ["--calibration_eps", "cpu"]
    if exclude:
        parts += ["--nodes_to_exclude", *(shlex.quote(p) for p in exclusion_patterns(list(exclude)))]
    if fp16_hazard_ops:
        parts += ["--op_types_to_exclude_fp16", *fp16_hazard_ops]
    parts += ["--output_path", shlex.quote(output)]
    return " ".join(parts)


def trtexec_commands(qdq: str) -> list[Command]:
    """The TensorRT builds of a Q/DQ model: strongly typed (10.x, 11), and ``--int8 --fp16`` (8.x-10.x)."""
    engine = f"{Path(qdq).with_suffix('').name}.plan"
    return [Command("Build the Q/DQ model: TensorRT 10.x and 11 (strongly typed)",
                    f"trtexec --onnx={shlex.quote(qdq)} --stronglyTyped --saveEngine={shlex.quote(engine)}"),
            Command("Build the Q/DQ model: TensorRT 8.x-10.x (weakly typed)",
                    f"trtexec --onnx={shlex.quote(qdq)} --fp16 --int8 --saveEngine={shlex.quote(engine)}")]


def fp32_qdq_commands(qdq: str) -> list[Command]:
    """The TensorRT builds of a Q/DQ model whose other layers are FP32 (ONNX Runtime's quantizer): a strongly
    typed build runs those in FP32, so ModelOpt AutoCast converts them to FP16 first (it keeps the Q/DQ nodes and
    the layers FP16 cannot hold, such as the finfo.min mask; seen with ModelOpt 0.47 on the fixture models)."""
    fp16 = f"{Path(qdq).with_suffix('')}.fp16.onnx"
    autocast = Command("Convert the non-quantized layers to FP16 for a strongly typed build (ModelOpt AutoCast)",
                       f"python -m modelopt.onnx.autocast --onnx_path {shlex.quote(qdq)} "
                       f"--output_path {shlex.quote(fp16)} --keep_io_types")
    _, weakly = trtexec_commands(qdq)
    return [autocast, trtexec_commands(fp16)[0], weakly]


def build_commands(model: str, calib: str, shapes: dict[str, tuple[int, ...]], exclude: Sequence[str],
                   ranges: RangeCheck) -> list[Command]:
    """ModelOpt, then the TensorRT build of its output, then the no-Q/DQ alternative for TensorRT <= 10."""
    stem = Path(model).with_suffix("")
    qdq = f"{stem}.qdq.onnx"
    out = [Command("Quantize with NVIDIA ModelOpt on CPU, keeping the sensitive nodes in high precision",
                   modelopt_command(model, calib, shapes, exclude, ranges.fp16_hazard_ops, qdq)),
           *trtexec_commands(qdq)]
    purposes = ("Implicit INT8 with these layers in FP16: trtexec, TensorRT <= 10 (removed in 11)",
                "Implicit INT8 with these layers in FP16: Polygraphy, TensorRT <= 10 (removed in 11)")
    out += [Command(p, c) for p, c in zip(purposes, layer_precision_commands(model, list(exclude)), strict=False)]
    return out
