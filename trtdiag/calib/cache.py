"""Read TensorRT and ONNX Runtime calibration caches into plain data.

This module only reads; whether a cache fits the model and the build is judged by
:mod:`trtdiag.rules.cache_check`. Formats:
- TensorRT: first line ``TRT-<version code>-<Algorithm>``, then ``<tensor>: <8 hex digits>``, the
  big-endian IEEE-754 float32 *scale* (dynamic range / 127). ``7f800000`` (+inf) marks a tensor that
  could not be calibrated; ``0`` also occurs.
- ONNX Runtime TensorRT provider: text ``<tensor> <decimal dynamic range>`` per line, or JSON
  ``{tensor: [min, max]}``.
"""

from __future__ import annotations

import json
import math
import os
import re
import struct
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import NamedTuple

from trtdiag.errors import InputError
from trtdiag.io.files import looks_binary
from trtdiag.io.versions import CACHE_HEADER_RE, decode_trt_version

_TRT_ENTRY = re.compile(r"^(?P<name>.+): (?P<hex>[0-9a-fA-F]{1,8})$")
_ORT_TEXT_ENTRY = re.compile(r"^(?P<name>\S.*?) (?P<value>[-+0-9.eE]+|nan|inf|-inf)$", re.IGNORECASE)
_MAX_CACHE_BYTES = 256 << 20


class CacheFormat(str, Enum):
    """Which tool wrote the cache. A ``str`` enum so that documents keep writing ``"tensorrt"`` etc."""

    TENSORRT = "tensorrt"
    ORT_TEXT = "ort-text"
    ORT_JSON = "ort-json"

    def __str__(self) -> str:
        return self.value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)


class BadValue(NamedTuple):
    """A cache entry TensorRT cannot use (a tuple, so ``for tensor, problem, line in bad_values`` works)."""

    tensor: str
    problem: str  # "infinite", "zero", "nan" or "negative"
    line: int  # 0 for JSON tables


@dataclass(frozen=True)
class CacheEntry:
    name: str
    value: float  # TensorRT: scale; ORT text: dynamic range; ORT JSON: max(|min|, |max|)
    raw: str
    line: int


