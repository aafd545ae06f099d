"""pytest helpers for accuracy: fail a test with a readable message when outputs drift, or when an INT8
engine's outputs show that INT8 never ran.

Both take the reference and the candidate as a RunResults JSON / ``.npz`` path, a Polygraphy ``RunResults``,
a :class:`~trtdiag.accuracy.load.RunnerResults`, or a plain ``{name: array}`` dict (one iteration).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from trtdiag.accuracy.classify import AccuracyClass, parse_class
from trtdiag.accuracy.load import RunnerResults, load_results, pick_reference
from trtdiag.accuracy.pipeline import compare_candidate
from trtdiag.accuracy.result import CandidateResult


def as_runner_results(obj: Any, label: str, *, reference: bool) -> RunnerResults:
    """Normalise what a test holds into one runner's results."""
    if isinstance(obj, RunnerResults):
        return obj
    if isinstance(obj, (str, Path)):
        runs = load_results(obj)
        return pick_reference(runs) if reference else runs[-1]
    if isinstance(obj, Mapping):
        return RunnerResults(label, label, ({str(k): np.asarray(v) for k, v in obj.items()},))
    if hasattr(obj, "items") and hasattr(obj, "lst"):  # polygraphy.comparator.RunResults
        runs = [RunnerResults(label, name, tuple(dict(it.items()) for it in its)) for name, its in obj.items()]
        return pick_reference(runs) if reference else runs[-1]
    raise TypeError(f"cannot read {label} outputs from a {type(obj).__name__}")


def _compare(reference: Any, candidate: Any) -> CandidateResult:
    ref = as_runner_results(reference, "reference", reference=True)
    cand = as_runner_results(candidate, "candidate", reference=False)
    return compare_candidate(ref, cand, None)


def _table(c: CandidateResult) -> str:
    return "\n".join(f"  {o.name}: {o.accuracy_class} (rel L2 {o.rel_l2:.3g}, max abs "
                     f"{o.max_abs if o.max_abs is None else f'{o.max_abs:.3g}'}, {o.non_finite} NaN/Inf)"
                     for o in c.outputs)


def assert_outputs_close(reference: Any, candidate: Any, max_class: str = "int8-level") -> CandidateResult:
    """Fail unless every output of ``candidate`` is in ``max_class`` or a better class."""
    limit = parse_class(max_class)
    result = _compare(reference, candidate)
    if result.accuracy_class.rank > limit.rank:
        raise AssertionError(f"outputs of {result.runner} are {result.accuracy_class}, worse than {limit}:\n"
                             + _table(result))
    return result


def assert_int8_engaged(reference: Any, candidate: Any, max_class: str = "int8-level") -> CandidateResult:
    """Fail when the candidate matches the FP32 reference at FP32/FP16 rounding level (INT8 did not run),
    or when it is worse than ``max_class``."""
    result = assert_outputs_close(reference, candidate, max_class)
    if result.accuracy_class in (AccuracyClass.SAME, AccuracyClass.FP16):
        raise AssertionError(f"INT8 did not engage: outputs of {result.runner} are {result.accuracy_class} "
                             "(INT8 quantization noise is int8-level):\n" + _table(result))
    return result
