"""Which handlers a log line goes to, decided from the strings the scanner found on it.

Why: a verbose log hands the collector hundreds of thousands of lines, and offering each to every
handler (14 Python calls) cost more than everything else of the read. The scanner reports which
strings a line holds (:class:`trtdiag.io.scan.RoutedConsumer`); each handler declares its
``triggers``, the strings without which its ``feed`` does nothing (a superset of its keywords where
it also looks at lines other families bring in; ``None`` for a handler that looks at every line,
such as the producer votes). A line goes, in registry order, only to the handlers it can concern,
so the facts are exactly those of offering it to all of them (``tests/test_log_routing.py`` checks
it on every fixture and corpus log).

The most frequent line of all, a plain trtexec "Missing scale" warning, has a fast path that does in
one regex what the prefix splitter, the producer vote, the INT8-evidence and missing-scale handlers
would do (:func:`plain_missing_scale`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from trtdiag.log.handlers.missing_scale import MISSING_PREFIXES, MISSING_SUFFIX
from trtdiag.log.segments import KEYWORDS as SEGMENT_KEYWORDS
from trtdiag.log.state import Handler

#: Route bit of the build start markers (:mod:`trtdiag.log.segments`); handler i has bit i + 1.
SEGMENT_BIT = 1
#: Route bit of the strings that rule the plain missing-scale fast path out (:data:`FAST_BLOCKERS`).
BLOCK_BIT = 1 << 62
#: Every bit: a line fed without routing information goes everywhere (and never takes the fast path).
ALL_ROUTES = (1 << 63) - 1
#: Strings that would make the producer vote of a missing-scale line differ from "trtexec" (see
#: :mod:`trtdiag.log.handlers.producer`): another producer's marker, or a sample's name. Found by the
#: scanner with the keywords, so a line of the fast route is known to hold none of them.
FAST_BLOCKERS = (b":onnxruntime:", b"nvdsinfer", b"Conversion Context]", b"ample")


def triggers_of(handler: Handler) -> tuple[bytes, ...] | None:
    """The strings a handler needs on a line to act on it (its keywords unless it says otherwise)."""
    if hasattr(handler, "triggers"):
        triggers: tuple[bytes, ...] | None = handler.triggers
        return triggers
    return tuple(handler.keywords)


class Router:
    """The route table of one handler registry: strings -> route bits, and route -> handlers to call."""

    def __init__(self, handlers: Sequence[Handler]) -> None:
        if len(handlers) > 60:
            raise ValueError("at most 60 log handlers can be routed")
        routes: dict[bytes, int] = {k: SEGMENT_BIT for k in SEGMENT_KEYWORDS}
        for blocker in FAST_BLOCKERS:
            routes[blocker] = routes.get(blocker, 0) | BLOCK_BIT
        self._always = 0  # handler bits fed every line
        self._bit_of: dict[str, int] = {}
        for i, handler in enumerate(handlers):
            bit = 1 << (i + 1)
            self._bit_of[type(handler).__name__] = bit
            triggers = triggers_of(handler)
            if triggers is None:
                self._always |= bit
                continue
            for trigger in triggers:
                routes[trigger] = routes.get(trigger, 0) | bit
        self.routes = routes
        self._count = len(handlers)
        self._cache: dict[int, tuple[int, ...]] = {}

    def targets(self, route: int) -> tuple[int, ...]:
        """Indexes of the handlers a line with ``route`` goes to, in registry order."""
        found = self._cache.get(route)
        if found is None:
            wanted = route | self._always
            found = tuple(i for i in range(self._count) if wanted >> (i + 1) & 1)
            if len(self._cache) < 4096:  # routes are combinations of a few bits: this never fills in practice
                self._cache[route] = found
        return found

    def bit(self, handler_class: type) -> int:
        """The route bit of a handler class of the registry (0 when it is not in it)."""
        return self._bit_of.get(handler_class.__name__, 0)

    def always(self) -> int:
        """The bits of the handlers fed every line."""
        return self._always


#: A trtexec-style "Missing scale" warning: ``[date] [W] [TRT] Missing scale and zero-point for tensor ``.
#: Exactly what :func:`trtdiag.io.prefix.split_prefix` strips for such a line (one space after each
#: bracket, and "Missing" cannot start another prefix token), then the handler's own prefix.
_PLAIN_MISSING = re.compile(
    r"\[\d\d/\d\d/\d{4}-\d\d:\d\d:\d\d\] \[[VIWEF]\] \[TRT\] " + re.escape(MISSING_PREFIXES[0][0])
)
def plain_missing_scale(text: str) -> str | None:
    """The tensor of a plain trtexec missing-scale warning (severity prefix, no other prefix), or None.

    None means "take the general path": another prefix style, a warning without its ``, expect fall
    back`` tail. The caller knows from the route that the line holds none of :data:`FAST_BLOCKERS`.
    """
    m = _PLAIN_MISSING.match(text)
    if m is None:
        return None
    start = m.end()
    end = text.find(MISSING_SUFFIX, start + 1)
    return text[start:end] if end >= 0 else None
