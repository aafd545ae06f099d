"""Range check before the sweep: activations whose calibrated range is absurd.

A TorchScript export builds the attention mask as ``(1 - mask) * finfo(float32).min``, so the mask path
calibrates to about -3.4e38. An INT8 scale derived from that range flattens every real value to zero, and a
TensorRT calibrator sees the very same range, which is why this also explains failed implicit-INT8 builds.
Such tensors are named in a finding and their consumers are left out of the sweep: measuring them would
only rediscover the overflow. The same values overflow FP16 (max 65504), which is ModelOpt's FP16 hazard.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from trtdiag.findings import Evidence, Finding, Severity
from trtdiag.onnx.graph import GraphIndex
from trtdiag.sensitivity.calibrate import Calibration

RANGE_LIMIT = 1e4
FP16_MAX = 65504.0
FINDING_ID = "calibration-range-overflow"
_EVIDENCE_CAP = 20


@dataclass(frozen=True)
class RangeCheck:
    """Tensors over the limit, the quantizable nodes that read them, and the FP16 hazard."""

    tensors: tuple[str, ...]
    excluded_nodes: tuple[str, ...]
    fp16_hazard_ops: tuple[str, ...]  # op types producing finite values beyond FP16's range
    finding: Finding | None


def _magnitude(lo: float, hi: float) -> float:
    return max(abs(lo), abs(hi))


def check_ranges(g: GraphIndex, calib: Calibration, quantizable: set[str],
                 limit: float = RANGE_LIMIT) -> RangeCheck:
    """Activations (not weights, not Constant outputs) whose |range| exceeds ``limit``."""
    over: list[str] = []
    for name, (lo, hi) in calib.ranges.items():
        if name in g.initializers or name in g.constant_outputs:
            continue
        if not (math.isfinite(lo) and math.isfinite(hi)) or _magnitude(lo, hi) > limit:
            over.append(name)
    order = {n.name: n.index for n in g.nodes}
    over.sort(key=lambda t: (order.get(p.name, -1) if (p := g.producer_of(t)) else -1, t))
    excluded = sorted({c.name for t in over for c in g.consumers_of(t) if c.name in quantizable},
                      key=lambda n: order.get(n, 0))
    hazard = sorted({p.op_type for t in over if (p := g.producer_of(t)) is not None
                     and _magnitude(*calib.ranges[t]) > FP16_MAX and p.op_type not in ("Add", "Softmax")})
    finding = _finding(g, calib, over, excluded) if over else None
    return RangeCheck(tuple(over), tuple(excluded), tuple(hazard), finding)


def _finding(g: GraphIndex, calib: Calibration, over: list[str], excluded: list[str]) -> Finding:
    worst = max(_magnitude(*calib.ranges[t]) for t in over)
    mask_like = any("mask" in t.lower() or ((p := g.producer_of(t)) is not None and p.op_type == "Mul") for t in over)
    cause = (" This is the attention-mask path: the exporter multiplies the padding mask by the float32 minimum."
             if mask_like else "")
    notes = tuple(f"{t}: [{calib.ranges[t][0]:.4g}, {calib.ranges[t][1]:.4g}]" for t in over[:_EVIDENCE_CAP])
    return Finding(
        id=FINDING_ID,
        severity=Severity.WARNING,
        title=f"{len(over)} activation(s) calibrate to an absurd range (up to {worst:.3g})",
        explanation=(f"Calibration over {calib.batches} batch(es) gave these activations a range beyond "
                     f"±{RANGE_LIMIT:g}; an INT8 scale from it rounds every ordinary value to zero, and a "
                     f"TensorRT calibrator sees the same range." + cause +
                     " Their quantizable consumers were left out of the sensitivity sweep."),
        evidence=Evidence(tensors=tuple(over[:_EVIDENCE_CAP]), nodes=tuple(excluded[:_EVIDENCE_CAP]), notes=notes,
                          total_tensors=len(over), total_nodes=len(excluded)),
        fix=("Keep these tensors out of INT8 (they feed Add/Softmax, which ModelOpt does not quantize) and out "
             "of FP16 where they exceed 65504: pass --op_types_to_exclude_fp16 for their producers to ModelOpt, "
             "or re-export with a finite mask value such as -1e4."),
    )
