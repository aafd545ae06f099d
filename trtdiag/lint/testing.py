"""pytest helper: fail a test when a model's Q/DQ placement has findings TensorRT would pay for.

    from trtdiag.lint.testing import assert_qdq_placement_clean
    assert_qdq_placement_clean("model.qdq.onnx", allow=["unquantized-gemm-share"])

Messages follow ``trtdiag.testing``: what was expected, what was found, each finding with its nodes (capped
for large models), why TensorRT cares and the fix.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from trtdiag.findings import Finding, Severity
from trtdiag.lint.run import LintResult, lint_model

__all__ = ["assert_qdq_placement_clean"]

MAX_LISTED = 12


def _text(f: Finding) -> str:
    nodes = list(f.evidence.nodes)
    shown = "\n".join(f"    {n}" for n in nodes[:MAX_LISTED])
    if len(nodes) > MAX_LISTED:
        shown += f"\n    ... and {len(nodes) - MAX_LISTED} more"
    share = f" ({f.mac_share:.1%} of GEMM MACs)" if f.mac_share else ""
    return f"[{f.id}] {f.severity}: {f.title}{share}\n{shown}\n  why: {f.explanation}\n  fix: {f.fix}"


def assert_qdq_placement_clean(model: str | os.PathLike[str] | LintResult, allow: Iterable[str] = (),
                               severity: Severity | str = Severity.WARNING) -> LintResult:
    """Assert that linting ``model`` (a path or a :class:`LintResult`) finds nothing of ``severity`` or worse
    except the rule ids in ``allow``. Returns the result for further checks."""
    result = model if isinstance(model, LintResult) else lint_model(model)
    allowed = set(allow)
    bad = [f for f in result.at_least(severity) if f.id not in allowed]
    if bad:
        listed = "\n".join(_text(f) for f in bad)
        raise AssertionError(
            f"expected a clean Q/DQ placement (no {Severity(severity).value} or worse"
            f"{', allowing ' + ', '.join(sorted(allowed)) if allowed else ''}), found {len(bad)} finding(s) in "
            f"{result.model_path}:\n{listed}\nFull report: "
            + (result.report_path or f"trtdiag lint {result.model_path} -o lint.html"))
    return result
