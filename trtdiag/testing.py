"""Assertion helpers for CI: fail a test when an INT8 build silently falls back, and say why.

Messages follow ``pytest.approx`` / ``assert_frame_equal``: what was expected, what was found, the
offending tensors, nodes and blocks (capped for large models), the finding's explanation and fix,
and where the full HTML report is.

    from trtdiag.testing import assert_no_missing_scales
    assert_no_missing_scales(trtdiag.analyze("build.log", "model.onnx"))

The output helpers ``assert_outputs_close`` and ``assert_int8_engaged`` (saved Polygraphy outputs against
an FP32 reference) live in :mod:`trtdiag.accuracy.testing` and are re-exported here, as is
``assert_sensitivity_below`` (INT8 error of a model on CPU, :mod:`trtdiag.sensitivity.testing`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from typing import Any

from trtdiag.accuracy.testing import assert_int8_engaged, assert_outputs_close
from trtdiag.commands import CommandKind, classify
from trtdiag.findings import Severity
from trtdiag.lint.registry import RULE_BY_ID as LINT_RULES
from trtdiag.lint.testing import assert_qdq_placement_clean
from trtdiag.naming import PARSER_HELPER, UNNAMED_LAYER, WEIGHT
from trtdiag.rules.registry import rule_ids
from trtdiag.sensitivity.testing import assert_sensitivity_below
from trtdiag.validate import check_known_id, check_patterns, check_result, check_threshold

__all__ = [
    "assert_int8_coverage",
    "assert_int8_engaged",
    "assert_int8_faster",
    "assert_layers_in_precision",
    "assert_no_finding",
    "assert_no_missing_scales",
    "assert_outputs_close",
    "assert_qdq_placement_clean",
    "assert_sensitivity_below",
]

MAX_LISTED = 12
DEFAULT_ALLOWED = ("integer", "weights")


def _cap(items: Iterable[str], limit: int = MAX_LISTED, total: int | None = None) -> str:
    """Up to ``limit`` items, then how many more there are. ``total`` is the full count when ``items`` is
    itself a capped list (finding evidence keeps a sample and the total), so the numbers add up."""
    items = list(items)
    shown = "\n".join(f"    {x}" for x in items[:limit])
    more = max(total or 0, len(items)) - min(limit, len(items))
    if more > 0:
        shown += f"\n    ... and {more} more"
    return shown


def _report_hint(obj: Any) -> str:
    path = getattr(obj, "report_path", None)
    if path:
        return f"\nFull report: {path}"
    return "\nFor the full picture: trtdiag analyze BUILD.log MODEL.onnx -o report.html"


def _blocks(tensors: list[Any]) -> str:
    counts = Counter("outside blocks" if t.block is None else f"block {t.block}" for t in tensors)
    return ", ".join(f"{k}: {v}" for k, v in sorted(counts.items()))


def _finding_text(f: Any) -> str:
    text = f"[{f.id}] {f.title}\n  why: {f.explanation}\n  fix: {f.fix}"
    runnable = [c for c in f.commands if classify(c).kind == CommandKind.COMMAND and not c.startswith("#")]
    if runnable:
        text += "\n  run: " + runnable[0 if len(runnable) < 3 else 1][:400]
    return text


def _allowed(t: Any, allow: Iterable[str]) -> bool:
    allow = tuple(allow)
    if "integer" in allow and t.is_integer:
        return True
    if "weights" in allow and (t.weight_path or t.cls == WEIGHT):
        return True
    if "helpers" in allow and t.cls in (PARSER_HELPER, UNNAMED_LAYER):
        return True
    return any(p not in ("integer", "weights", "helpers") and re.search(p, t.tensor) for p in allow)


def assert_no_missing_scales(analysis: Any, allow: Iterable[str] = DEFAULT_ALLOWED) -> None:
    """Fail if any tensor lacked an INT8 scale, except those allowed.

    ``allow`` holds categories (``"integer"`` inputs and shape tensors, ``"weights"`` and constants,
    parser ``"helpers"``) and regular expressions matched against tensor names. The default allows
    integer tensors and weights, whose warnings are harmless.
    """
    check_result(analysis, "analysis", ("mapping", "findings"))
    allow = check_patterns("allow", allow)
    bad = [t for t in analysis.mapping.tensors if not _allowed(t, allow)]
    if not bad:
        return
    by_class = Counter(t.cls for t in bad)
    nodes = [t.onnx_node for t in bad if t.onnx_node]
    msg = (f"{len(bad)} tensors lack INT8 scales (allowed: {', '.join(allow) or 'nothing'}); "
           f"{', '.join(f'{v} {k}' for k, v in by_class.most_common())}\n"
           f"  blocks: {_blocks(bad) or 'unknown (no model given)'}\n"
           f"  tensors:\n{_cap(t.tensor for t in bad)}")
    if nodes:
        msg += f"\n  ONNX nodes:\n{_cap(dict.fromkeys(nodes))}"
    errors = [f for f in analysis.findings if f.severity == Severity.ERROR]
    if errors:
        msg += "\nLikely cause:\n" + _finding_text(errors[0])
    raise AssertionError(msg + _report_hint(analysis))


def assert_no_finding(analysis: Any, finding_id: str) -> None:
    """Fail if the analysis (or comparison) produced the finding with this id.

    An id that no rule produces is refused (ValueError listing the known ids): a misspelt id
    would otherwise pass every time."""
    check_result(analysis, "analysis", ("findings",))
    check_known_id(finding_id, [*rule_ids(), *LINT_RULES, *(f.id for f in analysis.findings)])
    for f in analysis.findings:
        if f.id == finding_id:
            ev = f.evidence
            msg = f"trtdiag found {finding_id!r} ({f.severity}): {f.title}\n{_finding_text(f)}"
            if ev.tensors:
                msg += f"\n  tensors ({ev.total_tensors}):\n{_cap(ev.tensors, total=ev.total_tensors)}"
            if ev.nodes:
                msg += f"\n  nodes ({ev.total_nodes}):\n{_cap(ev.nodes, total=ev.total_nodes)}"
            if ev.lines:
                msg += f"\n  log lines: {', '.join(map(str, ev.lines[:MAX_LISTED]))}"
            raise AssertionError(msg + _report_hint(analysis))


def _int8_mac_share(obj: Any) -> tuple[float | None, list[str]]:
    """(share of GEMM/Conv MACs that can run INT8, GEMM nodes that cannot)."""
    if hasattr(obj, "int8") and hasattr(obj, "fp16"):  # a Comparison
        s = obj.int8
        blocked = [u.unit for u in obj.units if u.macs and u.int8_precision != "INT8"]
        return s.int8_mac_share, blocked
    share = obj.int8_blocked_share
    return (None if share is None else 1.0 - share), list(obj.blocked_gemms)


def assert_int8_coverage(analysis_or_comparison: Any, min_mac_share: float = 0.9) -> None:
    """Fail unless at least ``min_mac_share`` of the model's GEMM/Conv MACs run (or can run) in INT8."""
    check_result(analysis_or_comparison, "analysis_or_comparison", ("findings",))
    check_threshold("min_mac_share", min_mac_share, 0.0, 1.0)
    share, blocked = _int8_mac_share(analysis_or_comparison)
    if share is None:
        raise AssertionError("INT8 coverage is unknown: give the ONNX model (and for a comparison, detailed layer "
                             "information) so MACs can be computed" + _report_hint(analysis_or_comparison))
    if share + 1e-9 >= min_mac_share:
        return
    msg = (f"INT8 covers {share * 100:.1f}% of GEMM/Conv MACs, expected at least {min_mac_share * 100:.1f}%\n"
           f"  {len(blocked)} MatMul/Gemm/Conv nodes not in INT8:\n{_cap(blocked)}")
    findings = [f for f in analysis_or_comparison.findings if f.gemm_nodes and f.severity != Severity.INFO]
    for f in findings[:3]:
        share_text = f" ({f.mac_share * 100:.0f}% of MACs)" if f.mac_share is not None else ""
        msg += f"\n{_finding_text(f)}{share_text}"
    raise AssertionError(msg + _report_hint(analysis_or_comparison))


