"""The one rule protocol shared by build-log rules and engine (comparison) rules.

A :class:`Rule` is data: its stable id, default severity, title, README summary, explanation and fix
text, plus the check function that decides whether it applies. Keeping the words out of the check
functions lets the README table (:func:`trtdiag.rules.registry.markdown_table`) and the findings read
the same text. The checks fill the ``str.format`` fields of the title and explanation with what they
found; they never print or log.

Which rules exist is listed in :mod:`trtdiag.rules.registry`; this module knows none of them, so every
rule module can import it without a cycle.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Generic, TypeVar

from trtdiag.findings import Evidence, Finding, Severity


class ContextKind(str, Enum):
    """What a rule looks at: a build log (:class:`~trtdiag.rules.context.BuildContext`) or two engines
    (:class:`~trtdiag.rules.context.EngineContext`)."""

    BUILD = "build"
    ENGINE = "engine"


class Scope(str, Enum):
    """Which builds a rule speaks about. Calibration rules are ``implicit-only``: on an explicitly quantized
    (Q/DQ) build TensorRT ignores calibration, so their words and fixes would be wrong there."""

    ANY = "any"
    IMPLICIT_ONLY = "implicit-only"


C = TypeVar("C")


@dataclass(frozen=True)
class RuleText:
    """The words of a finding. ``title`` and ``explanation`` are ``str.format`` templates (literal braces
    doubled) whose fields the check supplies; ``fix`` is plain text."""

    title: str
    explanation: str
    fix: str


@dataclass(frozen=True)
class Rule(Generic[C]):
    """One root cause. ``variants`` hold the words of a second situation the same rule covers (for example
    a calibrator given to a Q/DQ network, under ``no-calibration``)."""

    id: str
    kind: ContextKind
    severity: Severity
    title: str
    summary: str  # one line for the README's rule table
    explanation: str
    fix: str
    check: Callable[[C], Finding | None] = field(repr=False, compare=False)
    variants: Mapping[str, RuleText] = field(default_factory=dict, compare=False)
    scope: Scope = Scope.ANY
    scope_reason: str = ""  # why the rule is (or is not) silent on explicitly quantized builds

    def text(self, variant: str | None = None) -> RuleText:
        if variant is None:
            return RuleText(self.title, self.explanation, self.fix)
        return self.variants[variant]

    def finding(
        self,
        *,
        evidence: Evidence,
        fields: Mapping[str, object] | None = None,
        variant: str | None = None,
        severity: Severity | None = None,
        commands: Iterable[str] = (),
        gemm_nodes: Iterable[str] = (),
        mac_share: float | None = None,
    ) -> Finding:
        """A finding of this rule: its id, the (formatted) words of ``variant``, and what the check found."""
        text = self.text(variant)
        values = dict(fields or {})
        return Finding(
            id=self.id, severity=severity or self.severity, title=text.title.format(**values),
            explanation=text.explanation.format(**values), evidence=evidence, fix=text.fix,
            commands=tuple(commands), gemm_nodes=tuple(gemm_nodes), mac_share=mac_share,
        )


def run(ctx: C, rules: Sequence[Rule[C]]) -> tuple[Finding, ...]:
    """Run ``rules`` on ``ctx``: worst severity first, then in the order the rules are listed. Implicit-only
    rules are skipped when the context says the build is explicitly quantized (``explicit_quantization``)."""
    explicit = bool(getattr(ctx, "explicit_quantization", False))
    found = [f for r in rules if not (explicit and r.scope is Scope.IMPLICIT_ONLY) and (f := r.check(ctx)) is not None]
    return tuple(sorted(found, key=lambda f: f.severity.rank))


def verdict_failures(findings: Iterable[Finding], fail_on: str) -> list[str]:
    """Findings at or above the ``fail_on`` severity (``error``, ``warning``; ``never`` fails on nothing)."""
    if fail_on == "never":
        return []
    try:
        limit = Severity(fail_on).rank
    except ValueError:
        raise ValueError(f"fail_on must be error, warning or never, not {fail_on!r}") from None
    return [f"{f.severity} {f.id}" for f in findings if f.severity.rank <= limit]
