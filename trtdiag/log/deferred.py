"""Lines held back from the handlers whose facts only the analysed build needs, replayed when those facts are read.

Why: a log of a thousand builds (CI retry loops, ``polygraphy debug precision``, concatenated runs) is
analysed for one build; the others only get a row in the builds table (:class:`trtdiag.log.facts.BuildSegment`).
The verbose parser's ``Registering``/``Parsing node`` lines are the most frequent keyword lines of such a log
(two thirds of them in a verbose trtexec build) and none of them changes a row. A handler that says
``deferrable = True`` contributes nothing a row, the build segmentation or another handler reads before
:meth:`~trtdiag.log.collector.LogCollector.result`; its lines are kept as text (with their route) and fed to it
only when its facts are drafted: for the build that is returned, and whenever the segmentation asks whether
the build has content. A finished build that is not returned drops them unread.

The result is the one of feeding every line at once (``tests/test_log_routing.py`` checks it on every fixture
and corpus log): the producer vote a held line would have cast is counted when it is held (only lines with a
plain trtexec or Python-API prefix are held, whose vote is known from :data:`DATED_PREFIX`), and the replay
resets ``LogState.incomplete`` before each line as the collector does. At most :data:`HOLD_LIMIT` lines are held:
a build that prints more is replayed then and there (memory stays bounded on a single gigabyte build).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from trtdiag.io.prefix import split_prefix
from trtdiag.log.handlers.producer import DATED_PREFIX
from trtdiag.log.state import Handler, LogState

#: Held lines of one build before they are replayed anyway (a few MB of text).
HOLD_LIMIT = 50_000


def deferrable(handler: Handler) -> bool:
    """Does the handler allow its lines to be held back (class attribute ``deferrable``)?"""
    return bool(getattr(handler, "deferrable", False))


@dataclass
class HeldLines:
    """The held lines of one build, and the producer votes they cast."""

    lines: list[tuple[int, str, int]] = field(default_factory=list)  # (line number, text, route)
    trtexec_votes: int = 0
    python_api_votes: int = 0
    last_fed: bool = False  # the last line the collector was fed is held here

    def hold(self, number: int, text: str, route: int) -> bool:
        """Hold a line if its prefix is a plain trtexec/Python-API one (False: feed it the usual way)."""
        if text[:1] != "[" or text[-1:] == "\r" or "\ufffd" in text:
            return False
        m = DATED_PREFIX.match(text)
        if m is None:
            return False
        if m.group("py") is None:
            self.trtexec_votes += 1
        else:
            self.python_api_votes += 1
        self.lines.append((number, text, route))
        self.last_fed = True
        return True

    def full(self) -> bool:
        return len(self.lines) >= HOLD_LIMIT


def replay(held: HeldLines, handlers: Sequence[Handler], state: LogState, targets: Callable[[int], tuple[int, ...]],
           skip: int) -> None:
    """Feed the held lines to their handlers (but handler ``skip``, the producer, whose votes are cast) and
    empty the list. ``state.incomplete`` ends as the collector would have left it."""
    lines, held.lines = held.lines, []
    if not lines:
        return
    saved = state.incomplete
    state.other_producer_markers = False  # a held line holds none (trtdiag/log/routing.py, FAST_BLOCKERS)
    for number, text, route in lines:
        line = split_prefix(number, text)
        state.incomplete = None
        for i in targets(route):
            if i != skip and handlers[i].feed(line, state):
                break
    if not held.last_fed:  # lines fed after the held ones decided it
        state.incomplete = saved
