"""A calibration cache checked against the model (tensor names) and the build (TensorRT version, algorithm).

:mod:`trtdiag.calib.cache` only reads caches; judging whether one fits this model and this build is a
diagnosis, so it lives with the rules (``stale-calibration-cache`` reads the :class:`CacheCheck`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from trtdiag.calib.cache import CacheEntry, CacheFormat, CalibrationCache
from trtdiag.log.facts import BuildConfig, LogFacts
from trtdiag.naming import PARSER_HELPER, UNNAMED_LAYER, NameMapper, ParseContext
from trtdiag.onnx.compute import GEMM_OPS
from trtdiag.onnx.graph import GraphIndex

_ALGORITHM_OF_CLASS = {
    "IInt8EntropyCalibrator2": "EntropyCalibration2",
    "IInt8EntropyCalibrator": "EntropyCalibration",
    "IInt8MinMaxCalibrator": "MinMaxCalibration",
    "IInt8LegacyCalibrator": "LegacyCalibration",
}
_FLOAT_DTYPES = (None, "FLOAT", "FLOAT16", "BFLOAT16")
ABSENT_SHARE = 0.3  # stale when this share of the nameable cache tensors is not in the model
MISSING_GEMM_INPUT_SHARE = 0.5  # ... or this share of the GEMM/Conv float inputs is not in the cache


@dataclass(frozen=True)
class CacheCheck:
    """What a calibration cache says about the build it was used for."""

    cache: CalibrationCache
    matched: int  # cache entries that resolve to a tensor of the model
    absent_from_model: tuple[str, ...]  # cache tensors the model does not have (stale cache / other export)
    gemm_inputs_missing: tuple[str, ...]  # float activations feeding MatMul/Gemm/Conv that the cache lacks
    gemm_inputs_total: int
    version_note: str | None
    algorithm_note: str | None
    stale: bool
    stale_reason: str | None
    #: Whether the names were checked against a model. Without one, "not stale" only means the cache
    #: itself and the build's version/algorithm raised nothing: it never means "matches the model".
    model_checked: bool = True

    @property
    def verdict(self) -> str:
        """``stale``, ``matches`` (model and build checked) or ``unverified`` (no model to check names)."""
        if self.stale:
            return "stale"
        return "matches" if self.model_checked else "unverified"


@dataclass(frozen=True)
class _NameMatch:
    matched: int
    absent: tuple[str, ...]
    covered: frozenset[str]  # ONNX tensors the cache has a scale for


def _match_names(cache: CalibrationCache, graph: GraphIndex, facts: LogFacts | None) -> _NameMatch:
    """Resolve every cache entry like a warned tensor name. Parser helpers and unnamed TensorRT layers
    have no ONNX counterpart, so they count neither as matched nor as absent."""
    mapper = NameMapper(graph, ParseContext.from_log(facts) if facts else ParseContext({}, {}))
    absent: list[str] = []
    covered: set[str] = set()
    matched = 0
    for e in cache.entries:
        onnx_tensor, node, cls = mapper.resolve_onnx_tensor(e.name)
        if onnx_tensor is not None or node is not None:
            matched += 1
            if onnx_tensor is not None:
                covered.add(onnx_tensor)
        elif cls not in (PARSER_HELPER, UNNAMED_LAYER) and not e.name.startswith("ONNXTRT_") and \
                not e.name.startswith("(Unnamed Layer"):
            absent.append(e.name)
    return _NameMatch(matched, tuple(absent), frozenset(covered))


def gemm_float_inputs(graph: GraphIndex) -> list[str]:
    """Float activations (not weights or constants) entering a MatMul/Gemm/Conv, in graph order: the
    tensors a cache must hold for those GEMMs to run in INT8."""
    seen: set[str] = set()
    out: list[str] = []
    for n in graph.nodes:
        if n.op_type not in GEMM_OPS:
            continue
        for t in n.inputs[:2]:
            if not t or t in seen or t in graph.initializers or t in graph.constant_outputs:
                continue
            if graph.dtype_of(t) not in _FLOAT_DTYPES:
                continue
            seen.add(t)
            out.append(t)
    return out


def _version_note(cache: CalibrationCache, build: BuildConfig | None) -> str | None:
    built = build.tensorrt_version if build else None
    if cache.tensorrt_version and built and cache.tensorrt_version.split(".")[:2] != built.split(".")[:2]:
        return f"the cache was written by TensorRT {cache.tensorrt_version} and the build ran TensorRT {built}"
    return None


def _algorithm_note(cache: CalibrationCache, build: BuildConfig | None) -> str | None:
    if not cache.algorithm or build is None:
        return None
    want = _ALGORITHM_OF_CLASS.get(build.calibrator or "") or build.calibration_algorithm
    if not want or want == cache.algorithm:
        return None
    used = f"{build.calibrator} ({want})" if build.calibrator else want
    return (f"the cache holds {cache.algorithm} scales but the build used {used}; TensorRT does "
            "not use a cache written for another algorithm")


def check_cache(cache: CalibrationCache, graph: GraphIndex | None, facts: LogFacts | None) -> CacheCheck:
    """Compare a cache with the model (names) and with the build (TensorRT version, algorithm)."""
    names = _match_names(cache, graph, facts) if graph is not None else _NameMatch(0, (), frozenset())
    gemm_inputs = gemm_float_inputs(graph) if graph is not None else []
    missing = [t for t in gemm_inputs if t not in names.covered]
    build = facts.build if facts else None
    version_note = _version_note(cache, build)
    algorithm_note = _algorithm_note(cache, build)
    nameable = names.matched + len(names.absent)
    reasons = []
    if nameable and len(names.absent) / nameable >= ABSENT_SHARE:
        reasons.append(f"{len(names.absent)} of {nameable} cache tensors do not exist in the model")
    if gemm_inputs and len(missing) / len(gemm_inputs) >= MISSING_GEMM_INPUT_SHARE:
        reasons.append(f"{len(missing)} of {len(gemm_inputs)} activations feeding MatMul/Gemm/Conv are not in "
                       "the cache")
    if version_note and reasons:
        reasons.append(version_note)  # on its own a version change is a note: caches often still load
    if algorithm_note:
        reasons.append(algorithm_note)
    return CacheCheck(
        cache=cache, matched=names.matched, absent_from_model=names.absent, gemm_inputs_missing=tuple(missing),
        gemm_inputs_total=len(gemm_inputs), version_note=version_note, algorithm_note=algorithm_note,
        stale=bool(reasons), stale_reason="; ".join(reasons) or None, model_checked=graph is not None,
    )


#: A dynamic range wider than FP16's largest value (65504) is no activation range: one INT8 step is then
#: over 500, so every ordinary value of the tensor quantizes to 0. Such entries come from constants like the
#: ``finfo(float32).min`` attention mask (range 3.4e38, TensorRT scale 2.7e36) being calibrated.
RANGE_OVERFLOW = 65504.0


def dynamic_range(cache: CalibrationCache, value: float) -> float:
    """An entry's dynamic range: TensorRT caches store the scale (range / 127), ORT tables the range."""
    return value * 127.0 if cache.format is CacheFormat.TENSORRT else abs(value)


def range_overflows(cache: CalibrationCache) -> tuple[CacheEntry, ...]:
    """Entries with a finite dynamic range beyond :data:`RANGE_OVERFLOW` (infinite ones are ``bad_values``)."""
    return tuple(e for e in cache.entries
                 if math.isfinite(e.value) and dynamic_range(cache, e.value) > RANGE_OVERFLOW)
