"""The checks a fixed model must pass: lint placement rules, no NaN/Inf inside, accuracy against FP32.

Every check runs as a library call of the command that owns it: ``trtdiag lint``
(:func:`trtdiag.lint.run.lint_model`) and ``trtdiag accuracy`` (ONNX Runtime reference runs with the
default intermediates marked, :func:`trtdiag.accuracy.pipeline.compare_runs`). The held-out batches are the
evaluation batches of the dataset, never the calibration ones. The error is 1 - cosine of the worst output
(:func:`trtdiag.sensitivity.sweep.score`), the same number the sensitivity ranking and ``--max-error`` use.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from trtdiag.accuracy.classify import INT8_MAX_REL_L2, AccuracyClass
from trtdiag.accuracy.load import RunnerResults
from trtdiag.accuracy.pipeline import compare_runs
from trtdiag.accuracy.reference import default_tensors, run_reference
from trtdiag.findings import Severity
from trtdiag.lint.run import lint_model
from trtdiag.onnx.graph import GraphIndex, load_graph
from trtdiag.sensitivity.data import Batch
from trtdiag.sensitivity.sweep import score

#: The accuracy check passes up to INT8-level noise (relative L2 error 0.1, SQNR 20 dB).
MAX_CLASS = AccuracyClass.INT8


class CheckName(str, Enum):
    LINT = "lint"
    NON_FINITE = "non-finite"
    ACCURACY = "accuracy"


@dataclass(frozen=True)
class Check:
    name: CheckName
    passed: bool
    detail: str


@dataclass(frozen=True)
class ModelCheck:
    """One model's measurements and verdicts (the columns of the before/after table)."""

    label: str
    path: str
    excluded: int  # MatMul/Gemm/Conv nodes kept out of INT8
    error: float
    sqnr_db: float
    accuracy_class: AccuracyClass
    lint_errors: int
    lint_warnings: int
    non_finite: tuple[str, ...]  # tensors with NaN/Inf where FP32 is finite, graph order
    checks: tuple[Check, ...]

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    @property
    def failed(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if not c.passed)


@dataclass(frozen=True)
class Reference:
    """The FP32 run on the held-out batches, with the intermediates both models are compared on."""

    graph: GraphIndex
    feeds: tuple[Batch, ...]
    tensors: tuple[str, ...]
    run: RunnerResults


def reference(model: str | Path, graph: GraphIndex, feeds: Sequence[Batch]) -> Reference:
    tensors = default_tensors(graph)
    return Reference(graph, tuple(feeds), tensors, run_reference(model, feeds, tensors))


def _lint(path: Path) -> tuple[int, int, Check]:
    result = lint_model(path)
    errors, warnings = len(result.at_least(Severity.ERROR)), len(result.at_least(Severity.WARNING))
    first = result.at_least(Severity.ERROR)[:1]
    detail = (f"{errors} error(s), {warnings - errors} warning(s)"
              + (f"; first: [{first[0].id}] {first[0].title}" if first else ""))
    return errors, warnings - errors, Check(CheckName.LINT, errors == 0, detail)


def _accuracy(error: float, sqnr: float, cls: AccuracyClass, max_error: float | None) -> Check:
    within = max_error is None or error <= max_error
    ok = cls.rank <= MAX_CLASS.rank and within
    detail = f"error {error:.3g} (1 - cosine), SQNR {sqnr:.1f} dB, {cls}"
    if not within:
        detail += f"; above --max-error {max_error:g}"
    if cls.rank > MAX_CLASS.rank:
        detail += f"; worse than {MAX_CLASS} (relative L2 error > {INT8_MAX_REL_L2:g})"
    return Check(CheckName.ACCURACY, ok, detail)


def check_model(label: str, path: Path, ref: Reference, excluded: int, max_error: float | None) -> ModelCheck:
    """Lint ``path``, run it on the held-out batches and compare it with the FP32 reference."""
    errors, warnings, lint = _lint(path)
    produced = {t for n in load_graph(path).nodes for t in n.outputs}
    marked = [t for t in ref.tensors if t in produced]
    run = run_reference(path, ref.feeds, marked)
    run = RunnerResults(str(path), f"onnxrt-{label}", run.iterations)
    result = compare_runs(ref.run, [run], ref.graph)
    cand = result.candidates[0]
    outputs = list(ref.graph.outputs)
    s = score([[it[n] for n in outputs] for it in ref.run.iterations],
              [[it[n] for n in outputs] for it in run.iterations])
    bad = [o.name for o in cand.outputs if o.new_non_finite]
    if cand.layerwise is not None:
        bad = [p.tensor for p, _ in cand.layerwise.non_finite] + bad
    finite = Check(CheckName.NON_FINITE, not bad,
                   "no NaN/Inf" if not bad else f"NaN/Inf in {len(bad)} tensor(s), first {bad[0]}")
    sqnr = s.sqnr_db if not math.isnan(s.sqnr_db) else -math.inf
    checks = (lint, finite, _accuracy(s.error, sqnr, cand.accuracy_class, max_error))
    return ModelCheck(label, str(path), excluded, s.error, sqnr, cand.accuracy_class, errors, warnings,
                      tuple(dict.fromkeys(bad)), checks)
