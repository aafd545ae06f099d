"""Do two engines (and a model) describe the same network? The check ``compare`` runs first.

Why: a comparison of an FP16 XLM-R engine with an INT8 ResNet engine, or of engines with a model of
another network, produces plausible numbers ("INT8 speed-up 0.25x", "findings: none") that mean
nothing. Engines of one network share their I/O tensor names, and cover most of the model's nodes.
"""

from __future__ import annotations

from trtdiag.engine.summary import EngineArtifacts, EngineSummary

#: Below this share of the model's nodes covered by an engine's layers, engine and model differ.
MIN_NODE_COVERAGE = 0.1


def _io_names(art: EngineArtifacts) -> set[str]:
    return {t.name for t in art.layers.io_tensors} if art.layers is not None else set()


def inputs_mismatch(fp16: EngineArtifacts, int8: EngineArtifacts, summaries: tuple[EngineSummary, EngineSummary],
                    has_model: bool) -> str | None:
    """Why the inputs of a comparison look like different networks, or None when nothing says so."""
    reasons: list[str] = []
    io16, io8 = _io_names(fp16), _io_names(int8)
    if io16 and io8 and not io16 & io8:
        reasons.append(f"the engines share no I/O tensor (FP16: {', '.join(sorted(io16)[:4])}; "
                       f"INT8: {', '.join(sorted(io8)[:4])})")
    if has_model:
        for s in summaries:
            if s.node_coverage is not None and s.node_coverage < MIN_NODE_COVERAGE:
                reasons.append(f"the {s.label} engine's layers cover {s.node_coverage * 100:.0f}% of the model's nodes")
    if not reasons:
        return None
    return ("The inputs look like different networks: " + "; ".join(reasons)
            + ". The comparison below is probably meaningless (--strict fails on this).")


def _int8_layers(s: EngineSummary) -> int:
    return s.precision_counts.get("INT8", 0)


def _known_precisions(s: EngineSummary) -> int:
    return sum(n for p, n in s.precision_counts.items() if p != "unknown")


def sides_warning(summaries: tuple[EngineSummary, EngineSummary]) -> tuple[str, bool] | None:
    """Do the FP16 and INT8 sides look swapped? (message, swapped) or None.

    ``swapped`` is True when the FP16 side has INT8 layers and the INT8 side has fewer (or none): the
    arguments were almost surely given the wrong way round. An INT8 side with no INT8 layer at all is only
    a warning: it is also what a build whose every layer fell back looks like (the findings say which)."""
    s16, s8 = summaries
    if not _known_precisions(s16) or not _known_precisions(s8):
        return None  # no precisions to judge by (a profile alone)
    n16, n8 = _int8_layers(s16), _int8_layers(s8)
    if n16 and n16 > n8:
        return (f"The FP16 side has {n16} INT8 layers and the INT8 side {n8 or 'none'}: --fp16 and --int8 look "
                "swapped (--strict exits 2 on this).", True)
    if n16:
        return (f"The FP16 side has {n16} INT8 layers: is it an FP16 engine? Its times are not an FP16 "
                "baseline.", False)
    if not n8:
        return ("The INT8 side has no INT8 layer: either every layer fell back to FP16/FP32 (see the findings) "
                "or it is not an INT8 engine; check the --int8 artifacts.", False)
    return None
