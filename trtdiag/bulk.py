"""Working on a million warned names at once: objects built without the cyclic garbage collector looking at
each of them, and names searched in one pass.

Why: a log can warn about a million distinct tensors, and the pipeline keeps one small object per
tensor (its log record, its mapping). CPython's cyclic collector runs every few hundred allocations
and, now and then, walks every live object: building a million of them took several times longer
than the objects themselves. Nothing the pipeline builds forms reference cycles (frozen records
pointing at shared, immutable data), so reference counting frees all of it; the collector is paused
while the pipeline runs and resumed, as it was, afterwards.
"""

from __future__ import annotations

import functools
import gc
import re
from bisect import bisect_right
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from itertools import accumulate, islice
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector inside the block (nested blocks: the outermost one resumes it)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def without_gc_pauses(fn: Callable[P, R]) -> Callable[P, R]:
    """``fn`` run inside :func:`gc_paused`."""

    @functools.wraps(fn)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        with gc_paused():
            return fn(*args, **kwargs)

    return run


def names_with(words: re.Pattern[str], names: Sequence[str]) -> list[int]:
    """Indices of the names in whose lower-case form ``words`` finds a match, in order. ``words`` is a
    pattern of lower-case plain words (no anchors, nothing that matches a newline).

    Why not one search per name: a log can warn about a million distinct tensors. The names are searched
    a slice at a time through :class:`JoinedNames`, lowered (a case-sensitive search of the lowered text is
    many times faster than a case-insensitive one)."""
    out: list[int] = []
    chunks = iter(names)
    base = 0
    while part := list(islice(chunks, SLICE)):
        out.extend(base + i for i in JoinedNames(part).hits(words, lower=True))
        base += len(part)
    return out


#: Names joined and searched at a time: bounds the joined text's memory.
SLICE = 65536


class JoinedNames:
    """A slice of names joined by newlines, so that a pattern searches all of them in one call.

    Each search is line-anchored (``re.MULTILINE``) and lazy: a caller that wants the first few hits stops
    there. Case-insensitive patterns (a leading ``(?i)``) search the lowered text without the flag. Names
    that are not ASCII (lowering may change their length) or that hold a newline are searched one by one."""

    def __init__(self, names: Sequence[str]) -> None:
        self.names = names
        self.text = "\n".join(names)
        self.bulk = self.text.isascii() and self.text.count("\n") == max(len(names) - 1, 0)
        self._lower: str | None = None
        self._starts: list[int] | None = None

    def hits(self, pattern: re.Pattern[str], needles: tuple[str, ...] = (), *, lower: bool = False
             ) -> Iterator[int]:
        """Indices of the names ``pattern`` finds a match in (in their lower-case form with ``lower``), in
        order; none when the searched text holds none of ``needles`` (plain words, a fast ``in`` test)."""
        if not self.bulk:
            yield from (i for i, name in enumerate(self.names) if pattern.search(name.lower() if lower else name))
            return
        rx = re.compile(pattern.pattern, pattern.flags | re.MULTILINE)
        if pattern.flags & re.IGNORECASE and pattern.pattern.startswith("(?i)"):
            lower = True
            rx = re.compile(pattern.pattern[4:], (pattern.flags & ~re.IGNORECASE) | re.MULTILINE)
        text = self._lowered() if lower else self.text
        if needles and not any(n in text for n in needles):
            return
        m = rx.search(text)
        if m is None:
            return
        if self._starts is None:
            self._starts = list(accumulate((len(n) + 1 for n in self.names), initial=0))
        starts, last = self._starts, len(self.names) - 1
        while m is not None:
            line = bisect_right(starts, m.start()) - 1
            yield line
            m = rx.search(text, starts[line + 1]) if line < last else None

    def _lowered(self) -> str:
        if self._lower is None:
            self._lower = self.text.lower()
        return self._lower
