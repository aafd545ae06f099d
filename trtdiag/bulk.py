"""Building millions of small objects without the cyclic garbage collector looking at each of them.

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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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
