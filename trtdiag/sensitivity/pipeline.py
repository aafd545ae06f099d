"""``trtdiag sensitivity`` end to end: data, one calibration, range check, sweep, commands."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

from trtdiag.errors import InputError
from trtdiag.onnx.graph import GraphIndex, load_graph
from trtdiag.sensitivity.calibrate import Calibration, calibrate, import_ort
from trtdiag.sensitivity.commands import Command, build_commands, excluded_nodes, recommended_exclusion
from trtdiag.sensitivity.data import SYNTHETIC_NOTE, Dataset, make_dataset
from trtdiag.sensitivity.groups import Granularity, make_groups
from trtdiag.sensitivity.ranges import RangeCheck, check_ranges
from trtdiag.sensitivity.sweep import Progress, Runner, SweepResult, default_workers, sweep
from trtdiag.sensitivity.variants import prepare_model, quantizable_nodes


@dataclass(frozen=True)
class SensitivityOptions:
    data: str | None = None
    eval_data: str | None = None
    shapes: str | None = None
    granularity: Granularity = Granularity.BLOCK
    workers: int = 0  # 0: every core
    seed: int = 0
    data_loader_script: str | None = None  # ``s.py[:func]``, the user's own code (run only when given)


@dataclass(frozen=True)
class SensitivityReport:
    model: str
    graph: GraphIndex
    options: SensitivityOptions
    dataset: Dataset
    ranges: RangeCheck
    result: SweepResult
    recommended: int  # top groups to exclude
    exclude: tuple[str, ...]  # the nodes the commands keep out of INT8
    commands: tuple[Command, ...]
    notes: tuple[str, ...]
    seconds: float
    calibration: Calibration | None = None  # what ``trtdiag fix`` quantizes with


@dataclass(frozen=True)
class Prepared:
    """What the sweep and ``trtdiag fix`` share: the graph, its data, one calibration and the range check."""

    graph: GraphIndex
    quantizable: tuple[str, ...]
    dataset: Dataset
    calibration: Calibration
    ranges: RangeCheck


def prepare(model: str | os.PathLike[str], options: SensitivityOptions) -> Prepared:
    """Load the graph, make the data, calibrate once and check the ranges."""
    import_ort()
    g = load_graph(model)
    quantizable = quantizable_nodes(g)
    if not quantizable:
        raise InputError(f"{model} has no MatMul, Gemm or Conv node: nothing to quantize")
    dataset = make_dataset(g, options.data, options.eval_data, seed=options.seed, shapes=options.shapes,
                           loader=options.data_loader_script)
    calibration = calibrate(model, dataset.calibration)
    ranges = check_ranges(g, calibration, set(quantizable))
    return Prepared(g, tuple(quantizable), dataset, calibration, ranges)


def run_sensitivity(model: str | os.PathLike[str], options: SensitivityOptions,
                    progress: Progress | None = None, prepared: Prepared | None = None) -> SensitivityReport:
    """Rank groups of MatMul/Gemm/Conv nodes by how much INT8 hurts the model's outputs (``prepared``: reuse
    the data, calibration and range check of :func:`prepare`, as ``trtdiag fix`` does)."""
    start = time.monotonic()
    prep = prepared if prepared is not None else prepare(model, options)
    g, dataset, calibration, ranges = prep.graph, prep.dataset, prep.calibration, prep.ranges
    swept = [n for n in prep.quantizable if n not in set(ranges.excluded_nodes)]
    runner = Runner(prepare_model(model), calibration.without(ranges.tensors), dataset.evaluation,
                    options.workers or default_workers(), progress, nodes=swept)
    try:
        result = sweep(runner, make_groups(g, swept, options.granularity), swept)
    finally:
        runner.close()
    k = recommended_exclusion(result)
    exclude = excluded_nodes(result, k, ranges)
    calib_path = options.data or "calib.npz"
    commands = build_commands(str(model), calib_path, dataset.shapes, exclude, ranges)
    notes = [SYNTHETIC_NOTE] if dataset.synthetic else []
    if options.data is None:
        notes.append("The ModelOpt command reads calib.npz: save real samples keyed by input name there first.")
    return SensitivityReport(str(model), g, options, dataset, ranges, result, k, tuple(exclude), tuple(commands),
                             tuple(notes), time.monotonic() - start, calibration)
