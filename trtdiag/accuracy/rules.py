"""Findings from an accuracy comparison: INT8 did not engage, degraded or broken outputs, NaN/Inf hidden
inside the network. Same :class:`~trtdiag.findings.Finding` data as the build-log rules produce."""

from __future__ import annotations

from trtdiag.accuracy.classify import AccuracyClass
from trtdiag.accuracy.result import CandidateResult
from trtdiag.findings import Evidence, Finding, Severity

#: File or runner names that say the candidate was *meant* to run in FP16/FP32, so matching the reference
#: at that level is not a sign of INT8 failing to engage.
_NOT_INT8_HINTS = ("fp16", "fp32", "float16", "float32", "half")


def _meant_int8(c: CandidateResult) -> bool:
    text = f"{c.file} {c.runner}".lower()
    return not any(h in text for h in _NOT_INT8_HINTS)


def int8_not_engaged(c: CandidateResult) -> Finding | None:
    """Outputs at FP32 (or FP16) rounding level from an engine meant to be INT8: INT8 never ran."""
    cls = c.accuracy_class
    if cls not in (AccuracyClass.SAME, AccuracyClass.FP16) or not _meant_int8(c):
        return None
    level = "FP32 rounding level" if cls is AccuracyClass.SAME else "FP16 rounding level"
    worst_rel = max(o.rel_l2 for o in c.outputs)
    return Finding(
        id="int8-not-engaged",
        severity=Severity.WARNING,
        title=f"Outputs equal the FP32 reference at {level}: INT8 did not engage",
        explanation=(
            f"{c.label} differs from the reference by at most {worst_rel:.2g} relative L2 error; INT8 "
            "quantization noise is 5e-3..0.1. If this engine was built for INT8, no layer ran in INT8 "
            "(typically INT8 enabled without FP16, no calibrator or cache, or every layer's INT8 tactic lost)."
        ),
        evidence=Evidence(tensors=tuple(o.name for o in c.outputs),
                          notes=tuple(f"{o.name}: {o.accuracy_class}, rel L2 {o.rel_l2:.3g}" for o in c.outputs)),
        fix="Give the engine's build log (`trtdiag accuracy ... --log build.log`, or `trtdiag analyze build.log "
            "model.onnx --outputs ...`) to see why INT8 was not used; enable FP16 together with INT8 "
            "(--fp16 --int8) and give calibration data or Q/DQ.",
    )


def accuracy_loss(c: CandidateResult) -> Finding | None:
    """Degraded (warning) or broken (error) outputs, with the first diverging tensor when known."""
    cls = c.accuracy_class
    if cls not in (AccuracyClass.DEGRADED, AccuracyClass.BROKEN):
        return None
    bad = [o for o in c.outputs if o.accuracy_class is cls]
    notes = [f"{o.name}: rel L2 {o.rel_l2:.3g}, cosine {o.cosine if o.cosine is None else round(o.cosine, 4)}, "
             f"{o.non_finite} NaN/Inf" for o in bad]
    nodes: tuple[str, ...] = ()
    div = c.layerwise.first_divergence if c.layerwise else None
    if div is not None:
        p = div.place
        notes.append(f"first divergence: {p.tensor} (node {p.onnx_node}, {p.op_type}, block {p.block}, "
                     f"{p.submodule or '-'}): {div.previous_class} -> {div.accuracy_class}")
        nodes = (p.onnx_node,) if p.onnx_node else ()
    broken = cls is AccuracyClass.BROKEN
    return Finding(
        id="accuracy-broken" if broken else "accuracy-degraded",
        severity=(Severity.ERROR if broken else Severity.WARNING).value,
        title=f"{c.runner}: outputs {'broken (NaN/Inf or error as large as the signal)' if broken else 'degraded'}",
        explanation=(
            f"{len(bad)} output(s) of {c.label} are {cls}: "
            + ("NaN/Inf the reference does not have, or an error as large as the signal itself."
               if broken else "the error is well beyond INT8 quantization noise (relative L2 error > 0.1).")
        ),
        evidence=Evidence(tensors=tuple(o.name for o in bad), nodes=nodes, notes=tuple(notes[:6])),
        fix="Compare layer-wise (trtdiag accuracy model.onnx --candidate ... with intermediates saved by "
            "polygraphy run --trt-outputs <tensors> --onnx-outputs <tensors>) and keep the first diverging "
            "layer out of INT8/FP16 (layer precision constraints, or exclude it from Q/DQ insertion).",
    )


def non_finite_intermediates(c: CandidateResult) -> Finding | None:
    """NaN/Inf inside the network, reported even when the final outputs are finite."""
    if c.layerwise is None or not c.layerwise.non_finite:
        return None
    hits = c.layerwise.non_finite
    outputs_finite = all(o.new_non_finite == 0 for o in c.outputs)
    return Finding(
        id="non-finite-intermediate",
        severity=Severity.ERROR,
        title=f"{c.runner}: NaN/Inf in {len(hits)} intermediate tensor(s)"
              + (" while the outputs are finite" if outputs_finite else ""),
        explanation=(
            "The candidate produces NaN or Inf where the FP32 reference is finite. "
            + ("A later clamp, Q/DQ pair or masking hides them from the outputs, but the values downstream "
               "are wrong. " if outputs_finite else "")
            + "A typical cause is an FP16 overflow, e.g. the finfo(float32).min attention mask becoming -inf."
        ),
        evidence=Evidence(
            tensors=tuple(p.tensor for p, _ in hits[:20]),
            nodes=tuple(p.onnx_node for p, _ in hits[:20] if p.onnx_node),
            notes=tuple(f"{p.tensor}: {m.new_non_finite} NaN/Inf" for p, m in hits[:5]),
            total_tensors=len(hits),
        ),
        fix="Keep the first tensor's producer in FP32 (see fp16-overflow-constant when the model has an "
            "out-of-range mask constant).",
    )


def candidate_findings(c: CandidateResult) -> list[Finding]:
    """Every finding about one candidate."""
    found = (int8_not_engaged(c), accuracy_loss(c), non_finite_intermediates(c))
    return [f for f in found if f is not None]
