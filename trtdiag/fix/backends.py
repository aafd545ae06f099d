"""The two ways ``trtdiag fix`` writes the Q/DQ model: NVIDIA ModelOpt, or ONNX Runtime's quantizer.

ModelOpt pins its own onnx/onnxruntime (and needs torch), so it is never imported here: it runs as
``python -m modelopt.onnx.quantization`` in a subprocess, with the interpreter of its own environment
(``--modelopt-python``) or this one. Its command line is the one ``trtdiag sensitivity`` prints
(:func:`trtdiag.sensitivity.commands.modelopt_command`), so what ``fix`` runs is what the report says.
Without ModelOpt the model is built by ONNX Runtime's QDQ quantizer with the TensorRT-like settings of
:mod:`trtdiag.sensitivity.variants`.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Sequence
from enum import Enum
from pathlib import Path

import numpy as np
import onnx

from trtdiag.errors import InputError
from trtdiag.sensitivity.calibrate import Calibration
from trtdiag.sensitivity.commands import modelopt_command
from trtdiag.sensitivity.data import Dataset
from trtdiag.sensitivity.variants import build_qdq_model

MODELOPT_MODULE = "modelopt.onnx.quantization"
#: Probing runs the other interpreter once; importing nothing keeps it fast even where torch is installed.
_PROBE = "import importlib.util, sys; sys.exit(0 if importlib.util.find_spec('modelopt') else 3)"
PROBE_TIMEOUT = 120
QUANTIZE_TIMEOUT = 6 * 3600
INSTALL_HINT = ("install ModelOpt CPU-only in its own venv (see README, `trtdiag fix`) and pass its interpreter "
                "with --modelopt-python, or use --backend onnxruntime")


class Backend(str, Enum):
    AUTO = "auto"
    MODELOPT = "modelopt"
    ONNXRUNTIME = "onnxruntime"


def modelopt_available(python: str) -> bool:
    """Whether ``python`` can find the ``modelopt`` package (checked in a subprocess, never imported here)."""
    try:
        done = subprocess.run([python, "-c", _PROBE], capture_output=True, timeout=PROBE_TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def resolve_backend(choice: Backend, modelopt_python: str | None) -> tuple[Backend, str | None]:
    """The backend to use and, for ModelOpt, the interpreter that runs it."""
    if choice is Backend.ONNXRUNTIME:
        return choice, None
    python = modelopt_python or sys.executable
    if modelopt_python is not None and not Path(modelopt_python).exists():
        raise InputError(f"--modelopt-python {modelopt_python} does not exist")
    if modelopt_available(python):
        return Backend.MODELOPT, python
    if choice is Backend.MODELOPT:
        raise InputError(f"ModelOpt is not installed for {python}: {INSTALL_HINT}")
    return Backend.ONNXRUNTIME, None


def build_with_onnxruntime(model: onnx.ModelProto, calibration: Calibration, exclude: Sequence[str],
                           out: Path) -> Path:
    return build_qdq_model(model, calibration, exclude, out)


def calibration_npz(dataset: Dataset, path: Path) -> Path:
    """The calibration batches (never the held-out ones) as one ``.npz``, samples along axis 0."""
    names = list(dataset.calibration[0])
    try:
        arrays = {n: np.concatenate([b[n] for b in dataset.calibration]) for n in names}
    except ValueError as exc:
        raise InputError("ModelOpt reads one .npz: the calibration batches must share their shapes beyond "
                         f"axis 0 ({exc})") from exc
    np.savez(path, **arrays)  # type: ignore[arg-type]  # numpy's stub wants a positional array
    return path


def modelopt_argv(python: str, model: str, calib: Path, dataset: Dataset, exclude: Sequence[str],
                  fp16_ops: Sequence[str], out: Path) -> list[str]:
    """The printed ModelOpt command, run with ``python`` (the stub's ``python`` word replaced)."""
    words = shlex.split(modelopt_command(model, str(calib), dataset.shapes, exclude, fp16_ops, str(out)))
    return [python, *words[1:]]


def private_copy(model: str, folder: Path) -> Path:
    """A copy of ``model`` and the external-data files it names, in ``folder``, for a tool that may write to it.

    Why: ModelOpt's ONNX PTQ (0.47, seen here) writes the shape-inferred model back over its ``--onnx_path``;
    the user's model is an input, and no input is ever modified (README, "Limits and guarantees")."""
    src = Path(model)
    proto = onnx.load(str(src), load_external_data=False)
    locations = {e.value for t in proto.graph.initializer for e in t.external_data if e.key == "location"}
    dest = folder / "model" / src.name
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dest)
    for location in sorted(locations):
        rel = Path(location)
        if rel.is_absolute() or ".." in rel.parts:
            raise InputError(f"{model}: external data location {location!r} is outside the model's folder")
        target = dest.parent / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if (src.parent / rel).is_file():
            shutil.copyfile(src.parent / rel, target)
    return dest


def build_with_modelopt(python: str, model: str, dataset: Dataset, exclude: Sequence[str],
                        fp16_ops: Sequence[str], out: Path) -> Path:
    """Run ModelOpt's ONNX PTQ on CPU in a subprocess, on a private copy of the model; its failure is one line
    with its last message."""
    calib = calibration_npz(dataset, out.parent / "calib.npz")
    copy = private_copy(model, out.parent.parent / "modelopt-input")
    argv = modelopt_argv(python, str(copy), calib, dataset, exclude, fp16_ops, out)
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=QUANTIZE_TIMEOUT, check=False, env=env)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise InputError(f"ModelOpt could not run ({python}): {exc}") from exc
    if done.returncode != 0 or not out.is_file():
        lines = [ln for ln in (done.stderr + done.stdout).splitlines() if ln.strip()]
        last = lines[-1][:300] if lines else "no output"
        raise InputError(f"ModelOpt failed (exit {done.returncode}) on {model}: {last}")
    return out
