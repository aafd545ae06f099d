"""The keyword search of a large plain file in a second process, so that it runs beside the line handlers.

Why: the keyword search (Hyperscan, numpy) releases the GIL, but Hyperscan reports each hit through a Python
callback that needs the GIL back. While the main thread runs the line handlers (Python), a worker thread waits
for the GIL at every hit, so the two halves of a pass ran one after the other: 1 GiB of concatenated verbose
builds took the search (1.0 s) plus the handlers (1.3 s), with one worker thread or two. A forked process
has its own GIL: it maps the file, searches it chunk by chunk (each cut at its last newline) and sends each
chunk's table (:func:`~trtdiag.io.chunks.keyword_line_table`, with the chunk's length) through a pipe, while the
main process takes the same bytes as a slice of its own map of the file (trtdiag/io/mapped.py) and feeds the
lines. The consumers still see one pass, in file order.

Used only where it pays and is safe: a regular, uncompressed file of at least :data:`MIN_BYTES`, a platform
that forks, and no other thread in the process (a forked copy of a threaded process may deadlock).
``TRTDIAG_SCAN_PROCESS=0`` turns it off, ``=1`` uses it whatever the size (the tests compare both ways). If
anything goes wrong (the system refuses the process, the child dies, is silent for :data:`SILENCE_S`, or sends a
chunk that does not end at a newline) the main process reads and searches the rest itself: the result is the
same, only slower.
"""

from __future__ import annotations

import mmap
import multiprocessing
import os
import queue
import sys
import threading
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection
from pathlib import Path

import numpy as np

from trtdiag.io.chunks import HEADER_FIELDS, ChunkReader, Wording, keyword_line_table
from trtdiag.io.matchers import Matcher

#: Smaller files are searched by threads of the main process: forking costs more than it saves.
MIN_BYTES = 32 << 20
#: Tables the child may have searched ahead of the parent (each some 70 KB for a verbose log's 8 MiB chunk).
AHEAD = 64
#: A child that sends nothing for this long is given up (the main process then searches on its own).
SILENCE_S = 120.0
_GZIP_MAGIC = b"\x1f\x8b"


def wanted(path: Path, size: int | None) -> bool:
    """Should the search of ``path`` (``size``: None for a stream) run in a second process?"""
    setting = os.environ.get("TRTDIAG_SCAN_PROCESS", "").strip()
    if setting == "0" or size is None or not sys.platform.startswith("linux"):
        return False
    if setting != "1" and size < MIN_BYTES:
        return False
    if threading.active_count() != 1:
        return False
    try:
        with open(path, "rb") as fh:
            return fh.read(2) != _GZIP_MAGIC  # the child would decompress the file a second time
    except OSError:
        return False


class HitsProcess:
    """A forked process that searches the chunks of one file; :meth:`next_table` returns them one by one, in order."""

    def __init__(self, path: Path, wording: Wording, chunk_bytes: int, match: Matcher, masks: np.ndarray,
                 routes: np.ndarray) -> None:
        ctx = multiprocessing.get_context("fork")
        self._conn, child_end = ctx.Pipe(duplex=False)
        self._proc = ctx.Process(target=_search, args=(child_end, path, wording, chunk_bytes, match, masks, routes),
                                 daemon=True, name="trtdiag-search")
        self._proc.start()
        child_end.close()
        self.failed = False

    def next_table(self) -> np.ndarray | None:
        """The table of the next chunk (:func:`~trtdiag.io.chunks.keyword_line_table`; header column 5 is 1 when
        the chunk is not the file's next bytes), or None: the child has sent every chunk, or it failed
        (:attr:`failed`; the caller then reads on by itself)."""
        if self.failed:
            return None
        try:
            if not self._conn.poll(SILENCE_S):
                raise EOFError
            data = self._conn.recv_bytes()
        except (EOFError, OSError):
            data = None
        if data == b"":
            return None
        if data is None or not _is_table(data):
            self.failed = True
            self.close()
            return None
        return np.frombuffer(data, dtype=np.int64).reshape(6, -1)

    def close(self) -> None:
        """Stop the child (it may be blocked on a full pipe when the pass ended early) and reap it."""
        self._conn.close()
        if self._proc.is_alive():
            self._proc.terminate()
        self._proc.join(timeout=5)


#: A search started before its pass (see :func:`prestart`), with what it was started for.
_waiting: tuple[tuple[object, ...], HitsProcess] | None = None


def start(path: Path, wording: Wording, chunk_bytes: int, match: Matcher, masks: np.ndarray, routes: np.ndarray
          ) -> HitsProcess | None:
    """A started search process, or None where the system refuses to start one (the threads search then)."""
    try:
        return HitsProcess(path, wording, chunk_bytes, match, masks, routes)
    except OSError:  # no fork allowed, no process left, no pipe
        return None


