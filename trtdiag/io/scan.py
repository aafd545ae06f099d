"""Marker-driven streaming of text files: lines are decoded only from a marker on.

See :func:`scan_marked_lines`. Hyperscan is optional (Linux x86-64 wheels); without it each marker
costs one ``bytes.find`` pass.
"""

from __future__ import annotations

import os
import re
import zlib
from collections.abc import Callable, Sequence
from typing import Any

from trtdiag.errors import InputError
from trtdiag.io.files import check_file, looks_binary, one_line, open_binary_stream

CHUNK_BYTES = 8 << 20


_HS_DATABASES: dict[tuple[bytes, ...], Any] = {}


def _marker_finder(markers: Sequence[bytes]) -> Callable[[bytes, int], list[int]]:
    """Return ``find(data, end) -> sorted offsets`` of every marker occurrence in ``data[:end]``.

    With Hyperscan (an optional dependency, see :mod:`trtdiag.io.reader`) all markers are found
    in one pass; otherwise each marker costs one ``bytes.find`` pass (about 1-2 GB/s each).
    Offsets point somewhere inside the marker, which is all the caller needs (markers hold no
    newline, so the offset identifies the line).
    """
    key = tuple(markers)
    try:
        import hyperscan  # type: ignore[import-not-found]
    except ImportError:
        hyperscan = None
    if hyperscan is not None:
        db = _HS_DATABASES.get(key)
        if db is None:
            db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
            exprs = [re.escape(m) for m in key]
            db.compile(expressions=exprs, ids=list(range(len(exprs))), elements=len(exprs), flags=[0] * len(exprs))
            _HS_DATABASES[key] = db
        scratch = hyperscan.Scratch(db)

        def find_hs(data: bytes, end: int) -> list[int]:
            hits: list[int] = []

            def on_match(_id: int, _frm: int, to: int, _flags: int, _ctx: object) -> None:
                hits.append(to - 1)

            db.scan(memoryview(data)[:end], match_event_handler=on_match, scratch=scratch)
            hits.sort()
            return hits

        return find_hs

    def find_py(data: bytes, end: int) -> list[int]:
        hits: list[int] = []
        for marker in key:
            at = data.find(marker, 0, end)
            while at >= 0:
                hits.append(at)
                at = data.find(marker, at + 1, end)
        hits.sort()
        return hits

    return find_py


def scan_marked_lines(
    path: str | os.PathLike[str],
    markers: Sequence[bytes],
    feed: Callable[[int, str], bool],
    *,
    chunk_bytes: int = CHUNK_BYTES,
) -> None:
    """Stream a text log, handing lines to ``feed(line_number, text)`` from each marker on.

    ``feed`` returns True while it is inside a section (it then gets the next line whatever it
    holds) and False when it is not (the scan then skips ahead to the next line containing one
    of ``markers``). Lines without a marker that arrive while ``feed`` is idle are never decoded,
    which is what keeps a GB-sized verbose log cheap. Line numbers are 1-based. gzip files are
    read transparently; a truncated gzip stream ends the scan (what was read is kept).
    Raises InputError for a missing, empty or binary file.
    """
    p = check_file(path)
    find = _marker_finder(markers)
    try:
        fh = open_binary_stream(p)
    except OSError as exc:
        raise InputError(f"cannot read {p}: {one_line(str(exc))}") from exc
    with fh:
        line_no = 1  # number of the line that starts at offset ``pos``
        tail = b""
        active = False
        first = True
        while True:
            try:
                block = fh.read(chunk_bytes)
            except (OSError, EOFError, zlib.error):
                block = b""  # truncated gzip stream: keep what was read
            if first:
                first = False
                if not block:
                    raise InputError(f"file is empty: {p}")
                if looks_binary(block[:65536]):
                    raise InputError(f"{p} is a binary file, not a text log or JSON")
            data = tail + block if tail else block
            if not data:
                break
            if block:
                nl = data.rfind(b"\n")
                if nl < 0:
                    tail = data
                    continue
                cut = nl + 1
            else:
                cut = len(data)  # the final line has no newline
            tail = data[cut:]
            hits = find(data, cut)
            h = 0
            pos = 0
            while pos < cut:
                if not active:
                    while h < len(hits) and hits[h] < pos:
                        h += 1
                    if h == len(hits):
                        line_no += data.count(b"\n", pos, cut)
                        break
                    j = data.rfind(b"\n", pos, hits[h])
                    start = j + 1 if j >= 0 else pos
                    line_no += data.count(b"\n", pos, start)
                    pos = start
                end = data.find(b"\n", pos, cut)
                if end < 0:
                    end = cut
                raw = data[pos:end]
                if raw.endswith(b"\r"):
                    raw = raw[:-1]
                active = feed(line_no, raw.decode("utf-8", errors="replace"))
                line_no += 1
                pos = end + 1
            if not block:
                break

