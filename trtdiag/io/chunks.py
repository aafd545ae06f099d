"""Chunked reading of a (possibly gzip) text file, and the per-chunk keyword search of a pass.

Why this shape: verbose TensorRT build logs reach gigabytes, almost all of it tactic-timing chatter.
Splitting every line in Python is an order of magnitude slower than ``grep``. Instead the file is
read in chunks cut at a newline, each chunk is searched for all keywords of the pass at once
(:mod:`trtdiag.io.matchers`), and only the lines around the hits are located, with their line
index computed by numpy from the chunk's newline bytes. Memory is bounded by the chunk size,
whatever the size of the log. :func:`find_keyword_lines` runs in worker threads: Hyperscan and
numpy release the GIL, so two chunks are searched at once on two cores.
"""

from __future__ import annotations

import gzip
import io
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np

from trtdiag.errors import InputError
from trtdiag.io.files import display_name, is_stdin, looks_binary, one_line, open_binary, regular_size
from trtdiag.io.matchers import Matcher
from trtdiag.io.sniff import binary_hint

CHUNK_BYTES = 8 << 20
HEAD_BYTES = 65536
#: A line that does not fit in one read (CHUNK_BYTES) keeps its first MAX_LINE_BYTES; the rest, up
#: to the next newline, is skipped and counted (``ChunkReader.skipped_bytes``): no TensorRT message
#: or layer line is megabytes long, and accumulating an endless line would grow memory with it.
MAX_LINE_BYTES = 1 << 20


@dataclass(frozen=True)
class Wording:
    """The one-line errors for a file a pass cannot read; ``{p}`` stands for the path.

    Logs and the other text artifacts (layer listings, profiles) have kept their own wording."""

    not_found: str
    directory: str
    empty: str
    binary: str
    subject: str = "file"  # what the pass expects: "log" adds the hints of a file given in a log's place


LOG_WORDING = Wording(
    not_found="log file not found: {p}",
    directory="log path is a directory, not a file: {p}",
    empty="log file is empty: {p}",
    binary="{p} is a binary file, not a text log (expected a TensorRT build log, optionally gzip-compressed)",
    subject="log",
)
TEXT_WORDING = Wording(
    not_found="file not found: {p}",
    directory="expected a file but got a directory: {p}",
    empty="file is empty: {p}",
    binary="{p} is a binary file, not a text log or JSON",
)


def check_path(path: Path, wording: Wording) -> int | None:
    """The size of ``path``, None for a stream (standard input, a pipe, ``/proc``: see
    :func:`trtdiag.io.files.regular_size`); InputError when it is missing, a directory or empty."""
    if is_stdin(path):
        return None
    if not path.exists():
        raise InputError(wording.not_found.format(p=path))
    if path.is_dir():
        raise InputError(wording.directory.format(p=path))
    try:
        size = regular_size(path)
    except OSError as exc:
        raise InputError(f"cannot read {path}: {one_line(str(exc))}") from exc
    if size == 0:
        raise InputError(wording.empty.format(p=path))
    return size


def check_head(head: bytes, path: Path, wording: Wording, on_head: Callable[[str], None] | None) -> None:
    """InputError for a binary file; else the head goes to ``on_head`` as text."""
    if looks_binary(head):
        name = display_name(path)
        raise InputError(wording.binary.format(p=name) + binary_hint(head, wording.subject, name))
    if on_head is not None:
        on_head(head.decode("utf-8", errors="replace"))


