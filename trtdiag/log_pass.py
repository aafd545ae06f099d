"""``analyze``'s pass over a build log: the log's facts and its engine artifacts, and the search started ahead.

Why here: :func:`trtdiag.analysis.analyze` reads the log with the log collector and the engine-artifact consumers
(:class:`~trtdiag.engine.artifacts.LogScan`: layer listing, profile table, performance summary) in one pass.

- :func:`start_search`: the CLI calls it before it imports the rest of the analysis (rules, lint, reports:
  0.1-0.2 s), so that on a large log the search process (trtdiag/io/hits_process.py) is already reading when the
  pass begins; the pass takes it over when its consumers have the same keywords (the collector first, then the
  ``LogScan`` consumers, as :func:`read_log_pass` feeds them).
- :func:`read_log_pass`: the artifacts that matter are those of the analysed build. On a plain file, once a second
  build begins the artifact consumers are no longer fed (measured: on 1,450 concatenated verbose builds they were
  a quarter of the pass), and if the analysed build is not the first its lines are read again for them, from the
  file offsets the pass noted (:class:`~trtdiag.io.dispatch.ScanControl`). A log of one build, a gzip file or a
  stream stays a single pass with every consumer.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from trtdiag.engine.artifacts import LogScan, Role, listing_note
from trtdiag.engine.model import EngineLayers
from trtdiag.errors import TruncatedInputError
from trtdiag.io.dispatch import ScanControl
from trtdiag.io.scan import prestart, scan
from trtdiag.log.collector import LogCollector, read_log
from trtdiag.log.facts import LogFacts


def start_search(log: str | os.PathLike[str], scanner: str = "auto") -> None:
    """Start the keyword search of the coming pass over ``log`` (only where a second process would do it)."""
    prestart(log, (LogCollector(), *LogScan(log).consumers), scanner=scanner)


def read_log_pass(log: str | os.PathLike[str], *, scanner: str = "auto",
                  on_progress: Callable[[int], None] | None = None, build: int | None = None,
                  allow_truncated: bool = False) -> tuple[LogFacts, LogScan]:
    """The facts of the analysed build (the last, or ``build``) and its engine artifacts.

    A log that ends early raises :class:`~trtdiag.errors.TruncatedInputError` unless ``allow_truncated`` (its
    partial facts are then returned)."""
    control = ScanControl()
    collector = LogCollector(build=build, control=control, gate_others=True)
    scanned = LogScan(log)
    try:
        facts = read_log(log, scanner=scanner, on_progress=on_progress, extra_consumers=scanned.consumers,
                         collector=collector, control=control)
    except TruncatedInputError as exc:
        if not allow_truncated or not isinstance(exc.partial, LogFacts):
            raise
        facts = exc.partial
    if collector.gated:
        if facts.build_index != 1:
            scanned = _artifacts_of_build(log, facts, collector, scanner)
        found = scanned.found().get(Role.LAYERS)
        if collector.listing_markers >= 2 and isinstance(found, EngineLayers):
            scanned.notes.append(_listings_note(Path(log).name, collector.listing_markers, found, facts))
    return facts, scanned


def _artifacts_of_build(log: str | os.PathLike[str], facts: LogFacts, collector: LogCollector,
                        scanner: str) -> LogScan:
    """The artifact consumers fed the analysed build's lines again (the whole file if their offsets are unknown)."""
    segment = facts.builds[facts.build_index - 1]
    starts = dict(collector.build_starts)
    start = starts.get(segment.first_line, -1)
    # the next build's start, past the analysed build's last line (a tail folded back into it is part of it)
    stop = next((offset for line, offset in collector.build_starts if line > segment.last_line), None)
    scanned = LogScan(log)
    if start >= 0 and (stop is None or stop >= 0):
        scan(log, scanned.consumers, scanner=scanner, lines=(segment.first_line, start, stop))
    else:
        scan(log, scanned.consumers, scanner=scanner)
    return scanned


def _listings_note(name: str, listings: int, used: EngineLayers, facts: LogFacts) -> str:
    """The listing note of :func:`~trtdiag.engine.artifacts.listing_note`, for the analysed build's listing."""
    last = facts.build_index == len(facts.builds)
    return listing_note(name, listings, used, None if last else facts.build_index) or ""