def prestart(key: tuple[object, ...], make: Callable[[], HitsProcess | None]) -> None:
    """Start a search now for a pass that comes later (the CLI starts it before importing the rest of the
    analysis, 0.1-0.2 s): the pass whose :func:`adopt` gives the same ``key`` takes it over."""
    global _waiting
    discard()
    helper = make()
    _waiting = (key, helper) if helper is not None else None


def adopt(key: tuple[object, ...]) -> HitsProcess | None:
    """The search started for ``key``, if any (it is then no longer waiting). A pass over another file (a
    calibration cache read before the log) leaves a waiting search alone."""
    global _waiting
    if _waiting is None or _waiting[0] != key:
        return None
    helper = _waiting[1]
    _waiting = None
    return helper


def discard() -> None:
    """Stop a search nobody took over (the analysis failed before its pass)."""
    global _waiting
    if _waiting is not None:
        _waiting[1].close()
        _waiting = None


def _is_table(data: bytes) -> bool:
    """Six rows of int64, at least HEADER_FIELDS columns (trtdiag/io/chunks.py, _table)."""
    return len(data) >= 6 * HEADER_FIELDS * 8 and len(data) % (6 * 8) == 0


def _search(conn: Connection, path: Path, wording: Wording, chunk_bytes: int, match: Matcher, masks: np.ndarray,
            routes: np.ndarray) -> None:
    """The child: every chunk's table, then an empty message; anything that fails ends it (the parent copes).

    The tables go through a queue to a sending thread: a pipe holds less than one table (64 KiB), and without
    the queue the child could not run ahead of the parent, neither while the parent imports the analysis
    (trtdiag/log_pass.py) nor through a stretch of slow chunks. :data:`AHEAD` tables at most wait (a few MB)."""
    tables: queue.Queue[bytes | None] = queue.Queue(maxsize=AHEAD)
    sender = threading.Thread(target=_send, args=(conn, tables), daemon=True)
    sender.start()
    try:
        mapped = 0
        for chunk in _mapped_chunks(path, chunk_bytes):
            if not _put(tables, keyword_line_table(chunk, match, masks, routes).tobytes(), sender):
                return
            mapped += len(chunk)
        reader = ChunkReader(path, wording, chunk_bytes=chunk_bytes, ring=1, start=mapped, head_checked=True)
        skipped = 0
        for chunk in reader if mapped < os.path.getsize(path) else ():
            table = keyword_line_table(chunk, match, masks, routes)
            if reader.skipped_bytes != skipped:  # part of a long line was dropped: not the file's next bytes
                skipped = reader.skipped_bytes
                table[0, 5] = 1
            if not _put(tables, table.tobytes(), sender):
                return  # the parent is gone or stopped reading
        _put(tables, b"", sender)
    except BaseException:  # the child never reports: the parent reads the same file and raises what it must
        pass
    finally:
        if _put(tables, None, sender):
            sender.join()
        conn.close()


def _mapped_chunks(path: Path, chunk_bytes: int) -> Iterator[memoryview]:
    """The file's chunks as slices of a memory map, each ending at its last newline before ``chunk_bytes``, until
    a line longer than that (the caller reads on with a :class:`~trtdiag.io.chunks.ChunkReader`, which cuts such
    lines at their cap). Why: the search then reads the page cache in place, without copying each byte into a
    buffer first (half the memory traffic of the child, which the main process feels)."""
    with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        size, offset, released = len(mm), 0, 0
        with memoryview(mm) as view:
            while offset < size:
                end = min(offset + chunk_bytes, size)
                if end < size:
                    cut = mm.rfind(b"\n", offset, end)
                    if cut < 0:
                        return  # a line longer than a chunk
                    end = cut + 1
                chunk = view[offset:end]
                yield chunk
                chunk.release()
                released = give_back(mm, released, end)
                offset = end


def _put(tables: queue.Queue[bytes | None], item: bytes | None, sender: threading.Thread) -> bool:
    """Queue ``item`` for the sending thread; False once that thread has ended (nobody would take it)."""
    while sender.is_alive():
        try:
            tables.put(item, timeout=1.0)
            return True
        except queue.Full:
            continue
    return False


def _send(conn: Connection, tables: queue.Queue[bytes | None]) -> None:
    try:
        while (table := tables.get()) is not None:
            conn.send_bytes(table)
    except OSError:
        pass


#: The unit pages are given back in: a page-cache folio may be mapped as one 2 MiB page, which a range that covers
#: only part of it leaves mapped (giving back each chunk's own pages grew the resident memory by 2 MiB a chunk).
GIVE_BACK_UNIT = 2 << 20


def give_back(mm: mmap.mmap, released: int, end: int) -> int:
    """Unmap from this process the map's pages from ``released`` (a multiple of :data:`GIVE_BACK_UNIT`) to ``end``
    rounded down to that unit (they stay in the page cache); returns the new ``released``."""
    upto = end // GIVE_BACK_UNIT * GIVE_BACK_UNIT
    if upto > released:
        mm.madvise(mmap.MADV_DONTNEED, released, upto - released)
        return upto
    return released
