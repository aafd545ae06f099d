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


class ChunkReader:
    """Yields chunks of a file that end at a newline (the last one may not), without copying the
    data: each chunk is a fresh numpy buffer filled by ``readinto`` after the previous chunk's
    unfinished line. A truncated gzip stream ends the chunks and sets ``truncated_stream``."""

    def __init__(
        self,
        path: Path,
        wording: Wording,
        *,
        chunk_bytes: int = CHUNK_BYTES,
        on_progress: Callable[[int], None] | None = None,
        on_head: Callable[[str], None] | None = None,
    ) -> None:
        self.path = path
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
        first = True
        skipping = False  # inside the part of an overlong line past the cap
        with fh:
            while True:
                # np.empty: no zero-filling of a buffer that readinto overwrites anyway
                buf = np.empty(len(tail) + self._chunk_bytes, dtype=np.uint8)
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
                yield view[:cut]

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
        head = bytes(view[: min(n, HEAD_BYTES)])
        if looks_binary(head):
            name = display_name(self.path)
            raise InputError(self._wording.binary.format(p=name) + binary_hint(head, self._wording.subject, name))
        if self._on_head is not None:
            self._on_head(head.decode("utf-8", errors="replace"))

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


class KeywordLine(NamedTuple):
    """A line of a chunk that holds at least one keyword of the pass."""

    row: int  # 0-based line index within the chunk
    start: int  # byte offset of the line in the chunk
    end: int  # byte offset of its newline (or of the chunk's end)
    mask: int  # bit i set: the line holds a keyword of consumer i
    raw: bytes


class ChunkHits(NamedTuple):
    newlines: int
    lines: list[KeywordLine]
    ends_with_newline: bool
    crlf: bool  # the chunk's first line ends with CRLF


def find_keyword_lines(chunk: memoryview, match: Matcher, masks: tuple[int, ...]) -> ChunkHits:
    """Locate the lines of ``chunk`` that hold a keyword; ``masks[k]`` names the consumers of keyword ``k``.

    Newlines are counted segment by segment between hits (one vectorised pass in total); the
    line around a hit is found by looking a little way back and forward.
    """
    arr = np.frombuffer(chunk, dtype=np.uint8)
    size = len(chunk)
    found: list[KeywordLine] = []
    newlines_before = 0
    prev = 0
    start = line_end = -1
    mask = 0
    for pos, kid in sorted(match(chunk)):
        if pos <= line_end:
            mask |= masks[kid]  # another keyword on a line already taken
            continue
        if line_end >= 0:
            found.append(KeywordLine(newlines_before, start, line_end, mask, bytes(chunk[start:line_end])))
        newlines_before += int(np.count_nonzero(arr[prev:pos] == 10))
        prev = pos
        start = _line_start(arr, chunk, pos)
        line_end = _line_end(arr, chunk, pos, size)
        mask = masks[kid]
    if line_end >= 0:
        found.append(KeywordLine(newlines_before, start, line_end, mask, bytes(chunk[start:line_end])))
    n_nl = newlines_before + int(np.count_nonzero(arr[prev:] == 10))
    head = bytes(chunk[:4096])
    first_nl = head.find(b"\n")
    crlf = first_nl > 0 and head[first_nl - 1] == 13
    return ChunkHits(n_nl, found, size > 0 and chunk[-1] == 10, crlf)


def _last_newline(arr: np.ndarray, view: memoryview, end: int) -> int:
    """Offset of the last newline before ``end`` (-1 if none); looks at the last 64 KiB first."""
    start = max(0, end - 65536)
    pos = bytes(view[start:end]).rfind(b"\n")
    if pos >= 0:
        return start + pos
    found = np.flatnonzero(arr[:start] == 10)
    return int(found[-1]) if len(found) else -1


def _line_start(arr: np.ndarray, chunk: memoryview, pos: int) -> int:
    lo = max(0, pos - 4096)
    p = bytes(chunk[lo:pos]).rfind(b"\n")
    if p >= 0:
        return lo + p + 1
    if lo == 0:
        return 0
    found = np.flatnonzero(arr[:lo] == 10)
    return int(found[-1]) + 1 if len(found) else 0


def _line_end(arr: np.ndarray, chunk: memoryview, pos: int, size: int) -> int:
    hi = min(size, pos + 4096)
    p = bytes(chunk[pos:hi]).find(b"\n")
    if p >= 0:
        return pos + p
    if hi == size:
        return size
    found = np.flatnonzero(arr[hi:] == 10)
    return hi + int(found[0]) if len(found) else size
