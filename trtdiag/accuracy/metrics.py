"""Error metrics of a candidate tensor against its reference, and Polygraphy's pass/fail check.

Pass/fail at the user's tolerances is Polygraphy's (``Comparator.compare_accuracy`` with the simple compare
function), so ``trtdiag accuracy --atol/--rtol`` agrees with ``polygraphy run --atol/--rtol``. Polygraphy
has no relative L2 error, cosine similarity or SQNR, which the classes need, so those are computed here.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from trtdiag.accuracy.classify import AccuracyClass, classify

#: Upper edges of the absolute-error histogram (decades); the last bin is open-ended.
HISTOGRAM_EDGES = (1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0)


@dataclass(frozen=True)
class TensorMetrics:
    """Errors of one tensor over every compared iteration. ``sqnr_db`` is None when the error is zero."""

    name: str
    shape: tuple[int, ...]
    max_abs: float | None
    mean_abs: float | None
    rel_l2: float
    cosine: float | None
    sqnr_db: float | None
    non_finite: int  # NaN/Inf in the candidate
    new_non_finite: int  # ... where the reference is finite
    histogram: tuple[int, ...]  # counts per HISTOGRAM_EDGES bin, plus one open-ended bin
    accuracy_class: AccuracyClass
    passed: bool | None = None  # Polygraphy's check at the user's tolerances (None: not asked)


def _stack(arrays: Sequence[np.ndarray]) -> np.ndarray:
    flat = [np.asarray(a, dtype=np.float64).ravel() for a in arrays]
    return flat[0] if len(flat) == 1 else np.concatenate(flat)


def tensor_metrics(name: str, reference: Sequence[np.ndarray], candidate: Sequence[np.ndarray]) -> TensorMetrics:
    """Metrics of one tensor; ``reference`` and ``candidate`` hold one array per iteration (same shapes)."""
    shape = tuple(int(d) for d in np.shape(reference[0]))
    shape_ok = all(np.shape(r) == np.shape(c) for r, c in zip(reference, candidate, strict=True))
    if not shape_ok:
        return TensorMetrics(name, shape, None, None, math.inf, None, None, 0, 0, (0,) * (len(HISTOGRAM_EDGES) + 1),
                             AccuracyClass.BROKEN)
    ref, cand = _stack(reference), _stack(candidate)
    ref_ok, cand_ok = np.isfinite(ref), np.isfinite(cand)
    non_finite = int(cand.size - np.count_nonzero(cand_ok))
    new_non_finite = int(np.count_nonzero(ref_ok & ~cand_ok))
    both = ref_ok & cand_ok
    r, c = ref[both], cand[both]
    diff = np.abs(c - r)
    err2, sig2 = float(np.dot(diff, diff)), float(np.dot(r, r))
    rel_l2 = _ratio(math.sqrt(err2), math.sqrt(sig2))
    norms = math.sqrt(sig2) * math.sqrt(float(np.dot(c, c)))
    cosine = float(np.dot(r, c)) / norms if norms > 0 else (1.0 if err2 == 0 else None)
    sqnr = None if err2 == 0 else (10 * math.log10(sig2 / err2) if sig2 > 0 else -math.inf)
    counts = np.histogram(diff, bins=(0.0, *HISTOGRAM_EDGES, math.inf))[0] if diff.size else np.zeros(9)
    return TensorMetrics(
        name=name, shape=shape,
        max_abs=float(diff.max()) if diff.size else None,
        mean_abs=float(diff.mean()) if diff.size else None,
        rel_l2=rel_l2, cosine=cosine, sqnr_db=sqnr if sqnr is None or math.isfinite(sqnr) else None,
        non_finite=non_finite, new_non_finite=new_non_finite,
        histogram=tuple(int(x) for x in counts),
        accuracy_class=classify(rel_l2, new_non_finite),
    )


def _ratio(error: float, signal: float) -> float:
    if signal > 0:
        return error / signal
    return 0.0 if error == 0 else math.inf


def _simple_compare_func(atol: float, rtol: float) -> object:
    """Polygraphy's simple compare function (``SimpleCompareFunc`` from 0.53, ``CompareFunc.simple`` before)."""
    try:
        from polygraphy.comparator import SimpleCompareFunc

        return SimpleCompareFunc(atol=atol, rtol=rtol, check_error_stat="elemwise")
    except ImportError:
        from polygraphy.comparator import CompareFunc

        return CompareFunc.simple(atol=atol, rtol=rtol, check_error_stat="elemwise")


def tolerance_check(
    reference: Sequence[Mapping[str, np.ndarray]],
    candidate: Sequence[Mapping[str, np.ndarray]],
    names: Sequence[str],
    atol: float,
    rtol: float,
) -> dict[str, bool]:
    """Polygraphy's verdict per output: passes when every iteration is within ``atol``/``rtol`` elementwise."""
    from polygraphy.comparator import Comparator, RunResults
    from polygraphy.logger import G_LOGGER

    runs = RunResults()
    runs.add([{n: np.asarray(it[n]) for n in names} for it in reference], runner_name="reference")
    runs.add([{n: np.asarray(it[n]) for n in names} for it in candidate], runner_name="candidate")
    with G_LOGGER.verbosity(G_LOGGER.CRITICAL):
        results = Comparator.compare_accuracy(runs, compare_func=_simple_compare_func(atol, rtol))
    verdict = dict.fromkeys(names, True)
    for iteration in results[0][("reference", "candidate")]:
        for name, outcome in iteration.items():
            verdict[name] = verdict.get(name, True) and bool(outcome)
    return verdict