class ChunkReader:
    """Yields chunks of a file that end at a newline (the last one may not), without copying the
    data: each chunk is a numpy buffer filled by ``readinto`` after the previous chunk's
    unfinished line. A truncated gzip stream ends the chunks and sets ``truncated_stream``.

    ``ring``: when > 0, the buffers are reused in turn, ``ring`` of them, so the caller may hold at
    most ``ring - 1`` earlier chunks while it takes the next one. Why: a fresh buffer per chunk
    costs the kernel a page fault and a zeroed page per 4 KiB, as much as the read itself.
    """

    def __init__(
        self,
        path: Path,
        wording: Wording,
        *,
        chunk_bytes: int = CHUNK_BYTES,
        on_progress: Callable[[int], None] | None = None,
        on_head: Callable[[str], None] | None = None,
        ring: int = 0,
        start: int = 0,
        head_checked: bool = False,
        limit: int | None = None,
    ) -> None:
        self.path = path
        self.start = start  # a plain file read from this offset on (the rest of a pass, see trtdiag/io/scan.py)
        self._limit = limit  # bytes to read from start (a part of a plain file), None: to the end
        self._head_checked = head_checked or start > 0  # the head was checked (and handed to on_head) already
        self._ring: list[np.ndarray | None] = [None] * ring
        self._turn = 0
        self.compressed = False
        self.truncated_stream = False
        self.bytes_read = 0  # text bytes (decompressed): the size of a stream, which stat cannot give
        self._wording = wording
        self._chunk_bytes = chunk_bytes
        self._on_progress = on_progress
        self._on_head = on_head
        self._raw_pos = 0
        self.long_lines = 0  # lines cut at MAX_LINE_BYTES
        self.skipped_bytes = 0  # bytes of those lines past the cap, not read

    def __iter__(self) -> Iterator[memoryview]:
        try:
            fh, self.compressed = open_binary(self.path)
        except OSError as exc:
            raise InputError(f"cannot read {self.path}: {one_line(str(exc))}") from exc
        tail = b""
        first = not self._head_checked
        skipping = False  # inside the part of an overlong line past the cap
        if self.start:
            fh.seek(self.start)
            self._raw_pos = self.start
        with fh:
            while True:
                buf = self._buffer(len(tail) + self._chunk_bytes)
                view = buf.data
                view[: len(tail)] = tail
                n = self._read_into(fh, view[len(tail) :])
                if first:
                    first = False
                    self._check_head(view, n)
                self._progress(fh)
                if skipping and n:
                    n, skipping = self._skip_to_newline(buf, len(tail), n)
                    if skipping:
                        continue
                filled = len(tail) + n
                if n == 0:
                    if tail:
                        self._turn += 1
                        yield view[:filled]
                    return
                cut = _last_newline(buf, view, filled) + 1
                if cut == 0:
                    tail = bytes(view[:filled])
                    if filled > MAX_LINE_BYTES:
                        self.long_lines += 1
                        self.skipped_bytes += filled - MAX_LINE_BYTES
                        tail, skipping = tail[:MAX_LINE_BYTES], True
                    continue
                tail = bytes(view[cut:filled])
                self._turn += 1
                yield view[:cut]

    def _buffer(self, size: int) -> np.ndarray:
        """A buffer of ``size`` bytes: the next of the ring (grown if needed), else a fresh one."""
        if not self._ring:
            return np.empty(size, dtype=np.uint8)  # np.empty: readinto overwrites it, no zero-filling
        slot = self._turn % len(self._ring)  # the turn moves on only when a chunk is yielded
        buf = self._ring[slot]
        if buf is None or len(buf) < size:
            # room for a chunk and the longest unfinished line it can follow (< one chunk): allocated once
            buf = self._ring[slot] = np.empty(max(size, 2 * self._chunk_bytes), dtype=np.uint8)
        return buf[:size]

    def _skip_to_newline(self, buf: np.ndarray, start: int, n: int) -> tuple[int, bool]:
        """Drop the bytes of ``buf[start:start+n]`` before its first newline (counted as skipped).

        Returns the bytes left after ``start`` (moved to ``start``) and whether skipping goes on."""
        found = np.flatnonzero(buf[start : start + n] == 10)
        if not len(found):
            self.skipped_bytes += n
            return 0, True
        k = int(found[0])
        self.skipped_bytes += k
        buf[start : start + n - k] = buf[start + k : start + n].copy()
        return n - k, False

    def _read_into(self, fh: io.RawIOBase | io.BufferedIOBase, view: memoryview) -> int:
        """Fill ``view``; 0 at the end. A pipe delivers a little per read, so reads repeat until the
        view is full. A gzip stream is decompressed piece by piece so that a truncated stream loses
        at most its last piece (what was read is kept)."""
        if self.truncated_stream:
            return 0
        if self._limit is not None:
            view = view[: max(0, self._limit - self.bytes_read)]
        filled = self._fill(fh, view) if not isinstance(fh, io.BufferedIOBase) else self._fill_gzip(fh, view)
        self.bytes_read += filled
        return filled

    def _fill(self, fh: io.RawIOBase, view: memoryview) -> int:
        filled = 0
        try:
            while filled < len(view):
                n = fh.readinto(view[filled:])
                if not n:
                    break
                filled += n
        except OSError as exc:
            raise InputError(f"cannot read {self.path}: {one_line(str(exc))}") from exc
        return filled

    def _fill_gzip(self, fh: io.BufferedIOBase, view: memoryview) -> int:
        filled = 0
        try:
            while filled < len(view):
                n = fh.readinto1(view[filled:])
                if not n:
                    break
                filled += n
        except (EOFError, zlib.error, gzip.BadGzipFile, OSError):
            self.truncated_stream = True
        return filled

    def _check_head(self, view: memoryview, n: int) -> None:
        if n == 0 and not self.truncated_stream:
            raise InputError(self._wording.empty.format(p=display_name(self.path)))
        check_head(bytes(view[: min(n, HEAD_BYTES)]), self.path, self._wording, self._on_head)

    def _progress(self, fh: io.RawIOBase | io.BufferedIOBase) -> None:
        """Report the bytes of the file on disk consumed since the last call (compressed bytes for gzip)."""
        if self._on_progress is None:
            return
        try:
            pos = int(getattr(fh, "fileobj", fh).tell())
        except (AttributeError, OSError, ValueError):
            return
        if pos > self._raw_pos:
            self._on_progress(pos - self._raw_pos)
            self._raw_pos = pos


