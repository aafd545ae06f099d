"""Which kind of quantization a build uses: explicit (Q/DQ nodes), implicit (calibration) or none.

Why it matters: the two modes fail differently and are fixed differently. An explicitly quantized network takes
every scale from its QuantizeLinear/DequantizeLinear nodes; TensorRT ignores calibrators and caches for it, and
trtexec up to 10.x still prints ``Calibration: Dynamic`` for such a ``--int8`` build. The calibration rules
(:attr:`trtdiag.rules.base.Rule.scope`) therefore stay silent on explicit builds, and the Q/DQ placement
rules (``trtdiag/lint``) speak instead.

Evidence, strongest first: Q/DQ nodes in the given model; ``Parsing node`` lines of Q/DQ ops, Q/DQ names in
``Registering layer`` lines, Q/DQ optimizer passes and layer names, and "Calibrator won't be used in explicit
precision mode" in the log. Without any of those, an INT8 build is implicit; a log that says INT8 was off is
``none``; a log that says nothing either way, with no model, is unknown (``None``).
"""

from __future__ import annotations

from dataclasses import dataclass

from trtdiag.enums import StrEnum
from trtdiag.log.facts import LogFacts
from trtdiag.onnx.graph import GraphIndex

QDQ_OPS = ("QuantizeLinear", "DequantizeLinear")
_QDQ_NAME_MARKERS = ("QuantizeLinear", "DequantizeLinear", "_input_quantizer", "_weight_quantizer")


class Quantization(StrEnum):
    EXPLICIT = "explicit"
    IMPLICIT = "implicit"
    NONE = "none"


@dataclass(frozen=True)
class QuantEvidence:
    """One reason for the mode: where it was seen (``model`` or ``log``), the log line (None for the model)."""

    source: str
    line: int | None
    text: str


@dataclass(frozen=True)
class QuantizationMode:
    mode: Quantization | None  # None: unknown (no model, and the log does not say whether INT8 was enabled)
    evidence: tuple[QuantEvidence, ...]

    @property
    def explicit(self) -> bool:
        return self.mode is Quantization.EXPLICIT


def _log_qdq_evidence(facts: LogFacts) -> list[QuantEvidence]:
    """The first line of each kind of explicit-quantization evidence in the log."""
    found: list[QuantEvidence] = []
    parsed = next((p for p in facts.parsed_nodes if p.op_type in QDQ_OPS), None)
    if parsed is not None:
        n = sum(1 for p in facts.parsed_nodes if p.op_type in QDQ_OPS)
        found.append(QuantEvidence("log", parsed.line, f"{n} {'/'.join(QDQ_OPS)} nodes parsed, "
                                                       f"first: Parsing node: {parsed.name} [{parsed.op_type}]"))
    reg = next((r for r in facts.registrations
                if any(k in (r.node or r.layer) for k in _QDQ_NAME_MARKERS)), None)
    if reg is not None and parsed is None:
        found.append(QuantEvidence("log", reg.line, f"Q/DQ layer registered: {reg.layer}"))
    seen: set[str] = set()
    for e in facts.qdq_events:
        if e.kind not in seen:
            seen.add(e.kind)
            found.append(QuantEvidence("log", e.line, e.text[:200]))
    explicit = next((e for e in facts.calibration.events if e.kind == "explicit-precision"), None)
    if explicit is not None:
        found.append(QuantEvidence("log", explicit.line, explicit.text[:200]))
    return found


def quantization_mode(facts: LogFacts, graph: GraphIndex | None) -> QuantizationMode:
    """The build's quantization mode and why (see the module docstring for the order of evidence)."""
    evidence: list[QuantEvidence] = []
    if graph is not None and graph.qdq_nodes:
        evidence.append(QuantEvidence("model", None, f"{graph.qdq_nodes} QuantizeLinear/DequantizeLinear nodes in "
                                                     f"the model"))
    evidence.extend(_log_qdq_evidence(facts))
    if evidence:
        return QuantizationMode(Quantization.EXPLICIT, tuple(evidence))
    b = facts.build
    if facts.has_int8_build:
        line = b.evidence.get("int8") or b.evidence.get("calibrator") or facts.calibration.started_line or (
            facts.missing_scale[0].first_line if facts.missing_scale else None)
        text = "INT8 enabled with no Q/DQ node in the model or the log: TensorRT calibrates (implicit quantization)"
        if graph is None:
            text += "; give the model to be sure"
        return QuantizationMode(Quantization.IMPLICIT, (QuantEvidence("log", line, text),))
    if b.int8 is False or graph is not None:
        why = "the log says INT8 was not enabled" if b.int8 is False else "no INT8 in the log, no Q/DQ in the model"
        return QuantizationMode(Quantization.NONE, (QuantEvidence("log", b.evidence.get("int8"), why),))
    return QuantizationMode(None, ())
