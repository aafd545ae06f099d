"""The frozen result of an accuracy comparison, shared by the JSON document, the HTML page, the CLI
verdict and the pytest helpers."""

from __future__ import annotations

from dataclasses import dataclass

from trtdiag.accuracy.classify import AccuracyClass, parse_class, worst
from trtdiag.accuracy.layerwise import Divergence, Layerwise
from trtdiag.accuracy.metrics import TensorMetrics
from trtdiag.findings import Finding, Severity

#: ``--fail-on`` values besides the class names: finding severities, and ``never``.
FAIL_ON_SEVERITIES = ("error", "warning")


@dataclass(frozen=True)
class CandidateResult:
    """One candidate runner compared with the reference."""

    file: str
    runner: str
    is_tensorrt: bool
    outputs: tuple[TensorMetrics, ...]
    layerwise: Layerwise | None = None

    @property
    def accuracy_class(self) -> AccuracyClass:
        """The worst class of the candidate's outputs."""
        return worst([o.accuracy_class for o in self.outputs])

    @property
    def label(self) -> str:
        return f"{self.file} [{self.runner}]"


@dataclass(frozen=True)
class AccuracyResult:
    reference_file: str
    reference_runner: str
    model: str | None
    candidates: tuple[CandidateResult, ...]
    findings: tuple[Finding, ...]
    notes: tuple[str, ...] = ()
    atol: float | None = None
    rtol: float | None = None
    log: str | None = None  # the build log joined in (trtdiag accuracy --log, analyze --outputs)
    report_path: str | None = None  # set by whoever wrote the HTML page (the pytest plugin does)

    @property
    def worst_class(self) -> AccuracyClass:
        return worst([c.accuracy_class for c in self.candidates])

    @property
    def divergent_candidate(self) -> CandidateResult | None:
        """The worst candidate that has a first divergence (compared layer-wise), if any."""
        ranked = sorted(self.candidates, key=lambda c: -c.accuracy_class.rank)
        for c in ranked:
            if c.layerwise is not None and c.layerwise.first_divergence is not None:
                return c
        return None

    @property
    def first_divergence(self) -> Divergence | None:
        """The first divergence of :attr:`divergent_candidate`."""
        c = self.divergent_candidate
        return c.layerwise.first_divergence if c is not None and c.layerwise is not None else None

    def failures(self, fail_on: str) -> list[str]:
        """Why ``--fail-on`` fails: a class name (a candidate in that class or worse), a finding severity,
        or ``tolerance`` (an output outside ``--atol/--rtol`` per Polygraphy); empty list: passes."""
        if fail_on == "never":
            return []
        if fail_on == "tolerance":
            return [f"{c.label}: {o.name} outside atol/rtol" for c in self.candidates for o in c.outputs
                    if o.passed is False]
        if fail_on in FAIL_ON_SEVERITIES:
            limit = Severity(fail_on).rank
            return [f"{f.id} ({f.severity})" for f in self.findings if Severity(f.severity).rank <= limit]
        threshold = parse_class(fail_on)
        return [f"{c.label}: {c.accuracy_class}" for c in self.candidates
                if c.accuracy_class.rank >= threshold.rank]

    def summary_line(self, html: str | None, json_path: str | None, failures: list[str]) -> str:
        parts = [f"{c.runner}: {c.accuracy_class}" for c in self.candidates]
        written = ", ".join(p for p in (html, json_path) if p)
        line = f"trtdiag accuracy: {'; '.join(parts)}"
        if self.first_divergence is not None:
            d = self.first_divergence
            line += f"; first divergence at {d.place.tensor} ({d.accuracy_class})"
        if written:
            line += f" -> {written}"
        if failures:
            line += f"; FAILED: {'; '.join(failures[:3])}"
        return line
