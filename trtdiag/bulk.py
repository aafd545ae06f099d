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
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from itertools import islice
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

    Why not one search per name: a log can warn about a million distinct tensors. The names are joined by
    newlines (a slice of :data:`SLICE` names at a time, which bounds the joined text's memory), lowered and
    searched once (a case-sensitive search of the lowered text is many times faster than a
    case-insensitive one); only the lines that match are located."""
    out: list[int] = []
    chunks = iter(names)
    base = 0
    while part := list(islice(chunks, SLICE)):
        out.extend(base + i for i in _slice_with(words, part))
        base += len(part)
    return out


#: Names joined and searched at a time.
SLICE = 65536


def _slice_with(words: re.Pattern[str], names: list[str]) -> list[int]:
    text = "\n".join(names)
    if not text.isascii() or text.count("\n") != max(len(names) - 1, 0):
        # lowering non-ASCII text may change its length, and a name may hold a newline: one by one
        return [i for i, name in enumerate(names) if words.search(name.lower())]
    text = text.lower()
    out: list[int] = []
    line = last = 0
    m = words.search(text)
    while m is not None:
        line += text.count("\n", last, m.start())
        out.append(line)
        last = text.find("\n", m.start())
        if last < 0:
            break
        m = words.search(text, last)
    return out
