"""One keyword scanner for every text input: a single pass over a file feeds many consumers.

Why one engine: the build log, the layer listings and the profiles it may hold are all found by
keywords in files of up to gigabytes. :func:`scan` reads the file once, in chunks
(:mod:`trtdiag.io.chunks`), searches each chunk for the union of the consumers' keywords in one
Hyperscan (or pure-Python) pass (:mod:`trtdiag.io.matchers`) on two worker threads (a large plain
file: in a second process, :mod:`trtdiag.io.hits_process`), and hands lines to consumers in the
main thread, in file order (:mod:`trtdiag.io.dispatch`):

- a line goes to a consumer when it contains one of that consumer's ``keywords``;
- while a consumer's last ``feed`` returned True ("I am inside a section"), it gets every next
  line whatever it holds, until it returns False.

Lines nobody asked for are never decoded, which is what keeps a GB-sized verbose log cheap.

The first consumer may also be *routed* (:class:`RoutedConsumer`): it learns which of its strings a
line holds, so it can hand the line to only the parts of itself that need it (the log collector's
handlers, :mod:`trtdiag.log.routing`), and it may take its most frequent kind of line on a fast path
(:class:`FastConsumer`).
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from trtdiag.errors import InputError
from trtdiag.io import hits_process
from trtdiag.io.chunks import (
    CHUNK_BYTES,
    LOG_WORDING,
    TEXT_WORDING,
    ChunkHits,
    ChunkReader,
    Wording,
    check_path,
    find_keyword_lines,
)
from trtdiag.io.consumers import FastConsumer, KeywordFeed, LineConsumer, RoutedConsumer
from trtdiag.io.dispatch import Dispatch, ScanControl
from trtdiag.io.files import display_name
from trtdiag.io.mapped import feed_mapped
from trtdiag.io.matchers import Matcher, make_matcher

__all__ = ["CHUNK_BYTES", "FastConsumer", "KeywordFeed", "LineConsumer", "ReadStats", "RoutedConsumer", "scan",
           "scan_marked_lines"]


@dataclass(frozen=True)
class ReadStats:
    """What a pass saw of the file as a whole (for the report's "inputs" section).

    ``candidate_lines``, ``undecodable_lines`` and the CRLF seen on them count the lines holding a
    keyword of the pass's *first* consumer, its subject: adding consumers to a pass never changes
    the stats its subject reports.
    """

    path: str
    size_bytes: int  # of the file on disk; for a stream (stdin, a pipe), the text bytes read
    compressed: bool
    lines: int
    candidate_lines: int
    crlf: bool
    undecodable_lines: int
    ends_with_newline: bool
    truncated_stream: bool
    scanner: str
    long_lines: int = 0  # lines longer than chunks.MAX_LINE_BYTES, kept up to the cap
    skipped_bytes: int = 0  # their bytes past the cap, skipped unread


def _keyword_union(consumers: Sequence[LineConsumer]) -> tuple[tuple[bytes, ...], np.ndarray, np.ndarray]:
    """The strings of a pass, each once, with for each the bit mask of the consumers that asked for it
    (0 for a trigger of the first consumer's routes that is nobody's keyword) and its route bits."""
    masks: dict[bytes, int] = {}
    for bit, consumer in enumerate(consumers):
        for keyword in consumer.keywords:
            masks[keyword] = masks.get(keyword, 0) | (1 << bit)
    routes: Mapping[bytes, int] = getattr(consumers[0], "routes", {}) if consumers else {}
    for trigger in routes:
        masks.setdefault(trigger, 0)
    bits = {k: (masks[k], routes.get(k, 0)) for k in masks}
    keywords = tuple(k for k in masks if not _implied(k, bits))
    return (keywords, np.array([masks[k] for k in keywords], dtype=np.int64),
            np.array([routes.get(k, 0) for k in keywords], dtype=np.int64))


def _implied(keyword: bytes, bits: Mapping[bytes, tuple[int, int]]) -> bool:
    """Does a shorter string of the pass, found wherever ``keyword`` is, already bring all its bits?

    Then searching for ``keyword`` changes nothing but the number of hits: ``Missing scale`` on a
    line always comes with ``Missing ``, and each hit costs a Python callback in the matcher."""
    mask, route = bits[keyword]
    for other, (other_mask, other_route) in bits.items():
        if (other != keyword and other in keyword and mask | other_mask == other_mask
                and route | other_route == other_route):
            return True
    return False


def scan(
    path: str | os.PathLike[str],
    consumers: Sequence[LineConsumer],
    *,
    scanner: str = "auto",
    on_progress: Callable[[int], None] | None = None,
    on_head: Callable[[str], None] | None = None,
    chunk_bytes: int = CHUNK_BYTES,
    workers: int | None = None,
    wording: Wording = LOG_WORDING,
    control: ScanControl | None = None,
    lines: tuple[int, int, int | None] | None = None,
) -> ReadStats:
    """Read a text file (plain or gzip) once and feed its lines to ``consumers`` (see the module doc).
    ``control`` (:class:`~trtdiag.io.dispatch.ScanControl`) shows the consumers each line's file offset and
    lets them stop others; ``lines = (first line number, start, stop or None)`` reads only those bytes of a
    plain file (offsets a control reported; the file's head is then not checked). ``scanner`` is ``auto``
    (Hyperscan if installed), ``hyperscan`` or ``python``, for every consumer of the pass. ``on_progress``
    receives byte counts of the file on disk as they are consumed; ``on_head`` receives the first 64 KiB as
    text (for signals that carry no keyword). Line numbers are 1-based; a trailing CR is removed; bad UTF-8
    becomes U+FFFD. A truncated gzip stream ends the pass (what was read is kept, ``truncated_stream`` says
    so). Raises InputError for a missing, empty, unreadable or binary file.
    """
    p = Path(path)
    size = check_path(p, wording)
    keywords, masks, routes = _keyword_union(consumers)
    scanner_name, match = make_matcher(keywords, scanner)
    n_workers = max(1, min(2, os.cpu_count() or 1)) if workers is None else workers
    dispatch = Dispatch(consumers, control)
    first_line, start, stop = lines if lines is not None else (1, 0, None)
    dispatch.lines = first_line - 1
    # a whole file, the worker count left to the pass: a search process may do the search
    helper = _search_process(p, size, wording, chunk_bytes, scanner_name, match, keywords, masks, routes) if (
        workers is None and lines is None) else None
    # bytes read through the search process (trtdiag/io/mapped.py), or skipped; None: the file could not be mapped
    mapped = _through_process(p, wording, helper, dispatch, chunk_bytes, on_head, on_progress) if helper else None
    helper, mapped = (helper, mapped) if mapped is not None else (None, start)
    reader = ChunkReader(p, wording, chunk_bytes=chunk_bytes, on_progress=on_progress, on_head=on_head,
                         ring=n_workers + 1, start=mapped, head_checked=helper is not None,
                         limit=None if stop is None else max(0, stop - mapped))
    if helper is None or mapped < (size or 0):  # the whole file, or what the search process left
        _search_in_threads(reader, dispatch, n_workers, match, masks, routes, seekable=size is not None)
    return ReadStats(
        path=display_name(p),
        size_bytes=size if size is not None else reader.bytes_read,
        compressed=reader.compressed,
        lines=dispatch.lines,
        candidate_lines=dispatch.candidates,
        crlf=dispatch.crlf,
        undecodable_lines=dispatch.undecodable,
        ends_with_newline=dispatch.ends_with_newline,
        truncated_stream=reader.truncated_stream,
        scanner=scanner_name,
        long_lines=reader.long_lines,
        skipped_bytes=reader.skipped_bytes,
    )


def _through_process(p: Path, wording: Wording, helper: hits_process.HitsProcess, dispatch: Dispatch,
                     chunk_bytes: int, on_head: Callable[[str], None] | None,
                     on_progress: Callable[[int], None] | None) -> int | None:
    try:
        return feed_mapped(p, wording, helper, dispatch.chunk, chunk_bytes=chunk_bytes, on_head=on_head,
                           on_progress=on_progress)
    finally:
        helper.close()


def prestart(path: str | os.PathLike[str], consumers: Sequence[LineConsumer], *, scanner: str = "auto",
             chunk_bytes: int = CHUNK_BYTES, wording: Wording = LOG_WORDING) -> None:
    """Start the keyword search of a coming :func:`scan` of ``path`` with ``consumers`` (consumers with the same
    keywords, in the same order) now, where it would run in a second process (trtdiag/io/hits_process.py);
    nothing otherwise. Never raises: the pass itself reports what is wrong with the file."""
    p = Path(path)
    try:
        size = check_path(p, wording)
    except (InputError, OSError):
        return
    if not hits_process.wanted(p, size):
        return
    keywords, masks, routes = _keyword_union(consumers)
    try:
        scanner_name, match = make_matcher(keywords, scanner)
    except InputError:
        return
    key = _search_key(p, size, keywords, masks, routes, chunk_bytes, scanner_name, wording)
    if key is not None:
        hits_process.prestart(key, lambda: hits_process.start(p, wording, chunk_bytes, match, masks, routes))


def _search_process(p: Path, size: int | None, wording: Wording, chunk_bytes: int, scanner_name: str, match: Matcher,
                    keywords: tuple[bytes, ...], masks: np.ndarray, routes: np.ndarray
                    ) -> hits_process.HitsProcess | None:
    """The search process started ahead for this pass (:func:`prestart`), else a new one where it pays."""
    key = _search_key(p, size, keywords, masks, routes, chunk_bytes, scanner_name, wording)
    helper = hits_process.adopt(key) if key is not None else None
    if helper is None and hits_process.wanted(p, size):
        helper = hits_process.start(p, wording, chunk_bytes, match, masks, routes)
    return helper


def _search_key(p: Path, size: int | None, keywords: tuple[bytes, ...], masks: np.ndarray, routes: np.ndarray,
                chunk_bytes: int, scanner_name: str, wording: Wording) -> tuple[object, ...] | None:
    """What a started search must have been started for to serve a pass (the file as it is now included)."""
    if size is None:
        return None
    try:
        st = p.stat()
    except OSError:
        return None
    return (str(p.resolve()), st.st_size, st.st_mtime_ns, st.st_ino, keywords, masks.tobytes(), routes.tobytes(),
            chunk_bytes, scanner_name, wording)


def _search_in_threads(reader: ChunkReader, dispatch: Dispatch, n_workers: int, match: Matcher, masks: np.ndarray,
                       routes: np.ndarray, *, seekable: bool) -> None:
    """Chunks searched by worker threads, ``n_workers`` ahead of the one being dispatched.

    Each chunk goes with its file offset while the file can be read again from one (``seekable``: a regular
    file; not gzip; no line cut at its cap so far, whose dropped bytes would shift the offsets after it)."""
    offset = reader.start
    with ThreadPoolExecutor(max_workers=n_workers, thread_name_prefix="trtdiag-scan") as pool:
        pending: deque[tuple[memoryview, int, Future[ChunkHits]]] = deque()
        for chunk in reader:
            exact = seekable and not reader.compressed and not reader.skipped_bytes
            pending.append((chunk, offset if exact else -1, pool.submit(find_keyword_lines, chunk, match, masks,
                                                                        routes)))
            offset += len(chunk)
            if len(pending) > n_workers:  # bounded read-ahead keeps memory constant
                done, base, future = pending.popleft()
                dispatch.chunk(done, future.result(), base)
        while pending:
            done, base, future = pending.popleft()
            dispatch.chunk(done, future.result(), base)


def scan_marked_lines(
    path: str | os.PathLike[str],
    markers: Sequence[bytes],
    feed: Callable[[int, str], bool],
    *,
    chunk_bytes: int = CHUNK_BYTES,
) -> None:
    """Stream a text file, handing lines to ``feed(line_number, text)`` from each marker on.

    ``feed`` returns True while it is inside a section (it then gets the next line whatever it
    holds) and False when it is not (the scan then skips ahead to the next line containing one
    of ``markers``). A one-consumer :func:`scan`; raises InputError for a missing, empty or binary
    file; a truncated gzip stream ends the scan (what was read is kept).
    """
    scan(path, (KeywordFeed(tuple(markers), feed),), chunk_bytes=chunk_bytes, wording=TEXT_WORDING)
