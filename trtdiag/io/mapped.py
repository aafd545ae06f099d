"""A plain file's chunks as slices of a read-only memory map, cut where the search process cut them.

Why: with the keyword search in a second process (trtdiag/io/hits_process.py), the main process only needs the
bytes of the lines it feeds (a few percent of a verbose log). Reading the whole file again into its own buffer
cost a copy of every byte and the cache traffic that comes with it (measured on 1 GiB of concatenated builds:
0.12-0.15 s of the main process, which sets the pace). A memory map hands out the chunk the child describes
without a copy; the pages a chunk touched are given back after it (``MADV_DONTNEED``, in whole 2 MiB units),
so the resident memory stays that of one chunk however large the file.
"""

from __future__ import annotations

import mmap
from collections.abc import Callable
from pathlib import Path

from trtdiag.io.chunks import HEAD_BYTES, ChunkHits, Wording, check_head, hits_from_table
from trtdiag.io.hits_process import HitsProcess, give_back


def feed_mapped(path: Path, wording: Wording, helper: HitsProcess, feed: Callable[[memoryview, ChunkHits, int], None],
                *,
                chunk_bytes: int, on_head: Callable[[str], None] | None,
                on_progress: Callable[[int], None] | None) -> int | None:
    """Feed the chunks the search process sends, in order, until it ends or fails or sends a chunk that is not the
    next bytes of the file (a line cut at the length cap); returns the offset reached. The caller reads the rest of
    the file, if any, itself; all of it (head check included) when the file cannot be mapped (None)."""
    try:
        fh = open(path, "rb")  # noqa: SIM115 - closed below, after the map
        mm = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError):  # a file system without maps, a file emptied meanwhile
        helper.close()
        return None
    with fh, mm:
        view = memoryview(mm)
        try:
            # the head a ChunkReader would check: its first read, at most HEAD_BYTES
            check_head(bytes(view[: min(HEAD_BYTES, chunk_bytes)]), path, wording, on_head)
            return _feed_chunks(view, mm, helper, feed, on_progress)
        finally:
            view.release()


def _feed_chunks(view: memoryview, mm: mmap.mmap, helper: HitsProcess,
                 feed: Callable[[memoryview, ChunkHits, int], None],
                 on_progress: Callable[[int], None] | None) -> int:
    offset = released = 0
    while (table := helper.next_table()) is not None:
        n, gap = int(table[0, 0]), bool(table[0, 5])
        end = offset + n
        if gap or end > len(view):
            helper.close()  # not the file's next n bytes (a line cut at the cap, a file that grew): read on here
            return offset
        if n <= 0 or (view[end - 1] != 10 and end != len(view)):  # a chunk ends at a newline or at the end
            helper.failed = True
            helper.close()
            return offset
        chunk = view[offset : offset + n]
        try:
            feed(chunk, hits_from_table(table), offset)
        finally:
            chunk.release()
        released = give_back(mm, released, offset + n)
        if on_progress is not None:
            on_progress(n)
        offset += n
    return offset