@dataclass(frozen=True)
class CalibrationCache:
    path: str
    format: CacheFormat
    header: str | None
    tensorrt_version: str | None
    algorithm: str | None
    entries: tuple[CacheEntry, ...]
    bad_values: tuple[BadValue, ...]
    unparsed_lines: tuple[int, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(e.name for e in self.entries)


def _hex_to_float(h: str) -> float:
    return float(struct.unpack(">f", bytes.fromhex(h.zfill(8)))[0])


def _problem(value: float) -> str | None:
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "infinite"
    if value == 0.0:
        return "zero"
    if value < 0:
        return "negative"
    return None


def read_calibration_cache(path: str | os.PathLike[str]) -> CalibrationCache:
    """Read a TensorRT or ONNX Runtime calibration cache; raise InputError (one line) when it is neither.

    The file is read once, up to a cap, so that pipes (``--calib-cache <(zcat c.gz)``) work too.
    """
    p = Path(path)
    data = _read_cache_bytes(p)
    if looks_binary(data[:65536]):
        raise InputError(f"{p} is a binary file, not a calibration cache (TensorRT text cache or ORT table)")
    text = data.decode("utf-8", errors="replace")
    stripped = text.lstrip("\ufeff \t\r\n")
    if not stripped:
        raise InputError(f"calibration cache is empty: {p}")
    if stripped.startswith(("{", "[")):
        return _read_ort_json(p, stripped)
    lines = text.splitlines()
    first = lines[0].strip() if lines else ""
    m = CACHE_HEADER_RE.fullmatch(first)
    if m:
        return _read_trt(p, lines, first, m.group("code"), m.group("algo"))
    return _read_ort_text(p, lines)


def _read_cache_bytes(p: Path) -> bytes:
    """The bytes of a cache file or stream; InputError when missing, a directory, unreadable or too large."""
    if not p.exists():
        raise InputError(f"calibration cache not found: {p}")
    if p.is_dir():
        raise InputError(f"calibration cache path is a directory, not a file: {p}")
    try:
        with p.open("rb") as fh:
            data = fh.read(_MAX_CACHE_BYTES + 1)
    except OSError as exc:
        raise InputError(f"cannot read calibration cache {p}: {exc.strerror or exc}") from exc
    if not data:
        raise InputError(f"calibration cache is empty: {p}")
    if len(data) > _MAX_CACHE_BYTES:
        raise InputError(f"{p} is larger than {_MAX_CACHE_BYTES >> 20} MiB: too large for a calibration cache")
    return data


def _parse_entries(lines: list[str], first_line: int, pattern: re.Pattern[str], group: str,
                   to_float: Callable[[str], float]) -> tuple[list[CacheEntry], list[BadValue], list[int]]:
    """Entries of a line-per-tensor cache, the unusable values among them, and lines that did not parse."""
    entries: list[CacheEntry] = []
    bad: list[BadValue] = []
    unparsed: list[int] = []
    for i, raw in enumerate(lines, start=first_line):
        line = raw.strip()
        if not line:
            continue
        m = pattern.match(line)
        if not m:
            unparsed.append(i)
            continue
        try:
            value = to_float(m.group(group))
        except ValueError:  # "..." or "1e5e5" matched the loose number pattern
            unparsed.append(i)
            continue
        entries.append(CacheEntry(m.group("name"), value, m.group(group), i))
        problem = _problem(value)
        if problem:
            bad.append(BadValue(m.group("name"), problem, i))
    return entries, bad, unparsed


def _read_trt(p: Path, lines: list[str], header: str, code: str, algo: str) -> CalibrationCache:
    entries, bad, unparsed = _parse_entries(lines[1:], 2, _TRT_ENTRY, "hex", _hex_to_float)
    if not entries:
        raise InputError(f"{p} has a TensorRT cache header but no '<tensor>: <hex scale>' entries")
    return CalibrationCache(str(p), CacheFormat.TENSORRT, header, decode_trt_version(code), algo, tuple(entries),
                            tuple(bad), tuple(unparsed))


def _read_ort_text(p: Path, lines: list[str]) -> CalibrationCache:
    entries, bad, unparsed = _parse_entries(lines, 1, _ORT_TEXT_ENTRY, "value", float)
    if not entries or len(unparsed) > len(entries):
        raise InputError(f"{p} is not a calibration cache: expected a 'TRT-<version>-<Algorithm>' header "
                         "(TensorRT) or '<tensor> <range>' lines / a JSON table (ONNX Runtime)")
    return CalibrationCache(str(p), CacheFormat.ORT_TEXT, None, None, None, tuple(entries), tuple(bad), tuple(unparsed))


def _ort_range(value: object) -> float | None:
    """The range of an ONNX Runtime table entry ([min, max] or one number), None if it is neither."""
    if isinstance(value, list | tuple) and len(value) == 2 and all(isinstance(v, int | float) for v in value):
        return max(abs(float(value[0])), abs(float(value[1])))
    if isinstance(value, int | float):
        return float(value)
    return None


def _read_ort_json(p: Path, text: str) -> CalibrationCache:
    try:
        table = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{p} looks like JSON but does not parse: {exc.msg} at line {exc.lineno}") from exc
    except (RecursionError, ValueError) as exc:  # nesting, or an integer of thousands of digits
        raise InputError(f"{p} is JSON but not a calibration table ({type(exc).__name__})") from exc
    if not isinstance(table, dict) or not table:
        raise InputError(f"{p} is JSON but not a calibration table ({{tensor: [min, max]}})")
    entries: list[CacheEntry] = []
    bad: list[BadValue] = []
    for name, value in table.items():
        try:
            rng = _ort_range(value)
        except OverflowError:
            rng = None
        if rng is None:
            raise InputError(f"{p}: entry {str(name)[:200]!r} is not [min, max] or a number of float range")
        entries.append(CacheEntry(str(name), rng, json.dumps(value), 0))
        problem = _problem(rng)
        if problem:
            bad.append(BadValue(str(name), problem, 0))
    return CalibrationCache(str(p), CacheFormat.ORT_JSON, None, None, None, tuple(entries), tuple(bad), ())


def _is_number(v: object) -> bool:
    """A JSON number a float can hold (not a bool, not an integer beyond float range)."""
    if isinstance(v, bool) or not isinstance(v, int | float):
        return False
    try:
        float(v)
    except OverflowError:
        return False
    return True


def _short(name: object) -> str:
    text = str(name)
    return text if len(text) <= 60 else text[:57] + "..."
