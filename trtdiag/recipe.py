"""Collecting the artifacts trtdiag reads: the exact trtexec and Polygraphy commands, and running them.

``trtdiag recipe`` prints the commands; ``trtdiag collect`` runs them where TensorRT is installed
(extra ``trtdiag[trt]``). Flags per TensorRT version come from trtexec's sources: ``--exportLayerInfo``,
``--profilingVerbosity`` from 8.2; ``--stronglyTyped`` from 10.0; ``--fp16/--int8/--calib`` removed in 11.
This module was tested against stand-ins for ``trtexec`` and ``polygraphy`` only: it has never run on
a GPU here.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shlex
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from trtdiag.errors import InputError, TrtdiagError
from trtdiag.onnx.graph import load_graph
from trtdiag.onnx.shapes import default_shapes


@dataclass(frozen=True)
class Step:
    """One command of a recipe and the files it writes."""

    name: str
    argv: tuple[str, ...]
    outputs: tuple[str, ...]
    log: str  # where the command's output goes

    @property
    def shell(self) -> str:
        return shlex.join(self.argv) + f" 2>&1 | tee {shlex.quote(self.log)}"


@dataclass(frozen=True)
class Recipe:
    model: str
    trt_major: int
    out_dir: str
    steps: tuple[Step, ...]
    notes: tuple[str, ...]
    needs: tuple[tuple[str, str], ...] = ()  # (file the user provides, what it is)

    def text(self) -> str:
        """A bash script that runs as pasted: stops at the first failing step (``set -euo pipefail``, so
        ``| tee`` keeps trtexec's exit status), creates its folders, and checks the user's files first."""
        lines = ["#!/usr/bin/env bash",
                 _comment(f"trtdiag recipe for {shlex.quote(self.model)} (TensorRT {self.trt_major}.x); "
                          f"outputs in {shlex.quote(self.out_dir)}/")]
        lines += [_comment(n) for n in self.notes]
        lines += ["set -euo pipefail"]
        lines += [f"echo {shlex.quote('recipe: ' + n)} >&2" for n in self.notes if n.startswith("WARNING")]
        for path, what in self.needs:
            lines.append(f"test -f {shlex.quote(path)} || {{ echo {shlex.quote(f'recipe: {path} is missing: {what}')}"
                         " >&2; exit 1; }")
        folders = sorted({str(Path(p).parent) for s in self.steps for p in (*s.outputs, s.log)})
        lines.append("mkdir -p " + " ".join(shlex.quote(f) for f in folders))
        for s in self.steps:
            lines += ["", _comment(s.name), s.shell]
        lines += ["", "# then:",
                  f"trtdiag compare --fp16 {shlex.quote(self.out_dir)}/fp16 --int8 {shlex.quote(self.out_dir)}/int8 "
                  f"--model {shlex.quote(self.model)} -o compare.html --json compare.json --csv nodes.csv"]
        return "\n".join(lines) + "\n"


def _comment(text: str) -> str:
    """A shell comment line: a newline or carriage return inside ``text`` (a file name can hold one)
    is escaped, so it cannot end the comment and inject a command into the printed script."""
    return "# " + text.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")


def parse_version(text: str | None) -> int:
    """Major TensorRT version from "10", "10.3", "8.6.1"; default 10."""
    if not text:
        return 10
    m = re.match(r"^(\d+)", text.strip())
    if not m:
        raise InputError(f"--trt-version must look like 8.6 or 10 or 11, not {text!r}")
    major = int(m.group(1))
    if major < 8:
        raise InputError("recipes cover TensorRT 8.2 and later (--exportLayerInfo appeared in 8.2)")
    return major


@dataclass(frozen=True)
class _Target:
    """What every step of one recipe shares: the TensorRT major version, the folder, the input shapes."""

    major: int
    out_dir: str
    shapes: str | None

    @property
    def shape_args(self) -> tuple[str, ...]:
        return (f"--shapes={self.shapes}",) if self.shapes else ()


def build_recipe(model: str, *, trt_version: str | None = None, shapes: str | None = None,
                 out_dir: str = "trtdiag-artifacts", calib_cache: str | None = None,
                 data_loader: str = "data_loader.py", quantized_model: str | None = None) -> Recipe:
    """The commands that produce every artifact trtdiag reads, for one TensorRT major version."""
    major = parse_version(trt_version)
    shape_notes: list[str] = []
    if shapes is None:
        shapes, shape_notes = _shapes_for_dynamic_inputs(model)
    target = _Target(major, out_dir.rstrip("/"), shapes)
    if target.major >= 11:
        steps, notes = _strongly_typed_steps(target, model, quantized_model)
        needs = () if quantized_model else (("calib.npz", "calibration data, one array per model input"),)
    else:
        steps, notes = _calibrated_steps(target, model, calib_cache, data_loader)
        needs = () if calib_cache else ((data_loader, "a Polygraphy data-loader script (load_data() yields feed "
                                                      "dicts of your calibration data)"),)
    return Recipe(model=model, trt_major=target.major, out_dir=target.out_dir, steps=tuple(steps),
                  notes=tuple(shape_notes + notes), needs=needs)


def _shapes_for_dynamic_inputs(model: str) -> tuple[str | None, list[str]]:
    """Shapes for a model with dynamic input dims (trtexec needs them), derived from the model, and the loud
    note that says so; (None, []) when every dim is fixed or the model cannot be read here."""
    try:
        inputs = load_graph(model, infer_shapes=False).inputs
    except TrtdiagError:
        return None, ["WARNING: the model could not be read here; if it has dynamic dimensions, "
                      "give --shapes or trtexec builds with no optimization profile and fails"]
    if all(isinstance(d, int) and d > 0 for _dtype, dims in inputs.values() for d in dims):
        return None, []
    spec = ",".join(f"{n}:{'x'.join(map(str, dims))}" for n, dims in default_shapes(inputs).items())
    return spec, [f"WARNING: the model has dynamic dimensions and no --shapes was given: using {spec} "
                  "(batch 1, other dimensions 128). Pass --shapes with the shapes your data has."]


def _strongly_typed_steps(target: _Target, model: str, quantized_model: str | None) -> tuple[list[Step], list[str]]:
    """TensorRT 11: the precision comes from the ONNX file, so both engines start from a converted model."""
    o = target.out_dir
    notes = ["TensorRT 11 has no --fp16/--int8/--calib: engines are strongly typed. The FP16 engine comes "
             "from an FP16 ONNX (ModelOpt AutoCast), the INT8 engine from a Q/DQ ONNX (ModelOpt PTQ)."]
    fp16_onnx = f"{o}/model.fp16.onnx"
    q = quantized_model or f"{o}/model.int8.onnx"
    steps = [Step("fp16: convert to FP16 (ModelOpt AutoCast)",
                  ("python", "-m", "modelopt.onnx.autocast", "--onnx_path", model, "--output_path", fp16_onnx),
                  (fp16_onnx,), f"{o}/autocast.log")]
    if quantized_model is None:
        steps.append(Step("int8: quantize (ModelOpt PTQ)",
                          ("python", "-m", "modelopt.onnx.quantization", "--onnx_path", model, "--quantize_mode",
                           "int8", "--calibration_data_path", "calib.npz", "--high_precision_dtype", "fp16",
                           "--output_path", q), (q,), f"{o}/quantize.log"))
    steps += _engine_steps(target, "fp16", (), fp16_onnx)
    steps += _engine_steps(target, "int8", (), q)
    return steps, notes


def _calibrated_steps(target: _Target, model: str, calib_cache: str | None,
                      data_loader: str) -> tuple[list[Step], list[str]]:
    """TensorRT 8.2-10: precision flags, and a calibration cache written by Polygraphy unless one is given."""
    o = target.out_dir
    notes: list[str] = []
    steps = _engine_steps(target, "fp16", ("--fp16",), model)
    cache = calib_cache or f"{o}/int8/calib.cache"
    if calib_cache is None:
        notes.append(f"Calibration with your data: {data_loader} defines load_data() yielding feed dicts "
                     "keyed by input name (Polygraphy's data-loader script convention).")
        steps.append(Step(
            "int8: calibrate (Polygraphy, writes the calibration cache)",
            ("polygraphy", "convert", model, "--int8", "--fp16", "--data-loader-script", data_loader,
             "--calibration-cache", cache, *_polygraphy_shapes(target.shapes),
             "-o", f"{o}/int8/polygraphy.plan", "--verbose"),
            (cache, f"{o}/int8/polygraphy.plan"), f"{o}/int8/calibrate.log"))
    steps += _engine_steps(target, "int8", ("--int8", "--fp16", f"--calib={cache}"), model)
    return steps, notes


def _engine_steps(target: _Target, label: str, build_flags: tuple[str, ...], onnx: str) -> list[Step]:
    """Build one engine (verbose log, layer information), then profile it."""
    d = f"{target.out_dir}/{label}"
    plan = f"{d}/engine.plan"
    build = Step(
        name=f"{label}: build (verbose log, layer information)",
        argv=("trtexec", f"--onnx={onnx}", *build_flags, *target.shape_args,
              f"--saveEngine={plan}", "--profilingVerbosity=detailed", f"--exportLayerInfo={d}/layers.json",
              "--verbose", "--skipInference" if target.major >= 10 else "--buildOnly"),
        outputs=(plan, f"{d}/layers.json"),
        log=f"{d}/build.log",
    )
    profile = Step(
        name=f"{label}: profile (per-layer times, performance summary)",
        argv=("trtexec", f"--loadEngine={plan}", *target.shape_args, "--profilingVerbosity=detailed",
              f"--exportProfile={d}/profile.json", f"--exportTimes={d}/times.json", "--dumpProfile",
              # defaults (and deprecated no-ops) in TensorRT 11
              *(() if target.major >= 11 else ("--separateProfileRun", "--useCudaGraph", "--noDataTransfers"))),
        outputs=(f"{d}/profile.json", f"{d}/times.json"),
        log=f"{d}/profile.log",
    )
    return [build, profile]


def _polygraphy_shapes(shapes: str | None) -> list[str]:
    """trtexec ``a:1x128,b:1x128`` -> Polygraphy ``--trt-{min,opt,max}-shapes a:[1,128] b:[1,128]``."""
    if not shapes:
        return []
    items = []
    for item in shapes.split(","):
        name, _, dims = item.rpartition(":")
        items.append(f"{name}:[{','.join(dims.split('x'))}]")
    out: list[str] = []
    for which in ("min", "opt", "max"):
        out += [f"--trt-{which}-shapes", *items]
    return out


def tensorrt_available() -> tuple[bool, str]:
    """Whether the tools a recipe needs are installed (checked without importing tensorrt)."""
    missing = [tool for tool in ("trtexec", "polygraphy") if shutil.which(tool) is None]
    if importlib.util.find_spec("tensorrt") is None:
        missing.append("the tensorrt Python package (pip install 'trtdiag[trt]')")
    if missing:
        return False, "TensorRT is not available here: missing " + ", ".join(missing)
    return True, ""


@dataclass(frozen=True)
class StepResult:
    step: Step
    returncode: int
    missing_outputs: tuple[str, ...]


def run_recipe(recipe: Recipe, *, on_step: Callable[[Step], object] | None = None) -> list[StepResult]:
    """Run every step (stopping at the first failure); each step's output is saved to its log file."""
    ok, why = tensorrt_available()
    if not ok:
        raise InputError(why)
    results: list[StepResult] = []
    for step in recipe.steps:
        for out in (*step.outputs, step.log):
            Path(out).parent.mkdir(parents=True, exist_ok=True)
        if on_step is not None:
            on_step(step)
        with open(step.log, "w", encoding="utf-8") as log:
            try:
                proc = subprocess.run(step.argv, stdout=log, stderr=subprocess.STDOUT, env=dict(os.environ),
                                      check=False)
            except OSError as exc:
                raise TrtdiagError(f"cannot run {step.argv[0]}: {exc.strerror or exc}") from exc
        missing = tuple(o for o in step.outputs if not Path(o).exists())
        results.append(StepResult(step, proc.returncode, missing))
        if proc.returncode != 0 or missing:
            raise TrtdiagError(f"step '{step.name}' failed (exit {proc.returncode}"
                               f"{', missing ' + ', '.join(missing) if missing else ''}); see {step.log}")
    return results
