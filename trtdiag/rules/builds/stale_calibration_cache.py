"""``stale-calibration-cache``: the calibration cache belongs to another model, export, algorithm or version.

Two ways to tell: the cache file itself (:mod:`trtdiag.rules.cache_check`), or, from the log alone, a cache
read followed by missing-scale warnings for most of the model's float activations.
"""

from __future__ import annotations

from collections.abc import Sequence

from trtdiag.findings import Finding, Severity
from trtdiag.naming import ACTIVATION, UNKNOWN, MappedTensor
from trtdiag.rules.base import ContextKind, Rule, Scope
from trtdiag.rules.build_traits import q
from trtdiag.rules.context import BuildContext
from trtdiag.rules.evidence import evidence

_CACHE_EVENTS = ("cache-read", "scales-from-cache")
STALE_SHARE = 0.5  # warned activations / float activations of the model (or warned tensors) that mean "stale"


def _activation_like(ctx: BuildContext) -> Sequence[MappedTensor]:
    return ctx.mapping.select(lambda m: m.cls in (ACTIVATION, UNKNOWN) and not m.is_integer and not m.weight_path)


def _reason_from_log(ctx: BuildContext, act_like: Sequence[MappedTensor]) -> str | None:
    """A cache was read, calibration did not run, and then most activations lacked scales."""
    b = ctx.facts.build
    cache_used = bool(b.calibration_cache_read) or any(e.kind in _CACHE_EVENTS for e in ctx.facts.calibration.events)
    if not cache_used or ctx.facts.calibration.started_line is not None or len(act_like) < 3:
        return None
    g = ctx.graph
    denominator = None
    if g is not None:
        denominator = sum(1 for n in g.nodes if n.op_type not in ("Constant", "Shape")
                          and n.outputs and g.dtype_of(n.outputs[0]) in ("FLOAT", "FLOAT16", None))
    if len(act_like) < STALE_SHARE * (denominator if denominator else len(ctx.tensors)):
        return None
    return (f"the log reads a calibration cache and then warns about {len(act_like)} activation tensors"
            + (f" out of {denominator} float activations in the model" if denominator else "")
            + ": the cache was made for another model or export")


def check(ctx: BuildContext) -> Finding | None:
    b = ctx.facts.build
    cc = ctx.cache_check
    act_like = _activation_like(ctx)
    notes: list[str] = []
    reason = None
    if cc is not None and cc.stale:
        reason = cc.stale_reason
        notes.extend(f"not in the model: {n}" for n in cc.absent_from_model[:5])
        notes.extend(f"not in the cache: {n}" for n in cc.gemm_inputs_missing[:5])
    if reason is None:
        reason = _reason_from_log(ctx, act_like)
    if reason is None:
        return None
    lines = [b.evidence[k] for k in ("calibration_cache_read",) if k in b.evidence]
    lines += [e.line for e in ctx.facts.calibration.events if e.kind in _CACHE_EVENTS]
    gemms = ctx.gemms_touched(act_like)
    cache_name = b.calibration_cache_read or (cc.cache.path if cc else "calib.cache")
    return RULE.finding(
        fields={"reason": reason},
        evidence=evidence(act_like, nodes=gemms, lines=lines + [t.first_line for t in act_like[:5]], notes=notes),
        commands=(f"rm -f {q(cache_name)}",), gemm_nodes=gemms, mac_share=ctx.finding_share(gemms),
    )


RULE = Rule[BuildContext](
    id="stale-calibration-cache",
    kind=ContextKind.BUILD,
    severity=Severity.ERROR,
    title="The calibration cache does not belong to this model or build",
    summary="the cache belongs to another model, export, algorithm (or TensorRT version)",
    explanation=(
        "The calibration cache is stale: {reason}. TensorRT takes scales only for tensor names it "
        "finds in the cache and silently leaves the rest without scales."
    ),
    fix="Delete the cache and calibrate again with this exact model and TensorRT version (a cache is tied to "
    "tensor names, the export, the algorithm and the TensorRT version).",
    check=check,
    scope=Scope.IMPLICIT_ONLY,
    scope_reason='a Q/DQ network ignores the calibration cache, stale or not',
)
