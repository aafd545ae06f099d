"""JSON values of an engine artifact, read incrementally and within a size cap.

Why not ``json.load``: a layer-information or profile file can be hundreds of megabytes (and a small
``.gz`` can expand to that); reading it whole, then decoding the text, then building objects held
three copies at once. :func:`load_json_values` parses with ``ijson`` (its C backend) from the file
stream, reads at most :data:`MAX_JSON_BYTES` of decompressed JSON, and keeps what is complete when
the file is cut short (a copy interrupted mid-write, a size cap reached): the values come back with
a :attr:`JsonValues.cut` note that readers pass on to the report.

Inputs that ``ijson`` rejects but trtexec wrappers produce (``NaN`` tokens, top-level arrays
separated by commas) fall back to the standard library decoder on the capped text.
"""

from __future__ import annotations

import io
import json
import os
import zlib
from pathlib import Path
from typing import IO, Any

import ijson  # type: ignore[import-untyped]
import numpy as np

from trtdiag.errors import InputError
from trtdiag.io.files import check_file, looks_binary, one_line, open_binary_stream, read_head

#: Decompressed JSON bytes read from one file; past it the file counts as cut short.
MAX_JSON_BYTES = 16 << 20
#: Nesting deeper than this is refused: engine JSON is a few levels deep, and the parser's cost
#: grows with the square of the depth.
MAX_JSON_DEPTH = 512
_OPEN = np.zeros(256, dtype=np.int8)
_OPEN[[ord("["), ord("{")]] = 1
_OPEN[[ord("]"), ord("}")]] = -1
_BOM = b"\xef\xbb\xbf"


class JsonValues(list[Any]):
    """The JSON values of a file, in order; ``cut`` says why the last one may be incomplete."""

    cut: str | None = None


class _CappedReader(io.RawIOBase):
    """A byte stream that stops after ``cap`` bytes, drops a leading BOM, remembers EOF and refuses
    nesting deeper than :data:`MAX_JSON_DEPTH` (brackets counted with numpy, strings included: a
    name with unbalanced brackets shifts the count by a few, not by hundreds)."""

    def __init__(self, fh: IO[bytes], cap: int, source: Path) -> None:
        self._fh = fh
        self._source = source
        self._depth = 0
        self._left = cap
        self.total = 0
        self.at_end = False
        self.capped = False
        self._first = True

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if size == 0:  # ijson probes the stream type with read(0)
            return b""
        want = self._left if size is None or size < 0 else min(size, self._left)
        if want <= 0:
            self.capped = self.capped or bool(self._fh.read(1))
            self.at_end = True
            return b""
        data = self._fh.read(want)
        if self._first:
            self._first = False
            data = data[len(_BOM):] if data.startswith(_BOM) else data
        if not data:
            self.at_end = True
        self._check_depth(data)
        self._left -= len(data)
        self.total += len(data)
        return data

    def _check_depth(self, data: bytes) -> None:
        if not data:
            return
        steps = _OPEN[np.frombuffer(data, dtype=np.uint8)].astype(np.int32)
        depth = self._depth + np.cumsum(steps)
        if int(depth.max()) > MAX_JSON_DEPTH:
            raise InputError(f"{self._source}: JSON nested deeper than {MAX_JSON_DEPTH} levels; not an engine artifact")
        self._depth = int(depth[-1])

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def load_json_values(path: str | os.PathLike[str], *, max_bytes: int = MAX_JSON_BYTES) -> JsonValues:
    """All JSON values in a file, in order (trtexec wrappers append runs back to back).

    InputError (one line) when the file is not JSON. A file cut short (or longer than
    ``max_bytes``) gives the complete values and the complete items of the last one, with ``cut`` set.
    """
    p = check_file(path)
    if looks_binary(read_head(p, 65536)):
        raise InputError(f"{p} is a binary file, not JSON")
    try:
        with open_binary_stream(p) as fh:
            reader = _CappedReader(fh, max_bytes, p)
            values = JsonValues()
            try:
                values.extend(ijson.items(reader, "", multiple_values=True, use_float=True))
            except ijson.JSONError as exc:
                if not (reader.at_end or reader.capped):
                    values = _stdlib_values(p, max_bytes)
                else:
                    values = _partial_values(p, max_bytes, one_line(str(exc)).split(" (right here)")[0])
            if reader.capped:
                values.cut = values.cut or f"the file is longer than {max_bytes >> 20} MiB; only its start was read"
    except (OSError, EOFError, zlib.error) as exc:
        raise InputError(f"cannot read {p}: {one_line(str(exc))}") from exc
    except (RecursionError, MemoryError, ValueError) as exc:
        raise InputError(f"{p}: JSON too deeply nested or too large to read ({type(exc).__name__})") from exc
    if not values:
        raise InputError(f"{p} holds no JSON value")
    return values


def _partial_values(p: Path, max_bytes: int, why: str) -> JsonValues:
    """Re-read a JSON file that ends early, keeping each complete value and, of the last one, the
    complete items of its first open array (the layer or timing records)."""
    values = JsonValues()
    builder: Any = None
    path_stack: list[Any] = []
    with open_binary_stream(p) as fh:
        events = ijson.parse(_CappedReader(fh, max_bytes, p), multiple_values=True, use_float=True)
        try:
            for prefix, event, value in events:
                if builder is None:
                    builder = ijson.ObjectBuilder()
                builder.event(event, value)
                if event in ("start_map", "start_array"):
                    path_stack.append(event)
                elif event in ("end_map", "end_array"):
                    path_stack.pop()
                if not path_stack:
                    values.append(builder.value)
                    builder = None
                del prefix
        except ijson.JSONError:
            pass
    if builder is not None and path_stack:
        partial = builder.value
        if _drop_open_item(partial) or values:
            values.append(partial)
    if not values:
        raise InputError(f"{p} is JSON cut short before its first complete record ({why})")
    values.cut = f"the JSON is cut short ({why}); the complete records before the cut were read"
    return values


def _drop_open_item(value: Any) -> int:
    """Remove the last (incomplete) item of the first list on the open path of ``value``; the items
    left in that list (0 when there is none)."""
    node = value
    while True:
        if isinstance(node, list):
            if node:
                node.pop()
            return len(node)
        if isinstance(node, dict) and node:
            node = node[next(reversed(node))]
            continue
        return 0


def _stdlib_values(p: Path, max_bytes: int) -> JsonValues:
    """The standard decoder on the capped text: accepts NaN tokens and commas between top-level values."""
    with open_binary_stream(p) as fh:
        text = fh.read(max_bytes).decode("utf-8-sig", errors="replace")
    decoder = json.JSONDecoder()
    values = JsonValues()
    pos, n = 0, len(text)
    while True:
        while pos < n and text[pos] in " \t\r\n,":
            pos += 1
        if pos >= n:
            break
        try:
            value, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            raise InputError(f"{p} is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from exc
        values.append(value)
    return values
