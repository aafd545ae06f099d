"""Stable accuracy classes of a candidate tensor against its FP32 reference, and their thresholds.

The class is decided by the relative L2 error ``e = ||candidate - reference|| / ||reference||`` (SQNR is
``-20 log10 e``), plus non-finite values. One number that is scale-free, so the same thresholds serve
logits, hidden states and probabilities alike. The thresholds, and why:

``same-as-reference``  e <= 1e-5 (SQNR >= 100 dB)
    FP32 has a unit round-off of 6e-8; a different kernel order or fused reduction over a few thousand
    terms accumulates to 1e-7..1e-6 relative. Anything at or below 1e-5 is FP32 arithmetic, so an engine
    that was meant to run INT8 (or FP16) did not: the lower precision never engaged.
``fp16-level``         1e-5 < e <= 5e-3 (SQNR >= 46 dB)
    FP16 (and TF32) keep 10 mantissa bits: unit round-off 4.9e-4, i.e. about 3e-4 relative RMS error per
    rounded tensor, growing to the low 1e-3 range through a deep network. 5e-3 leaves a 10x margin over
    one rounding and is still an order of magnitude below what one INT8 layer costs.
``int8-level``         5e-3 < e <= 0.1 (SQNR >= 20 dB)
    Uniform 8-bit quantization of one tensor gives 25..40 dB depending on the tensor's crest factor
    (6.02 dB per bit + 1.76 dB, minus the headroom the calibrated range leaves); a network of a dozen
    quantized layers typically ends at 20..35 dB. That is expected quantization noise.
``degraded``           0.1 < e < 1 (SQNR between 0 and 20 dB)
    Well beyond INT8 noise: a bad calibration range, a layer quantized that should not be, an overflow
    clamped to a finite value. The output still correlates with the reference.
``broken``             e >= 1, any NaN/Inf the reference does not have, or a shape mismatch
    An error as large as the signal itself carries no information about the reference (predicting zeros
    scores e = 1), and a NaN or Inf poisons everything downstream.

A candidate's class is the worst class of its outputs (:func:`worst`).
"""

from __future__ import annotations

from enum import Enum


class AccuracyClass(str, Enum):
    """Ordered from best to worst; a ``str`` enum so that documents write the plain name."""

    SAME = "same-as-reference"
    FP16 = "fp16-level"
    INT8 = "int8-level"
    DEGRADED = "degraded"
    BROKEN = "broken"

    def __str__(self) -> str:
        return self.value

    @property
    def rank(self) -> int:
        """0 for ``same-as-reference`` up to 4 for ``broken``."""
        return _ORDER.index(self)


_ORDER = (AccuracyClass.SAME, AccuracyClass.FP16, AccuracyClass.INT8, AccuracyClass.DEGRADED, AccuracyClass.BROKEN)

#: Upper bounds of the relative L2 error (inclusive) for the first three classes; see the module docstring.
SAME_MAX_REL_L2 = 1e-5
FP16_MAX_REL_L2 = 5e-3
INT8_MAX_REL_L2 = 0.1
#: At or above this relative L2 error the output is ``broken``.
BROKEN_MIN_REL_L2 = 1.0

CLASS_NAMES = tuple(c.value for c in _ORDER)


def classify(rel_l2: float, new_non_finite: int = 0, shape_ok: bool = True) -> AccuracyClass:
    """The class of one tensor from its relative L2 error and the count of NaN/Inf the reference lacks."""
    if new_non_finite or not shape_ok or rel_l2 != rel_l2 or rel_l2 >= BROKEN_MIN_REL_L2:
        return AccuracyClass.BROKEN
    if rel_l2 <= SAME_MAX_REL_L2:
        return AccuracyClass.SAME
    if rel_l2 <= FP16_MAX_REL_L2:
        return AccuracyClass.FP16
    if rel_l2 <= INT8_MAX_REL_L2:
        return AccuracyClass.INT8
    return AccuracyClass.DEGRADED


def worst(classes: list[AccuracyClass] | tuple[AccuracyClass, ...]) -> AccuracyClass:
    """The worst of several classes (``same-as-reference`` for none)."""
    return max(classes, key=lambda c: c.rank, default=AccuracyClass.SAME)


def parse_class(name: str) -> AccuracyClass:
    """The class named ``name``; ValueError listing the valid names otherwise."""
    try:
        return AccuracyClass(name)
    except ValueError:
        raise ValueError(f"unknown accuracy class {name!r} (one of: {', '.join(CLASS_NAMES)})") from None
