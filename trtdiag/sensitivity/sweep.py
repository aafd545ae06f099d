"""The sweep: quantize "only this group" and "all but this group", measure, rank, then a greedy curve.

Error is measured against the FP32 model on held-out batches (never the calibration batches): 1 - cosine
similarity and SQNR in dB, per output over all batches, keeping the worst output. Variants run in worker
processes (``spawn``: ONNX Runtime's thread pools do not survive ``fork``), one intra-op thread each, so
results are deterministic for a given seed.
"""

from __future__ import annotations

import math
import os
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np
import onnx

from trtdiag.sensitivity.calibrate import Calibration
from trtdiag.sensitivity.data import Batch
from trtdiag.sensitivity.groups import Group
from trtdiag.sensitivity.template import FP32, VariantTemplate
from trtdiag.sensitivity.variants import quantize, session

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Score:
    error: float  # 1 - cosine, worst output
    sqnr_db: float  # worst output; inf when identical


@dataclass(frozen=True)
class Ranked:
    group: Group
    only: Score  # only this group quantized
    without: Score  # everything but this group quantized


@dataclass(frozen=True)
class CurvePoint:
    excluded: int
    groups: tuple[str, ...]
    score: Score


@dataclass(frozen=True)
class SweepResult:
    ranking: tuple[Ranked, ...]  # most sensitive first
    curve: tuple[CurvePoint, ...]
    all_int8: Score
    variants: int


def score(reference: Sequence[Sequence[np.ndarray]], outputs: Sequence[Sequence[np.ndarray]]) -> Score:
    """Worst 1-cosine and SQNR over outputs; each output's batches are concatenated first."""
    errors, sqnrs = [0.0], [math.inf]
    for i in range(len(reference[0])):
        ref = np.concatenate([np.asarray(b[i], dtype=np.float64).ravel() for b in reference])
        out = np.concatenate([np.asarray(b[i], dtype=np.float64).ravel() for b in outputs])
        if not np.issubdtype(np.asarray(reference[0][i]).dtype, np.floating):
            continue
        if not np.all(np.isfinite(out)):
            errors.append(1.0)
            sqnrs.append(-math.inf)
            continue
        noise = float(np.sum((ref - out) ** 2))
        power = float(np.sum(ref ** 2))
        norms = math.sqrt(power) * float(np.linalg.norm(out))
        errors.append(0.0 if noise == 0.0 else (1.0 - float(ref @ out) / norms if norms > 0 else 1.0))
        sqnrs.append(math.inf if noise == 0.0 else (10 * math.log10(power / noise) if power > 0 else -math.inf))
    return Score(max(0.0, max(errors)), min(sqnrs))


# --- worker side: one process-global state, set once by the pool initializer ---------------------------

_STATE: dict[str, Any] = {}


def _init(folder: str, shared: bool, calibration: Calibration, batches: Sequence[Batch],
          reference: Sequence[Sequence[np.ndarray]], threads: int) -> None:
    """A worker holds the template's graphs without weights (or, without a template, the FP32 model)."""
    source = VariantTemplate.load(Path(folder)) if shared else onnx.load(str(Path(folder) / f"{FP32}.onnx"))
    _STATE.update(source=source, calibration=calibration, batches=batches, reference=reference, threads=threads)


def run_outputs(model: onnx.ModelProto, batches: Sequence[Batch], threads: int = 0) -> list[list[np.ndarray]]:
    sess = session(model, threads)
    return [list(sess.run(None, b)) for b in batches]


def _evaluate(nodes: tuple[str, ...]) -> Score:
    source = _STATE["source"]
    if isinstance(source, VariantTemplate):
        sess = source.session(nodes, _STATE["threads"])
    else:
        sess = session(quantize(source, _STATE["calibration"], nodes), _STATE["threads"])
    outputs = [list(sess.run(None, b)) for b in _STATE["batches"]]
    del sess
    return score(_STATE["reference"], outputs)


class Runner:
    """Evaluates variants (node sets to quantize), in worker processes when ``workers`` > 1.

    With ``nodes`` (every node any variant quantizes) the variants share one quantized template whose
    weights live in files (:mod:`trtdiag.sensitivity.template`); ``model``'s weights then move to external
    data, so the caller hands the proto over. Without it each variant runs the quantizer on a copy.
    """

    def __init__(self, model: onnx.ModelProto, calibration: Calibration, batches: Sequence[Batch],
                 workers: int, progress: Progress | None = None, nodes: Sequence[str] | None = None) -> None:
        self.reference = run_outputs(model, batches)
        self.workers = max(1, workers)
        self.progress = progress
        self.count = 0
        self._tmp = tempfile.TemporaryDirectory(prefix="trtdiag-sweep-")
        folder = Path(self._tmp.name)
        shared = nodes is not None and VariantTemplate.build(model, calibration, nodes, folder) is not None
        if not (folder / f"{FP32}.onnx").exists():
            onnx.save_model(model, str(folder / f"{FP32}.onnx"), save_as_external_data=True,
                            location=f"{FP32}.bin")
        del model
        args = (str(folder), shared, calibration, list(batches), self.reference, 1 if self.workers > 1 else 0)
        self._pool: ProcessPoolExecutor | None = None
        if self.workers > 1:
            self._pool = ProcessPoolExecutor(self.workers, mp_context=get_context("spawn"), initializer=_init,
                                             initargs=args)
        else:
            _init(*args)

    def run(self, variants: Sequence[tuple[str, ...]]) -> list[Score]:
        done = 0
        if self._pool is None:
            results = []
            for v in variants:
                results.append(_evaluate(v))
                done += 1
                self._tick(done, len(variants))
            return results
        futures = [self._pool.submit(_evaluate, v) for v in variants]
        for _ in as_completed(futures):
            done += 1
            self._tick(done, len(variants))
        return [f.result() for f in futures]

    def _tick(self, done: int, total: int) -> None:
        self.count += 1
        if self.progress is not None:
            self.progress(done, total)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
        _STATE.clear()
        self._tmp.cleanup()


def curve_steps(n: int) -> list[int]:
    """0, 1, 2, 4, 8... and finally ``n`` itself."""
    steps, k = [0], 1
    while k < n:
        steps.append(k)
        k *= 2
    if n > 0:
        steps.append(n)
    return steps


def sweep(runner: Runner, groups: Sequence[Group], quantizable: Sequence[str]) -> SweepResult:
    """Rank groups by the error of quantizing only them; then exclude the top k, greedily."""
    everything = tuple(quantizable)
    variants = [everything]
    for grp in groups:
        members = set(grp.nodes)
        variants.append(grp.nodes)
        variants.append(tuple(n for n in everything if n not in members))
    scores = runner.run(variants)
    ranked = [Ranked(grp, scores[1 + 2 * i], scores[2 + 2 * i]) for i, grp in enumerate(groups)]
    ranked.sort(key=lambda r: (-r.only.error, r.without.error, r.group.label))
    steps = curve_steps(len(ranked))
    curve_variants = []
    for k in steps[1:]:  # k = 0 is the all-INT8 variant, already measured
        out = {n for r in ranked[:k] for n in r.group.nodes}
        curve_variants.append(tuple(n for n in everything if n not in out))
    curve_scores = [scores[0], *runner.run(curve_variants)]
    curve = tuple(CurvePoint(k, tuple(r.group.label for r in ranked[:k]), s)
                  for k, s in zip(steps, curve_scores, strict=True))
    return SweepResult(tuple(ranked), curve, scores[0], runner.count)


def default_workers() -> int:
    return os.cpu_count() or 1
