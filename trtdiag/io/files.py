"""File access shared by every reader: existence/empty checks, transparent gzip, the head of a file
and what it looks like (binary, JSON). JSON values are read by :mod:`trtdiag.io.json_values`.

Why one module: each artifact reader used to repeat these checks with slightly different messages;
the error model (one line, :class:`trtdiag.errors.InputError`) lives here once.

Streams: ``-`` is standard input, and pipes, ``/dev/stdin``, ``<(zcat x.gz)`` process substitutions
and ``/proc`` files are read like files. They have no size (``st_size`` is 0) and cannot seek, so
emptiness is judged by reading (the first read returns nothing) and the gzip magic is sniffed
into a small buffer that is handed back before the rest of the stream (:class:`_Prepended`).
"""

from __future__ import annotations

import codecs
import gzip
import io
import os
import stat
import zlib
from pathlib import Path
from typing import IO, Any, cast

from trtdiag.errors import InputError


class _OwningGzipFile(gzip.GzipFile):
    """A GzipFile that also closes the file it decompresses (``GzipFile(fileobj=...)`` leaves it open)."""

    def __init__(self, raw: io.RawIOBase) -> None:
        super().__init__(fileobj=raw, mode="rb")
        self._owned = raw

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._owned.close()


#: The path that names standard input.
STDIN = "-"
STDIN_NAME = "<stdin>"


def is_stdin(path: str | os.PathLike[str]) -> bool:
    return os.fspath(path) == STDIN


def display_name(path: str | os.PathLike[str]) -> str:
    """The path as the report shows it (``<stdin>`` for ``-``)."""
    return STDIN_NAME if is_stdin(path) else os.fspath(path)


class _Prepended(io.RawIOBase):
    """A raw stream that first hands back bytes already read from it: the gzip magic sniffed on a
    pipe, which cannot be rewound."""

    def __init__(self, head: bytes, raw: io.RawIOBase) -> None:
        super().__init__()
        self._head = head
        self._raw = raw

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        return self._raw.readinto(buffer) or 0

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._raw.close()


class _Utf16AsUtf8(io.RawIOBase):
    """A UTF-16 stream (with its byte-order mark) read as UTF-8 bytes, decoded one read at a time.

    Why: Windows PowerShell 5's ``trtexec ... > build.log`` writes UTF-16LE with a BOM; without this the log
    reads as binary (every other byte is NUL) and is refused. Memory stays at one read's worth."""

    def __init__(self, raw: io.RawIOBase) -> None:
        super().__init__()
        self._raw = raw
        self._decoder = codecs.getincrementaldecoder("utf-16")(errors="replace")
        self._pending = b""
        self._eof = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending and not self._eof:
            data = self._raw.read(max(2, len(buffer)))
            self._eof = not data
            self._pending = self._decoder.decode(data or b"", final=self._eof).encode("utf-8")
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._raw.close()


UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def _open_raw(path: Path) -> io.RawIOBase:
    if is_stdin(path):  # standard input stays open for the caller
        return cast(io.RawIOBase, open(0, "rb", buffering=0, closefd=False))
    return cast(io.RawIOBase, path.open("rb", buffering=0))


def _read_exactly(raw: io.RawIOBase, n: int) -> bytes:
    """Up to ``n`` bytes: a pipe may deliver fewer per read."""
    data = b""
    while len(data) < n:
        more = raw.read(n - len(data))
        if not more:
            break
        data += more
    return data


def open_binary(path: Path) -> tuple[io.RawIOBase | io.BufferedIOBase, bool]:
    """Open a file or stream for binary reading, gunzipping transparently; also says whether it was gzip.

    The file is opened once: the magic bytes are sniffed on the same handle, which is rewound, or,
    on a stream that cannot seek, handed back first (one open per read keeps a pass over a log a
    single pass, see ``tests/test_log_single_pass.py``).
    """
    raw = _open_raw(path)
    try:
        magic = _read_exactly(raw, 2)
        if raw.seekable():
            raw.seek(0)
        else:
            raw = _Prepended(magic, raw)
    except OSError:
        raw.close()
        raise
    if magic == b"\x1f\x8b":
        return _OwningGzipFile(raw), True
    if magic in UTF16_BOMS:
        return _Utf16AsUtf8(raw), False
    return raw, False


def regular_size(path: str | os.PathLike[str]) -> int | None:
    """The size of a regular file; None for standard input, pipes, devices, and ``/proc`` files (whose
    ``st_size`` says 0 whatever they hold), which only reading can measure."""
    if is_stdin(path):
        return None
    st = os.stat(path)
    if not stat.S_ISREG(st.st_mode) or (st.st_size == 0 and os.fspath(path).startswith("/proc/")):
        return None
    return st.st_size


def looks_binary(sample: bytes) -> bool:
    """True for data that is not a text log or JSON (NUL bytes, or more than 5% control characters)."""
    if not sample:
        return False
    if b"\x00" in sample:
        return True
    # Text logs are ASCII/UTF-8, with ANSI colour escapes and progress-bar backspaces at most;
    # random or compiled data has many other control bytes.
    head = sample[:65536]
    control = sum(1 for b in head if b < 8 or (13 < b < 32 and b != 27))
    return control > len(head) * 0.05


def check_file(path: str | os.PathLike[str]) -> Path:
    """The path of an existing, non-empty file or stream (a stream's emptiness shows when it is read)."""
    p = Path(path)
    if is_stdin(p):
        return p
    if not p.exists():
        raise InputError(f"file not found: {p}")
    if p.is_dir():
        raise InputError(f"expected a file but got a directory: {p}")
    if regular_size(p) == 0:
        raise InputError(f"file is empty: {p}")
    return p


def open_binary_stream(p: Path) -> IO[bytes]:
    return cast(IO[bytes], open_binary(p)[0])  # both kinds of stream read bytes


def read_head(path: str | os.PathLike[str], size: int = 65536) -> bytes:
    """The first ``size`` bytes of a file (decompressed if gzip); InputError if unreadable or empty."""
    p = check_file(path)
    try:
        with open_binary_stream(p) as fh:
            return fh.read(size)
    except (OSError, EOFError, zlib.error) as exc:
        raise InputError(f"cannot read {p}: {one_line(str(exc))}") from exc


def one_line(text: str) -> str:
    return " ".join(text.split())


def looks_json(head: bytes) -> bool:
    """True when a file starts like the JSON trtexec and TREx write: an object with a key, or an
    array of objects/strings/arrays. Logs also start with ``[`` (``[I]``, ``[07/07/2026-..]``,
    ``[TensorRT]``), so the character after the bracket decides."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not text or text[:1] not in (b"{", b"["):
        return False
    rest = text[1:].lstrip(b" \t\r\n")
    if not rest:
        return True
    if text[:1] == b"{":
        return rest[:1] in (b'"', b"}")
    return rest[:1] in (b"{", b"[", b'"', b"]")

