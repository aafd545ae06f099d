"""``trtdiag fix`` end to end: prepare, rank, select, quantize, check, write.

The baseline ("before") is every MatMul/Gemm/Conv in INT8 with no exclusion, built with ONNX Runtime's
quantizer whatever the backend, so the table compares the fix with the naive quantization a user would
otherwise ship. The output is written atomically and never over an input; it is written even when a check
fails (to inspect it), but then the command exits 1 and says the model did not pass.
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from trtdiag.errors import InputError
from trtdiag.fix.backends import Backend, build_with_modelopt, build_with_onnxruntime, resolve_backend
from trtdiag.fix.check import ModelCheck, check_model, reference
from trtdiag.fix.select import Selection, Sensitivity, choose, from_document, from_sweep
from trtdiag.io.outputs import check_outputs, model_inputs, write_atomic
from trtdiag.sensitivity.commands import Command, fp32_qdq_commands, trtexec_commands
from trtdiag.sensitivity.groups import Granularity
from trtdiag.sensitivity.loader import split_spec
from trtdiag.sensitivity.pipeline import Prepared, SensitivityOptions, prepare, run_sensitivity
from trtdiag.sensitivity.sweep import Progress
from trtdiag.sensitivity.variants import prepare_model
from trtdiag.validate import check_threshold


@dataclass(frozen=True)
class FixOptions:
    data: str | None = None
    eval_data: str | None = None
    data_loader_script: str | None = None
    shapes: str | None = None
    exclude_top: int | None = None
    max_error: float | None = None
    backend: Backend = Backend.AUTO
    modelopt_python: str | None = None
    from_sensitivity: str | None = None
    granularity: Granularity = Granularity.BLOCK
    workers: int = 0
    seed: int = 0
    output: str | None = None  # default: MODEL.qdq.onnx beside the model


@dataclass(frozen=True)
class FixReport:
    model: str
    output: str
    backend: Backend
    options: FixOptions
    prepared: Prepared
    sensitivity: Sensitivity
    selection: Selection
    before: ModelCheck
    after: ModelCheck
    commands: tuple[Command, ...]
    seconds: float

    @property
    def passed(self) -> bool:
        return self.after.passed


def default_output(model: str | os.PathLike[str]) -> Path:
    p = Path(model)
    return p.with_name(f"{p.name[:-5] if p.name.endswith('.onnx') else p.name}.qdq.onnx")


def input_files(model: str | os.PathLike[str], options: FixOptions) -> list[Path]:
    """Every file ``fix`` reads: an output must never replace one of them."""
    files = [Path(model), *model_inputs(model)]
    files += [Path(p) for p in (options.data, options.eval_data, options.from_sensitivity) if p]
    if options.data_loader_script:
        files.append(split_spec(options.data_loader_script)[0])
    return files


def _validate(model: str | os.PathLike[str], options: FixOptions) -> None:
    if not Path(model).is_file():
        raise InputError(f"model file not found: {model}")
    if options.data is None and options.data_loader_script is None:
        raise InputError("trtdiag fix calibrates the model it writes: give real samples with --data calib.npz or "
                         "--data-loader-script s.py")
    if options.exclude_top is not None and options.max_error is not None:
        raise InputError("give --exclude-top or --max-error, not both")
    if options.exclude_top is not None and options.exclude_top < 0:
        raise InputError(f"--exclude-top must be 0 or more, not {options.exclude_top}")
    check_threshold("--max-error", options.max_error, 0.0, 2.0)


def _sensitivity(model: str | os.PathLike[str], options: FixOptions, prep: Prepared,
                 progress: Progress | None) -> Sensitivity:
    if options.from_sensitivity is not None:
        return from_document(options.from_sensitivity, [n.name for n in prep.graph.nodes])
    sopts = SensitivityOptions(options.data, options.eval_data, options.shapes, options.granularity,
                               options.workers, options.seed, options.data_loader_script)
    report = run_sensitivity(model, sopts, progress, prepared=prep)
    return from_sweep(report.result, options.granularity.value)


def run_fix(model: str | os.PathLike[str], options: FixOptions, progress: Progress | None = None) -> FixReport:
    """Write the fixed Q/DQ model and check it (see :attr:`FixReport.passed`)."""
    start = time.monotonic()
    _validate(model, options)
    out = Path(options.output) if options.output else default_output(model)
    check_outputs(input_files(model, options), {"-o": out})
    backend, python = resolve_backend(options.backend, options.modelopt_python)
    sopts = SensitivityOptions(options.data, options.eval_data, options.shapes, options.granularity,
                               options.workers, options.seed, options.data_loader_script)
    prep = prepare(model, sopts)
    sens = _sensitivity(model, options, prep, progress)
    selection = choose(sens, prep.ranges, options.exclude_top, options.max_error)
    with tempfile.TemporaryDirectory(prefix="trtdiag-fix-") as tmp:
        fp32 = prepare_model(model)
        before_path = build_with_onnxruntime(fp32, prep.calibration, [], Path(tmp) / "all_int8.onnx")
        fixed = Path(tmp) / "fixed" / out.name
        fixed.parent.mkdir()
        if backend is Backend.MODELOPT and python is not None:
            build_with_modelopt(python, str(model), prep.dataset, selection.nodes, prep.ranges.fp16_hazard_ops,
                                fixed)
        else:
            build_with_onnxruntime(fp32, prep.calibration, selection.nodes, fixed)
        del fp32
        ref = reference(Path(model), prep.graph, prep.dataset.evaluation)
        before = check_model("all INT8", before_path, ref, 0, options.max_error)
        after = check_model("fixed", fixed, ref, len(selection.nodes), options.max_error)
        _write(fixed, out)
    # ModelOpt's output is FP16 outside the Q/DQ; ONNX Runtime's is FP32 there (see fp32_qdq_commands)
    commands = tuple(trtexec_commands(str(out)) if backend is Backend.MODELOPT else fp32_qdq_commands(str(out)))
    return FixReport(str(model), str(out), backend, options, prep, sens, selection, before, after, commands,
                     time.monotonic() - start)


def _write(built: Path, out: Path) -> None:
    """The model and any external-data file beside it, each moved into place atomically."""
    out.parent.mkdir(parents=True, exist_ok=True)
    for f in sorted(built.parent.iterdir()):
        if f.name == built.name or f.name.startswith(built.name + "."):
            write_atomic(out.with_name(out.name + f.name[len(built.name):]), f.read_bytes())
