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

import io
import itertools
import json
import math
import os
import re
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import IO, NamedTuple

from trtdiag.errors import InputError
from trtdiag.io.files import looks_binary
from trtdiag.io.versions import CACHE_HEADER_RE, decode_trt_version

_TRT_ENTRY = re.compile(r"^(?P<name>.+): (?P<hex>[0-9a-fA-F]{1,8})$")
_ORT_TEXT_ENTRY = re.compile(r"^(?P<name>\S.*?) (?P<value>[-+0-9.eE]+|nan|inf|-inf)$", re.IGNORECASE)
#: Entries kept from one cache; past it the file is counted, not read (a real cache has one entry per
#: tensor of the network: thousands, tens of thousands for the largest models).
MAX_ENTRIES = 200_000
#: Line numbers kept of the lines that are not entries (all are counted).
MAX_UNPARSED = 1_000
#: A JSON table is decoded whole: larger ones are refused.
MAX_JSON_TABLE_BYTES = 32 << 20
_HEAD = 1 << 16
_MAX_LINE = 1 << 16


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


@dataclass(frozen=True, slots=True)
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
    note: str | None = None  # what the entry cap left out (see :data:`MAX_ENTRIES`)

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

    Text caches are streamed line by line, so pipes (``--calib-cache <(zcat c.gz)``) work and memory
    stays bounded: at most :data:`MAX_ENTRIES` entries are kept, the rest of the file is counted and
    :attr:`CalibrationCache.note` says so. A JSON table is read whole, up to :data:`MAX_JSON_TABLE_BYTES`.
    """
    p = Path(path)
    fh = _open_cache(p)
    with fh:
        try:
            head = fh.peek(_HEAD)[:_HEAD]
            if not head:
                raise InputError(f"calibration cache is empty: {p}")
            if looks_binary(head):
                raise InputError(f"{p} is a binary file, not a calibration cache (TensorRT text cache or ORT table)")
            stripped = head.decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n")
            if not stripped and len(head) < _HEAD:
                raise InputError(f"calibration cache is empty: {p}")
            if stripped.startswith(("{", "[")):
                return _read_ort_json(p, _read_table(fh, p).decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n"))
            lines = _text_lines(fh)
            first_raw = next(lines, "")
            first = first_raw.strip()
            m = CACHE_HEADER_RE.fullmatch(first)
            if m:
                return _read_trt(p, _Lines(lines, fh, 2), first, m.group("code"), m.group("algo"))
            return _read_ort_text(p, _Lines(itertools.chain([first_raw], lines), fh, 1))
        except OSError as exc:
            raise InputError(f"cannot read calibration cache {p}: {exc.strerror or exc}") from exc


def _open_cache(p: Path) -> io.BufferedReader:
    """The cache as a buffered byte stream; InputError when missing, a directory or unreadable."""
    if not p.exists():
        raise InputError(f"calibration cache not found: {p}")
    if p.is_dir():
        raise InputError(f"calibration cache path is a directory, not a file: {p}")
    try:
        return io.BufferedReader(io.FileIO(p, "rb"), buffer_size=_HEAD)  # closed by the caller's with-block
    except OSError as exc:
        raise InputError(f"cannot read calibration cache {p}: {exc.strerror or exc}") from exc


def _read_table(fh: IO[bytes], p: Path) -> bytes:
    """A JSON table's bytes, refused past :data:`MAX_JSON_TABLE_BYTES` (decoded whole, it would take
    several times that in memory; a real table of every tensor of a large model is a few MB)."""
    data = fh.read(MAX_JSON_TABLE_BYTES + 1)
    if len(data) > MAX_JSON_TABLE_BYTES:
        raise InputError(f"{p} is a JSON calibration table larger than {MAX_JSON_TABLE_BYTES >> 20} MiB: too large "
                         "for a calibration table")
    return data


def _text_lines(fh: IO[bytes]) -> Iterator[str]:
    """Decoded lines as ``str.splitlines`` of the whole text would give them, one line in memory at a time.
    A line longer than :data:`_MAX_LINE` bytes is cut there (no cache entry is that long: it will not
    parse) and the rest of it skipped."""
    while True:
        raw = fh.readline(_MAX_LINE)
        if not raw:
            return
        if not raw.endswith(b"\n") and len(raw) >= _MAX_LINE:
            while True:
                more = fh.readline(_MAX_LINE)
                if not more or more.endswith(b"\n"):
                    break
        yield from raw.decode("utf-8", errors="replace").splitlines() or [""]


class _Lines:
    """The remaining lines of a cache, numbered from ``first``, and the stream to count what is left."""

    def __init__(self, lines: Iterator[str], fh: IO[bytes], first: int) -> None:
        self.lines = lines
        self.fh = fh
        self.first = first

    def count_rest(self) -> int:
        """Lines left after the entry cap: counted in blocks, not read as lines."""
        n = 0
        tail = b""
        while block := self.fh.read(1 << 20):
            n += block.count(b"\n")
            tail = block[-1:]
        return n + (1 if tail and tail != b"\n" else 0)


@dataclass
class _Parsed:
    entries: list[CacheEntry]
    bad: list[BadValue]
    unparsed: list[int]
    unparsed_count: int = 0
    capped_lines: int = 0  # lines after the entry cap, counted and not read


def _parse_entries(lines: _Lines, pattern: re.Pattern[str], group: str,
                   to_float: Callable[[str], float]) -> _Parsed:
    """Entries of a line-per-tensor cache, the unusable values among them, and lines that did not parse
    (the first :data:`MAX_UNPARSED` line numbers, and their count). Stops at :data:`MAX_ENTRIES` entries."""
    out = _Parsed([], [], [])
    for i, raw in enumerate(lines.lines, start=lines.first):
        line = raw.strip()
        if not line:
            continue
        m = pattern.match(line)
        value = None
        if m:
            try:
                value = to_float(m.group(group))
            except ValueError:  # "..." or "1e5e5" matched the loose number pattern
                value = None
        if m is None or value is None:
            out.unparsed_count += 1
            if len(out.unparsed) < MAX_UNPARSED:
                out.unparsed.append(i)
            continue
        out.entries.append(CacheEntry(m.group("name"), value, m.group(group), i))
        problem = _problem(value)
        if problem:
            out.bad.append(BadValue(m.group("name"), problem, i))
        if len(out.entries) >= MAX_ENTRIES:
            out.capped_lines = lines.count_rest()
            break
    return out


def _cap_note(parsed: _Parsed) -> str | None:
    if not parsed.capped_lines:
        return None
    return (f"The calibration cache has more than {MAX_ENTRIES:,} entries: the first {MAX_ENTRIES:,} were read and "
            f"checked, the remaining {parsed.capped_lines:,} lines were counted, not read.")


def _read_trt(p: Path, lines: _Lines, header: str, code: str, algo: str) -> CalibrationCache:
    parsed = _parse_entries(lines, _TRT_ENTRY, "hex", _hex_to_float)
    if not parsed.entries:
        raise InputError(f"{p} has a TensorRT cache header but no '<tensor>: <hex scale>' entries")
    return CalibrationCache(str(p), CacheFormat.TENSORRT, header, decode_trt_version(code), algo,
                            tuple(parsed.entries), tuple(parsed.bad), tuple(parsed.unparsed), _cap_note(parsed))


def _read_ort_text(p: Path, lines: _Lines) -> CalibrationCache:
    parsed = _parse_entries(lines, _ORT_TEXT_ENTRY, "value", float)
    if not parsed.entries or parsed.unparsed_count > len(parsed.entries):
        raise InputError(f"{p} is not a calibration cache: expected a 'TRT-<version>-<Algorithm>' header "
                         "(TensorRT) or '<tensor> <range>' lines / a JSON table (ONNX Runtime)")
    return CalibrationCache(str(p), CacheFormat.ORT_TEXT, None, None, None, tuple(parsed.entries), tuple(parsed.bad),
                            tuple(parsed.unparsed), _cap_note(parsed))


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