# --- per-chunk keyword search (worker threads) ------------------------------------------------------

#: Newline positions are computed window by window, so a chunk of empty lines never needs an index
#: array of the whole chunk (8 bytes per newline) at once.
WINDOW_BYTES = 1 << 20


class ChunkHits(NamedTuple):
    """The lines of a chunk that hold a keyword of the pass, as parallel lists (one entry per line).

    ``masks[i]``: bit k set when line i holds a keyword of consumer k; ``routes[i]``: the OR of the
    route bits of every keyword and trigger on the line (see :func:`trtdiag.io.scan.scan`)."""

    newlines: int
    rows: list[int]  # 0-based line index within the chunk
    starts: list[int]  # byte offset of the line in the chunk
    ends: list[int]  # byte offset of its newline (or of the chunk's end)
    masks: list[int]
    routes: list[int]
    ends_with_newline: bool
    crlf: bool  # the chunk's first line ends with CRLF


def find_keyword_lines(chunk: memoryview, match: Matcher, masks: np.ndarray, routes: np.ndarray) -> ChunkHits:
    """Locate the lines of ``chunk`` that hold a keyword; ``masks[k]`` names the consumers of keyword ``k``
    (0: a trigger that only adds ``routes[k]`` to a line found by other keywords).

    Vectorised: the hits are placed on lines with ``searchsorted`` over each window's newline
    positions, and grouped per line with ``bitwise_or.reduceat``; Python work is per chunk and per
    window, not per hit (a log of a million warnings has a million hits).
    """
    return hits_from_table(keyword_line_table(chunk, match, masks, routes))


#: Rows of the table :func:`keyword_line_table` returns, after its header row.
TABLE_ROWS = ("rows", "starts", "ends", "masks", "routes")


def keyword_line_table(chunk: memoryview, match: Matcher, masks: np.ndarray, routes: np.ndarray) -> np.ndarray:
    """:func:`find_keyword_lines` as one int64 array (what a scanning process sends, see trtdiag/io/hits_process.py):
    a header row ``[chunk length, newlines, lines found, ends with newline, crlf, 0...]``, then the
    :data:`TABLE_ROWS`, one column per line found (at least :data:`HEADER_FIELDS` columns)."""
    arr = np.frombuffer(chunk, dtype=np.uint8)
    size = len(chunk)
    head = bytes(chunk[:4096])
    first_nl = head.find(b"\n")
    crlf = first_nl > 0 and head[first_nl - 1] == 13
    ends_nl = size > 0 and chunk[-1] == 10
    hits = match(chunk)
    if not hits:
        return _table(size, _count_newlines(arr, size), ends_nl, crlf, np.empty((5, 0), dtype=np.int64))
    table = np.array(hits, dtype=np.int64).reshape(-1, 2)
    table = table[np.argsort(table[:, 0], kind="stable")]
    pos, kid = table[:, 0], table[:, 1]
    rows, starts, ends, newlines = _place(arr, pos, size)
    firsts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
    line_masks = np.bitwise_or.reduceat(masks[kid], firsts)
    line_routes = np.bitwise_or.reduceat(routes[kid], firsts)
    wanted = line_masks != 0
    keep = firsts[wanted]
    return _table(size, newlines, ends_nl, crlf,
                  np.stack([rows[keep], starts[keep], ends[keep], line_masks[wanted], line_routes[wanted]]))