def assert_int8_faster(comparison: Any, min_speedup: float = 1.2) -> None:
    """Fail unless the INT8 engine is at least ``min_speedup`` times faster than the FP16 engine."""
    check_result(comparison, "comparison", ("totals", "units"))
    check_threshold("min_speedup", min_speedup, 0.0, 1e6)
    t16, t8, _basis = comparison.totals()
    if not t16 or not t8:
        raise AssertionError("engine times are missing: give per-layer profiles or performance summaries of both "
                             "engines" + _report_hint(comparison))
    speedup = t16 / t8
    if speedup + 1e-9 >= min_speedup:
        return
    msg = (f"INT8 engine speed-up is {speedup:.2f}x ({t8:.3f} ms vs FP16 {t16:.3f} ms), expected >= {min_speedup:.2f}x")
    worst = sorted((u for u in comparison.units if u.delta_ms is not None), key=lambda u: -(u.delta_ms or 0))
    worst = [u for u in worst if (u.delta_ms or 0) > 0]
    if worst:
        msg += "\n  slowest in INT8 (delta ms):\n" + _cap(
            f"{u.unit} [{u.block}] {u.fp16_precision}->{u.int8_precision} {u.delta_ms:+.3f}" for u in worst)
    for f in comparison.findings[:2]:
        msg += "\n" + _finding_text(f)
    raise AssertionError(msg + _report_hint(comparison))


def assert_layers_in_precision(comparison: Any, pattern: str, precision: str, engine: str = "int8") -> None:
    """Fail unless every layer of ``engine`` whose name or ONNX nodes match ``pattern`` runs in ``precision``."""
    check_result(comparison, "comparison", ("fp16", "int8"))
    want = precision.upper().replace("FLOAT16", "FP16").replace("FLOAT32", "FP32").replace("HALF", "FP16")
    summary = getattr(comparison, engine.lower())
    rx = re.compile(pattern)
    matched = [r for r in summary.layers if r.kind in ("compute", "myelin", "qdq")
               and (rx.search(r.name) or any(rx.search(n) for n in r.nodes))]
    if not matched:
        raise AssertionError(f"no {engine.upper()} engine layer matches {pattern!r}" + _report_hint(comparison))
    wrong = [r for r in matched if (r.precision or "unknown") != want]
    if not wrong:
        return
    counts = Counter(r.precision or "unknown" for r in wrong)
    msg = (f"{len(wrong)} of {len(matched)} {engine.upper()} layers matching {pattern!r} are not {want} "
           f"({', '.join(f'{v} {k}' for k, v in counts.most_common())}):\n"
           + _cap(f"{r.name[:150]} [{r.block}] -> {r.precision}" for r in wrong))
    raise AssertionError(msg + _report_hint(comparison))
