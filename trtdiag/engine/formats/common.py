"""Helpers the engine artifact formats share: data-type words, ``[profile N]`` suffixes, Metadata,
dimension lists, bracket-aware splitting, numbering layers and settling their profiles.

Why one module: the JSON, ``Layer(...)``, ``Name: ...``, GPU-listing and Polygraphy readers (and
the profile readers, whose layer names must join the listings') must normalise names and types
identically, or the layers of one engine read from two artifacts would not compare equal.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import replace

from trtdiag.engine.model import EngineLayer, LayerTiming, TensorInfo

#: Tokens (lower-cased words) that name a data type in TensorRT format strings, in trtexec text
#: (``Half[...]``), in Polygraphy (``float16``, ``DataType.HALF``) and in the inspector JSON
#: (``Row major linear FP32``, ``Thirty-two wide channel vectorized row major Int8 format``).
_DTYPE_TOKENS: dict[str, str] = {
    "fp32": "FP32", "float": "FP32", "float32": "FP32", "kfloat": "FP32",
    "fp16": "FP16", "half": "FP16", "float16": "FP16", "khalf": "FP16",
    "bf16": "BF16", "bfloat16": "BF16", "kbf16": "BF16",
    "int8": "INT8", "kint8": "INT8",
    "uint8": "UINT8", "kuint8": "UINT8",
    "fp8": "FP8", "float8": "FP8", "kfp8": "FP8", "e4m3": "FP8", "e5m2": "FP8", "float8e4m3fn": "FP8",
    "int4": "INT4", "kint4": "INT4",
    "fp4": "FP4", "float4": "FP4", "kfp4": "FP4", "e2m1": "FP4", "float4e2m1": "FP4",
    "int32": "INT32", "kint32": "INT32",
    "int64": "INT64", "kint64": "INT64",
    "bool": "BOOL", "boolean": "BOOL", "kbool": "BOOL",
}  # fmt: skip
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*")


def normalise_dtype(text: str | None) -> str | None:
    """Data type named by a TensorRT/Polygraphy format or type string, or None if it names none.

    The first word that names a type wins: in ``Channel major FP16 format where channel % 8 == 0``
    that is ``FP16``; in ``Half[-1,32:8,28,28]`` it is ``Half``. Words are matched whole, so the
    ``Thirty-two`` of a vectorisation never reads as a type.
    """
    if not text or not isinstance(text, str):  # JSON may hold a number or a list here
        return None
    for word in _WORD.findall(text):
        dtype = _DTYPE_TOKENS.get(word.lower())
        if dtype is not None:
            return dtype
    return None


_PROFILE_SUFFIX = re.compile(r" \[profile (\d+)\]")


def split_profile(name: str) -> tuple[str, int | None]:
    """Remove a ``" [profile N]"`` suffix (TensorRT puts it at the end, or before ``_myl..`` in
    Myelin sub-layer names) and return ``(name, N)``; ``(name, None)`` when there is none."""
    m = _PROFILE_SUFFIX.search(name)
    if m is None:
        return name, None
    return name[: m.start()] + name[m.end() :], int(m.group(1))


_METADATA_SEPARATORS = "\x1e\x1f\ufffd"


def parse_metadata(text: str | None) -> tuple[str, ...]:
    """ONNX node names from a layer's ``Metadata``.

    Entries are ``[ONNX Layer: name]``, joined by ``\\x1e`` (8.6), ``\\x1f`` (10.x), ``U+FFFD`` (as
    rendered by some terminals) or nothing. 8.6 appends `` | <doc string>`` and 10.x
    `` | Local Function: f`` inside the brackets; those are dropped. The parser truncates metadata
    at 4000 characters, so the last entry may lack its ``]``; it is kept as far as it goes.
    Splitting at each ``[ONNX Layer: `` (rather than matching up to ``]``) keeps names that
    themselves contain brackets intact.
    """
    if not text:
        return ()
    names: list[str] = []
    for piece in text.split("[ONNX Layer: ")[1:]:
        piece = piece.rstrip(_METADATA_SEPARATORS + " ")
        if piece.endswith("]"):
            piece = piece[:-1]
        name = piece.split(" | ", 1)[0].strip()
        if name:
            names.append(name)
    return tuple(names)


def parse_dims(text: str) -> tuple[int, ...] | None:
    """``-1,32:8,28,28`` -> ``(-1, 32, 28, 28)``: a vectorised channel ``C:V`` counts as C."""
    dims: list[int] = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        try:
            dims.append(int(part.split(":", 1)[0]))
        except ValueError:
            return None
    return tuple(dims)


def split_top_level(text: str, sep: str = ", ") -> list[str]:
    """Split at ``sep`` outside ``()``/``[]``/``{}``: fused names such as ``PWN(PWN(a, b), c)``
    contain the separator of the list they sit in."""
    parts: list[str] = []
    depth = 0
    start = 0
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth = max(0, depth - 1)
        elif depth == 0 and text.startswith(sep, i):
            parts.append(text[start:i])
            i += len(sep)
            start = i
            continue
        i += 1
    parts.append(text[start:])
    return [p.strip() for p in parts if p.strip()]


def make_tensor(name: str, dtype: str | None, fmt: str | None, dims: tuple[int, ...] | None) -> TensorInfo:
    """A tensor with its ``[profile N]`` suffix removed (the layer carries the profile)."""
    return TensorInfo(name=split_profile(name)[0], dtype=dtype, format=fmt, dims=dims)


def dedupe(tensors: Iterable[TensorInfo]) -> tuple[TensorInfo, ...]:
    """Bindings of multi-profile engines repeat per profile (``x``, ``x [profile 1]``): keep one."""
    seen: set[str] = set()
    out: list[TensorInfo] = []
    for t in tensors:
        if t.name not in seen:
            seen.add(t.name)
            out.append(t)
    return tuple(out)


def finalise_layers(layers: Sequence[EngineLayer]) -> tuple[EngineLayer, ...]:
    """Number the layers and settle ``profile``.

    Single-profile sources get None throughout. In multi-profile engines TensorRT lists all layers
    of profile 0 (no suffix), then all of profile 1 (``[profile 1]``), and so on; a layer without
    a suffix therefore belongs to the profile of the layer before it. That matters for Myelin
    sub-layers such as ``__mye258_0_myl15_0``, which never carry the suffix.
    """
    profiles = {layer.profile for layer in layers if layer.profile is not None}
    multi = bool(profiles - {0})
    out: list[EngineLayer] = []
    current = 0
    for i, layer in enumerate(layers):
        if multi:
            current = layer.profile if layer.profile is not None else current
            profile: int | None = current
        else:
            profile = None
        out.append(replace(layer, index=i, profile=profile))
    return tuple(out)


def tactic_of(name: object, value: object) -> str | None:
    """The tactic name where the source gives one (it reveals the kernel's precision), else the value."""
    if isinstance(name, str) and name.strip():
        return name.strip()
    if value is None or value == "":
        return None
    return str(value)


def to_float(value: object) -> float | None:
    """A JSON number (or numeric string) as a finite, non-negative float; None for anything else.

    Every figure read through here is a time, a share or a rate: NaN, infinities and negative
    values are measurement garbage that would poison totals and the JSON documents (see
    ``EngineProfile.dropped_timings``)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        f = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return f if math.isfinite(f) and f >= 0 else None


def settle_profiles(layers: Sequence[LayerTiming]) -> list[LayerTiming]:
    """Same rule as :func:`finalise_layers` for timings: None for single-profile runs, else inherit
    the profile of the previous row for rows without a ``[profile N]`` suffix (Myelin sub-layers
    have none)."""
    if not any(t.profile for t in layers):
        return [t if t.profile is None else replace(t, profile=None) for t in layers]
    out: list[LayerTiming] = []
    current = 0
    for t in layers:
        current = t.profile if t.profile is not None else current
        out.append(replace(t, profile=current))
    return out
