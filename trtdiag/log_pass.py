"""The consumers of ``analyze``'s one pass over a build log, and their keyword search started ahead of it.

Why here: :func:`trtdiag.analysis.analyze` reads the log with the log collector and the engine-artifact
consumers (:class:`~trtdiag.engine.artifacts.LogScan`) in one pass. The CLI calls :func:`start_search` before it
imports the rest of the analysis (rules, lint, reports: 0.1-0.2 s), so that on a large log the search process
(trtdiag/io/hits_process.py) is already reading when the pass begins; the pass takes it over when its consumers
have the same keywords (:func:`trtdiag.log.collector.read_log` feeds the collector first, then the
``LogScan`` consumers, as here).
"""

from __future__ import annotations

import os

from trtdiag.engine.artifacts import LogScan
from trtdiag.io.scan import prestart
from trtdiag.log.collector import LogCollector


def start_search(log: str | os.PathLike[str], scanner: str = "auto") -> None:
    """Start the keyword search of the coming pass over ``log`` (only where a second process would do it)."""
    prestart(log, (LogCollector(), *LogScan(log).consumers), scanner=scanner)
