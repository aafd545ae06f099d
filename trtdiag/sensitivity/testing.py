"""pytest helper ``assert_sensitivity_below``: fail a test when INT8 costs a model more than it may.

The check itself is one variant (every MatMul/Gemm/Conv in INT8, except the readers of out-of-range
tensors, as in the sweep) measured on held-out batches; only when it fails does the full sweep run, so
the message can name the most sensitive groups and the exclusion that would get under the bound.
Re-exported from :mod:`trtdiag.testing`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from trtdiag.sensitivity.groups import Granularity
from trtdiag.sensitivity.pipeline import SensitivityOptions, SensitivityReport, prepare, run_sensitivity
from trtdiag.sensitivity.sweep import Runner, Score
from trtdiag.sensitivity.variants import prepare_model
from trtdiag.validate import ArgumentTypeError, ArgumentValueError, check_threshold

_OPTIONS = ("eval_data", "shapes", "granularity", "workers", "seed")
_SHOWN = 5


def _options(data: str | os.PathLike[str] | None, kw: dict[str, Any]) -> SensitivityOptions:
    unknown = sorted(set(kw) - set(_OPTIONS))
    if unknown:
        raise ArgumentTypeError(f"unknown option(s) {', '.join(unknown)} (known: {', '.join(_OPTIONS)})")
    if data is not None and not isinstance(data, str | os.PathLike):
        raise ArgumentTypeError(f"data must be a .npz path, a data-loader script or None, got {type(data).__name__}")
    try:
        granularity = Granularity(kw.get("granularity", "block"))
    except ValueError:
        raise ArgumentValueError(f"granularity must be one of block, role, node, not {kw['granularity']!r}") from None
    text = None if data is None else str(data)
    script = text is not None and (text.endswith(".py") or ".py:" in text)
    return SensitivityOptions(None if script else text, kw.get("eval_data"), kw.get("shapes"), granularity,
                              int(kw.get("workers", 1)), int(kw.get("seed", 0)), text if script else None)


def _all_int8(model: str | os.PathLike[str], options: SensitivityOptions) -> Score:
    prep = prepare(model, options)
    swept = tuple(n for n in prep.quantizable if n not in set(prep.ranges.excluded_nodes))
    runner = Runner(prepare_model(model), prep.calibration.without(prep.ranges.tensors), prep.dataset.evaluation, 1,
                    nodes=swept)
    try:
        return runner.run([swept])[0]
    finally:
        runner.close()


def _message(report: SensitivityReport, error: float, max_error: float) -> str:
    r = report.result
    msg = (f"INT8 error {error:.3g} (1 - cosine vs FP32 on {len(report.dataset.evaluation)} held-out batch(es)) "
           f"exceeds max_error {max_error:g}\n  most sensitive {report.options.granularity.value}s "
           "(error with only this group in INT8):")
    for x in r.ranking[:_SHOWN]:
        msg += f"\n    {x.group.label}: {x.only.error:.3g} ({len(x.group.nodes)} node(s))"
    within = [p for p in r.curve if 0 < p.excluded < len(r.ranking) and p.score.error <= max_error]
    if within:
        msg += (f"\n  excluding the top {within[0].excluded} group(s) gives {within[0].score.error:.3g}: "
                f"trtdiag fix {report.model} --data DATA --exclude-top {within[0].excluded}")
    else:
        msg += "\n  no exclusion short of every group gets within max_error on the sweep's curve"
    if report.dataset.synthetic:
        msg += "\n  (synthetic inputs: pass real samples as data for a ranking you can trust)"
    return msg


def assert_sensitivity_below(model: str | os.PathLike[str], data: str | os.PathLike[str] | None,
                             max_error: float, **kw: Any) -> Score:
    """Fail unless INT8 quantization of ``model`` keeps its outputs within ``max_error`` (1 - cosine vs FP32).

    ``data``: a ``.npz`` of named inputs, a data-loader script (``s.py[:func]``, run in this process), or
    None for synthetic inputs. ``kw``: ``eval_data``, ``shapes``, ``granularity``, ``workers`` (default 1),
    ``seed``. Returns the measured score when it passes.
    """
    if not isinstance(model, str | os.PathLike):
        raise ArgumentTypeError(f"model must be an ONNX file path, got {type(model).__name__}")
    if not Path(model).is_file():
        raise ArgumentValueError(f"model file not found: {model}")
    check_threshold("max_error", max_error, 0.0, 2.0)
    options = _options(data, kw)
    score = _all_int8(model, options)
    if score.error <= max_error:
        return score
    report = run_sensitivity(model, options)
    raise AssertionError(_message(report, score.error, max_error))
