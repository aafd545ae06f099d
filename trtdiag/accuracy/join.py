"""One root cause from two sources: what the outputs show (INT8 did not engage) and why the build log says so.

``int8-not-engaged`` (from the outputs) and ``int8-without-fp16`` / ``implicit-int8-transformer`` /
``no-calibration`` (from the log) describe the same failure from two ends. Listing both would make the
report count one problem twice, so the log's finding stays the root cause and takes the outputs as extra
evidence: the candidate, its class and its relative error are added to its evidence notes, its explanation
says that the outputs confirm it, and ``int8-not-engaged`` is dropped. The log's line numbers stay in
its evidence, so the one finding cites both. Used by ``analyze(..., outputs=...)`` and by
``trtdiag accuracy --log``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from trtdiag.accuracy.hazards import HAZARD_ID
from trtdiag.accuracy.result import AccuracyResult, CandidateResult
from trtdiag.accuracy.rules import int8_not_engaged
from trtdiag.findings import Finding, Severity

NOT_ENGAGED = "int8-not-engaged"
#: Findings of the model alone: the log's rules decide whether they apply to this build (FP16 or not).
STATIC_HAZARDS = (HAZARD_ID,)
#: Log findings that explain outputs at FP32/FP16 level from an INT8 build, most specific first.
ROOT_CAUSES = ("int8-without-fp16", "implicit-int8-transformer", "no-calibration", "activations-missing-scales")


def not_engaged_candidates(result: AccuracyResult) -> list[CandidateResult]:
    """Candidates whose outputs sit at FP32/FP16 rounding level (the ones ``int8-not-engaged`` names)."""
    return [c for c in result.candidates if int8_not_engaged(c) is not None]


def output_notes(candidates: Sequence[CandidateResult]) -> list[str]:
    """``outputs: file [runner]: class, rel L2 x`` for each candidate: the outputs' side of the evidence."""
    notes = []
    for c in candidates:
        worst_rel = max((o.rel_l2 for o in c.outputs), default=0.0)
        notes.append(f"outputs {c.label}: {c.accuracy_class}, relative L2 error {worst_rel:.3g} "
                     "(INT8 noise is 5e-3..0.1)")
    return notes


def _merged(cause: Finding, candidates: Sequence[CandidateResult]) -> Finding:
    classes = sorted({str(c.accuracy_class) for c in candidates})
    evidence = replace(cause.evidence, notes=(*output_notes(candidates), *cause.evidence.notes))
    return replace(
        cause,
        title=f"{cause.title} (the outputs confirm it: {', '.join(classes)})",
        explanation=(f"{cause.explanation} The outputs confirm it: {len(candidates)} INT8 candidate(s) match the "
                     f"FP32 reference at {' / '.join(classes)} level, so INT8 did not engage "
                     f"(finding {NOT_ENGAGED} of the outputs, merged here)."),
        evidence=evidence,
    )


def join_findings(log_findings: Sequence[Finding], result: AccuracyResult) -> tuple[Finding, ...]:
    """The log's findings and the outputs' findings as one list: ``int8-not-engaged`` merged into the
    log's root cause when there is one, the model's static hazards as the log's rules judged them, worst
    first."""
    candidates = not_engaged_candidates(result)
    cause = next((f for f in log_findings if f.id in ROOT_CAUSES), None) if candidates else None
    joined = [(_merged(f, candidates) if f is cause else f) for f in log_findings]
    seen = {f.id for f in log_findings}
    for f in result.findings:
        if f.id in seen or f.id in STATIC_HAZARDS or (cause is not None and f.id == NOT_ENGAGED):
            continue
        if f.id == NOT_ENGAGED:
            f = replace(f, explanation=f.explanation + " The build log names no cause for it.")
        joined.append(f)
    return tuple(sorted(joined, key=lambda f: Severity(f.severity).rank))


def with_log_findings(result: AccuracyResult, log_findings: Sequence[Finding], log_path: str) -> AccuracyResult:
    """``trtdiag accuracy --log``: the accuracy result with the build log's findings joined in."""
    return replace(result, findings=join_findings(log_findings, result), log=log_path)
