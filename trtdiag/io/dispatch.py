"""The main-process half of a pass: the lines of each searched chunk handed to the consumers, in file order.

See :mod:`trtdiag.io.scan` for the pass as a whole; this module holds what happens per chunk once its keyword
lines are known (:class:`~trtdiag.io.chunks.ChunkHits`): the first consumer's routed and fast paths, sections
that need every line, and :class:`ScanControl`, through which a consumer learns the file offset of the line it is
fed and can stop the other consumers' feeding (trtdiag/log_pass.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from trtdiag.io.chunks import ChunkHits
from trtdiag.io.consumers import LineConsumer


@dataclass
class ScanControl:
    """What the consumers of a pass may read of it, or change in it.

    ``offset``: the file offset of the line being fed on the general path (-1 where the input cannot be read
    again from an offset: a stream, a gzip file, after a line cut at its cap). ``disabled``: consumers no longer
    fed (bit i: consumer i; never the first)."""

    offset: int = -1
    disabled: int = 0


class Dispatch:
    """Feeds the lines of each searched chunk to the consumers, in file order (main thread)."""

    def __init__(self, consumers: Sequence[LineConsumer], control: ScanControl | None = None) -> None:
        self._consumers = tuple(enumerate(consumers))
        self.control = control if control is not None else ScanControl()
        self._base = -1  # file offset of the current chunk (-1: unknown)
        first = consumers[0] if consumers else None
        self._routed: Callable[[int, str, int], bool] | None = getattr(first, "feed_routed", None)
        self._fast: Callable[[int, str, int], bool] | None = getattr(first, "feed_fast", None)
        # no route lies within an empty mask: no fast path
        self._fast_mask: int = getattr(first, "fast_mask", 0) if self._fast is not None else 0
        self.active = 0  # bit i set: consumer i is inside a section
        # consumer mask -> (bit, feed) of those consumers: a line visits only its own consumers
        self._targets: dict[int, tuple[tuple[int, Callable[[int, str], bool]], ...]] = {}
        self.lines = 0  # lines before the current chunk
        self.candidates = 0
        self.undecodable = 0
        self.crlf = False
        self.ends_with_newline = True

    def chunk(self, chunk: memoryview, hits: ChunkHits, base: int = -1) -> None:
        """Feed one chunk's lines; ``base`` is its offset in the file (-1 when it cannot be read again there)."""
        self._base = base
        rows, ends, masks, routes = hits.rows, hits.ends, hits.masks, hits.routes
        n_found = len(rows)
        i = 0  # next keyword line
        row = 0  # row of the next line to feed when a consumer is active
        pos = 0  # its byte offset
        window = _Window(chunk)  # copies of the chunk's bytes around the sections that need every line
        while True:
            if not self.active:
                while i < n_found and rows[i] < row:
                    i += 1
                if i == n_found:
                    break
                i = self._run(chunk, hits, i)
                row, pos = rows[i - 1] + 1, ends[i - 1] + 1
                continue
            if pos >= len(chunk):
                break
            end = window.line_end(pos)
            mask = route = 0
            if i < n_found and rows[i] == row:
                mask, route = masks[i], routes[i]
                i += 1
            self._feed(row, chunk, pos, end, mask, route)
            row, pos = row + 1, end + 1
        self.lines += hits.newlines if hits.ends_with_newline else hits.newlines + 1
        self.ends_with_newline = hits.ends_with_newline
        self.crlf = self.crlf or hits.crlf

    def _run(self, chunk: memoryview, hits: ChunkHits, i: int) -> int:
        """Feed keyword lines from ``i`` on while no consumer is active; returns the next index.

        The loop of a log of a million warnings: everything it needs is bound to locals, and the
        lines of the first consumer's fast route go straight to its ``feed_fast``."""
        rows, starts, ends, masks, routes = hits.rows, hits.starts, hits.ends, hits.masks, hits.routes
        feed, fast, fast_mask, control = self._feed, self._fast, self._fast_mask, self.control
        base = self.lines + 1
        n_found = len(rows)
        taken = 0
        while i < n_found:
            route, mask = routes[i], masks[i] & ~control.disabled
            if not mask:  # only consumers no longer fed want it
                i += 1
                continue
            if route and route & fast_mask == route and mask == 1 and fast is not None and fast(
                    base + rows[i], str(chunk[starts[i] : ends[i]], "utf-8", "replace"), route):
                taken += 1
                i += 1
                continue
            feed(rows[i], chunk, starts[i], ends[i], mask, routes[i])
            i += 1
            if self.active:
                break
        self.candidates += taken
        return i

    def _feed(self, row: int, chunk: memoryview, start: int, end: int, mask: int, route: int) -> None:
        cr = end > start and chunk[end - 1] == 13
        text = str(chunk[start : end - 1 if cr else end], "utf-8", "replace")
        if mask & 1:
            self.candidates += 1
            self.crlf = self.crlf or cr
            if "\ufffd" in text and b"\xef\xbf\xbd" not in bytes(chunk[start:end]):
                self.undecodable += 1
        self.control.offset = self._base + start if self._base >= 0 else -1
        targets = (mask | self.active) & ~self.control.disabled
        feeds = self._targets.get(targets)
        if feeds is None:
            feeds = self._targets[targets] = tuple(
                (bit, consumer.feed) for bit, consumer in self._consumers if targets >> bit & 1)
        active = 0
        number = self.lines + row + 1
        routed = self._routed
        for bit, feed in feeds:
            if bit == 0 and routed is not None:
                if routed(number, text, route):
                    active |= 1
            elif feed(number, text):
                active |= 1 << bit
        self.active = active & ~self.control.disabled


class _Window:
    """The newline search of the lines a section needs (every line, keyword or not), on a copy of the part of
    the chunk it reads rather than the whole chunk: a log of a thousand builds opens a section in every chunk,
    and copying each 8 MB chunk whole cost 0.1 s per GiB."""

    SIZE = 1 << 16

    def __init__(self, chunk: memoryview) -> None:
        self._chunk = chunk
        self._start = 0
        self._data = b""

    def line_end(self, pos: int) -> int:
        """Offset of the newline ending the line that starts at ``pos`` (the chunk's length if none)."""
        size = len(self._chunk)
        while True:
            rel = pos - self._start
            if 0 <= rel < len(self._data):
                found = self._data.find(b"\n", rel)
                if found >= 0:
                    return self._start + found
                if self._start + len(self._data) >= size:
                    return size
                grow = 2 * len(self._data)  # a line longer than the rest of the copy: a larger one from pos
            else:
                grow = self.SIZE
            self._start = pos
            self._data = bytes(self._chunk[pos : pos + max(grow, self.SIZE)])
