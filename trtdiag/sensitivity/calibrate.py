"""Calibrate once: MinMax ranges of every float tensor, reused by every variant of the sweep.

Calibration is the slow step (the augmented model outputs every intermediate tensor), so it runs once
and the ranges travel as plain floats (picklable for the sweep's worker processes). ``onnxruntime`` is an
optional dependency, imported lazily here.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from trtdiag.errors import InputError
from trtdiag.sensitivity.data import Batch

ORT_MISSING = "trtdiag sensitivity needs ONNX Runtime: pip install onnxruntime"


@dataclass(frozen=True)
class Calibration:
    """MinMax range per float tensor (activations and the graph's float inputs)."""

    ranges: dict[str, tuple[float, float]]
    batches: int

    def without(self, tensors: Sequence[str]) -> Calibration:
        drop = set(tensors)
        return Calibration({k: v for k, v in self.ranges.items() if k not in drop}, self.batches)

    def tensors_data(self) -> Any:
        """The ranges as ONNX Runtime's ``TensorsData`` (what ``QDQQuantizer`` takes)."""
        from onnxruntime.quantization.calibrate import CalibrationMethod, TensorData, TensorsData

        data = {k: TensorData(lowest=np.float32(lo), highest=np.float32(hi)) for k, (lo, hi) in self.ranges.items()}
        return TensorsData(CalibrationMethod.MinMax, data)


def import_ort() -> Any:
    """``onnxruntime`` or an error the CLI prints as one line."""
    try:
        import onnxruntime
    except ImportError as exc:
        raise InputError(ORT_MISSING) from exc
    return onnxruntime


class _Reader:
    """A ``CalibrationDataReader`` over a fixed list of batches."""

    def __init__(self, batches: Sequence[Batch]) -> None:
        self._it = iter(batches)

    def get_next(self) -> Batch | None:
        return next(self._it, None)


def calibrate(model_path: str | os.PathLike[str], batches: Sequence[Batch]) -> Calibration:
    """Run MinMax calibration over ``batches`` and keep the range of every float tensor."""
    import_ort()
    from onnxruntime.quantization.calibrate import CalibrationMethod, create_calibrator

    with tempfile.TemporaryDirectory(prefix="trtdiag-calib-") as tmp:
        calibrator = create_calibrator(Path(model_path), None,
                                       augmented_model_path=str(Path(tmp) / "augmented.onnx"),
                                       calibrate_method=CalibrationMethod.MinMax,
                                       providers=["CPUExecutionProvider"])
        calibrator.collect_data(_Reader(batches))
        computed = calibrator.compute_data()
        del calibrator
    ranges: dict[str, tuple[float, float]] = {}
    for name, td in computed.data.items():
        lo, hi = td.range_value
        ranges[name] = (float(np.min(lo)), float(np.max(hi)))  # per-tensor even if ORT returns arrays
    return Calibration(ranges, len(batches))
