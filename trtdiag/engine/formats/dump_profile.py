"""``trtexec --dumpProfile`` tables in a log.

=====================  ===========================================================================
variant                what it looks like
=====================  ===========================================================================
``dump-profile-7``     7.x-8.5: right-aligned names first, then ``Time (ms)  Avg. Time (ms)  Time %``,
                       and a ``Total`` row
``dump-profile-86``    8.6-10.x: ``Time(ms) Avg.(ms) Median(ms) Time(%) Layer`` (numbers first, name
                       last) and a ``Total`` row
=====================  ===========================================================================

When a log holds several tables (one per run), the last one with rows is returned; ``runs`` says
how many were found. TRT 7.x tables copied without their ``=== Profile ===`` line start at the
column header (``iterations`` is then None); a file holding only rows (no header at all) is read by
:func:`read` when nothing else was found: two or more consecutive rows make a table.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from trtdiag.engine.formats.common import settle_profiles, split_profile
from trtdiag.engine.formats.section import is_text
from trtdiag.engine.model import EngineProfile, FormatId, LayerTiming
from trtdiag.errors import InputError
from trtdiag.io.files import open_binary_stream
from trtdiag.io.prefix import split_prefix
from trtdiag.io.scan import scan_marked_lines

FORMAT = FormatId.DUMP_PROFILE

NUM = r"-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?|inf|nan"
_PROFILE_HEAD = re.compile(r"^=== Profile \((?P<n>\d+) iterations ?\) ===$")
_ROW_86 = re.compile(rf"^(?P<t>{NUM})\s+(?P<a>{NUM})\s+(?P<m>{NUM})\s+(?P<p>{NUM})\s+(?P<name>\S.*)$")
_ROW_7 = re.compile(rf"^(?P<name>\S.*?)\s+(?P<t>{NUM})\s+(?P<a>{NUM})\s+(?P<p>{NUM})$")


@dataclass
class _Table:
    iterations: int | None
    style: str | None = None  # "86" or "7"
    layers: list[LayerTiming] = field(default_factory=list)
    total_ms: float | None = None


class DumpProfileConsumer:
    """Line consumer collecting every ``=== Profile (N iterations ) ===`` table of a log."""

    keywords: tuple[bytes, ...] = (b"=== Profile (", b"Avg. Time (ms)", b"Median(ms)")

    def __init__(self, source: str) -> None:
        self.source = source
        self.tables: list[_Table] = []
        self._cur: _Table | None = None

    def feed(self, number: int, text: str) -> bool:
        msg = split_prefix(number, text).message
        cur = self._cur
        if cur is not None:
            if cur.style is None:
                cur.style = _column_header_style(msg)
                if cur.style is not None:
                    return True
                self._cur = None
            else:
                m = (_ROW_86 if cur.style == "86" else _ROW_7).match(msg)
                if m is not None:
                    self._row(cur, m)
                    return True
                self._cur = None
        m = _PROFILE_HEAD.match(msg)
        if m is not None:
            self._cur = _Table(iterations=int(m.group("n")))
            self.tables.append(self._cur)
            return True
        style = _column_header_style(msg)
        if style is not None:  # a table copied without its "=== Profile ===" line
            self._cur = _Table(iterations=None, style=style)
            self.tables.append(self._cur)
            return True
        return False

    def feed_rows_only(self, number: int, text: str) -> None:
        """Second chance for a file of bare rows (no header line at all): consecutive rows of either
        style make a table; tables of one row are dropped as chance matches."""
        msg = split_prefix(number, text).message
        cur = self._cur
        for style, rx in (("86", _ROW_86), ("7", _ROW_7)):
            m = rx.match(msg)
            if m is not None and (cur is None or cur.style == style):
                if cur is None:
                    cur = self._cur = _Table(iterations=None, style=style)
                    self.tables.append(cur)
                self._row(cur, m)
                return
        self._cur = None

    @staticmethod
    def _row(table: _Table, m: re.Match[str]) -> None:
        name = m.group("name").strip()
        time_ms = float(m.group("t"))
        average = float(m.group("a"))
        if name == "Total":
            table.total_ms = average
            return
        clean, profile = split_profile(name)
        median = float(m.group("m")) if table.style == "86" else None
        table.layers.append(LayerTiming(clean, profile, time_ms, average, median, float(m.group("p"))))

    def finish(self, min_rows: int = 1) -> EngineProfile | None:
        """The last table with rows (at least ``min_rows``), None when there is none."""
        tables = [t for t in self.tables if len(t.layers) >= min_rows]
        if not tables:
            return None
        last = tables[-1]
        layers = settle_profiles(last.layers)
        total = last.total_ms if last.total_ms is not None else sum(t.average_ms for t in layers)
        return EngineProfile(
            source=self.source,
            format="dump-profile-86" if last.style == "86" else "dump-profile-7",
            iterations=last.iterations,
            runs=len(tables),
            layers=tuple(layers),
            total_ms=total,
        )


def sniff(head: bytes) -> bool:
    return is_text(head)


def read(path: str | os.PathLike[str]) -> EngineProfile:
    """The last ``--dumpProfile`` table of a log; InputError when there is none."""
    p = Path(path)
    consumer = DumpProfileConsumer(str(p))
    scan_marked_lines(p, consumer.keywords, consumer.feed)
    profile = consumer.finish()
    if profile is None:
        profile = _read_rows_only(p)
    if profile is None:
        raise InputError(f"no per-layer profile found in {p} (expected trtexec --dumpProfile output or "
                         "--exportProfile JSON)")
    return profile


def _column_header_style(msg: str) -> str | None:
    if "Median(ms)" in msg or ("Time(ms)" in msg and "Layer" in msg):
        return "86"
    if "Avg. Time (ms)" in msg:
        return "7"
    return None


#: Bare rows are looked for only in files up to this size: such files are excerpts, and a whole
#: multi-gigabyte log must not be read line by line in Python for a table it does not hold.
ROWS_ONLY_MAX_BYTES = 4 << 20


def _read_rows_only(p: Path) -> EngineProfile | None:
    """A file of bare profile rows: every line is looked at (such files are small excerpts)."""
    if p.stat().st_size > ROWS_ONLY_MAX_BYTES:
        return None
    consumer = DumpProfileConsumer(str(p))
    with open_binary_stream(p) as stream:
        for number, raw in enumerate(stream, 1):
            consumer.feed_rows_only(number, raw.decode("utf-8", "replace").rstrip("\r\n"))
    return consumer.finish(min_rows=2)
