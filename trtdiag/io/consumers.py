"""What a pass over a text file feeds (:func:`trtdiag.io.scan.scan`): the consumer protocols.

A module of their own so that the pass (:mod:`trtdiag.io.scan`) and its per-chunk dispatch
(:mod:`trtdiag.io.dispatch`) both name them without importing each other.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol


class LineConsumer(Protocol):
    """Anything a pass can feed: its keywords, and ``feed(line number, text) -> inside a section``."""

    @property
    def keywords(self) -> tuple[bytes, ...]: ...

    def feed(self, number: int, text: str) -> bool: ...


@dataclass(frozen=True)
class KeywordFeed:
    """A plain callback as a :class:`LineConsumer` (e.g. a parser's bound ``feed`` and its markers)."""

    keywords: tuple[bytes, ...]
    callback: Callable[[int, str], bool]

    def feed(self, number: int, text: str) -> bool:
        return self.callback(number, text)


class RoutedConsumer(LineConsumer, Protocol):
    """A consumer that also wants to know *which* of its strings a line holds, to route the line inside.

    ``routes`` maps byte strings to route bits (bits 0-62): its keywords, and triggers that are not
    keywords (a trigger never makes a line a candidate; it only adds its bits to a line that is one).
    ``feed_routed`` gets the OR of the bits of every string the line holds (0 while the consumer is
    inside a section and the line holds none). Only the first consumer of a pass is routed."""

    @property
    def routes(self) -> Mapping[bytes, int]: ...

    def feed_routed(self, number: int, text: str, route: int) -> bool: ...


class FastConsumer(RoutedConsumer, Protocol):
    """A routed consumer with a fast path for its most frequent lines (a log's missing-scale warnings, the
    parser lines of the builds it will not return): a line whose route bits all lie in ``fast_mask`` goes to
    ``feed_fast``, which returns True when it took the line (it is then not fed again), False to have it fed
    as usual. Only for lines no other consumer wants, while none is inside a section."""

    fast_mask: int

    def feed_fast(self, number: int, text: str, route: int) -> bool: ...