#: Columns of the header row: the five :func:`keyword_line_table` fills, and one a sender may use.
HEADER_FIELDS = 6


def _table(size: int, newlines: int, ends_nl: bool, crlf: bool, body: np.ndarray) -> np.ndarray:
    header = np.zeros((1, max(body.shape[1], HEADER_FIELDS)), dtype=np.int64)
    header[0, :5] = (size, newlines, body.shape[1], ends_nl, crlf)
    if body.shape[1] < HEADER_FIELDS:
        body = np.pad(body, ((0, 0), (0, HEADER_FIELDS - body.shape[1])))
    return np.concatenate([header, body.astype(np.int64, copy=False)])


def hits_from_table(table: np.ndarray) -> ChunkHits:
    """The :class:`ChunkHits` of a :func:`keyword_line_table`."""
    _size, newlines, n, ends_nl, crlf = (int(x) for x in table[0, :5])
    rows, starts, ends, masks, routes = (table[i, :n].tolist() for i in range(1, 6))
    return ChunkHits(newlines, rows, starts, ends, masks, routes, bool(ends_nl), bool(crlf))


def _place(arr: np.ndarray, pos: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """For each hit offset (sorted): its line's row, start and end; and the chunk's newline count."""
    rows = np.empty(len(pos), dtype=np.int64)
    starts = np.empty(len(pos), dtype=np.int64)
    ends = np.empty(len(pos), dtype=np.int64)
    base = 0  # newlines before the window
    last_nl = -1  # offset of the last newline before the window
    bounds = np.searchsorted(pos, np.arange(0, size + WINDOW_BYTES, WINDOW_BYTES))
    for w, w0 in enumerate(range(0, size, WINDOW_BYTES)):
        nl = np.flatnonzero(arr[w0 : w0 + WINDOW_BYTES] == 10) + w0
        lo, hi = int(bounds[w]), int(bounds[w + 1])
        if hi > lo:
            idx = np.searchsorted(nl, pos[lo:hi])
            rows[lo:hi] = base + idx
            before = np.r_[last_nl, nl]  # before[idx] is the newline ending the previous line
            starts[lo:hi] = before[idx] + 1
            inside = idx < len(nl)
            ends[lo:hi] = np.where(inside, np.r_[nl, 0][idx], -1)
            if not inside.all():  # the line goes on past the window: find its end in the rest of the chunk
                ends[lo:hi][~inside] = _line_end(arr, w0 + WINDOW_BYTES, size)
        base += len(nl)
        if len(nl):
            last_nl = int(nl[-1])
    return rows, starts, ends, base


def _count_newlines(arr: np.ndarray, size: int) -> int:
    """Newlines in the chunk, window by window. Why not in one go: a temporary as large as the chunk, once
    freed, makes glibc raise its mmap threshold, and later buffers then fragment the heap (RSS grows)."""
    return sum(int(np.count_nonzero(arr[w0 : w0 + WINDOW_BYTES] == 10)) for w0 in range(0, size, WINDOW_BYTES))


def _last_newline(arr: np.ndarray, view: memoryview, end: int) -> int:
    """Offset of the last newline before ``end`` (-1 if none); looks at the last 64 KiB first."""
    start = max(0, end - 65536)
    pos = bytes(view[start:end]).rfind(b"\n")
    if pos >= 0:
        return start + pos
    found = np.flatnonzero(arr[:start] == 10)
    return int(found[-1]) if len(found) else -1


def _line_end(arr: np.ndarray, start: int, size: int) -> int:
    """Offset of the first newline at or after ``start`` (``size`` if none)."""
    while start < size:  # window by window: a long line must not cost a compare of the whole chunk each time
        found = np.flatnonzero(arr[start : start + WINDOW_BYTES] == 10)
        if len(found):
            return start + int(found[0])
        start += WINDOW_BYTES
    return size
