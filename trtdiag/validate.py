"""Argument checks of the library entry points, so that a mistake fails loudly instead of passing a CI gate.

Why: a NaN threshold compares False with everything and passes every build; a string where a list
of patterns is expected is iterated character by character; a path given where a result is
expected fails deep inside with an AttributeError. These checks raise errors that are both
:class:`~trtdiag.errors.InputError` (the CLI prints one line, exit 2) and the built-in exception a
Python caller expects (``ValueError``, ``TypeError``).
"""

from __future__ import annotations

import difflib
import math
import os
from collections.abc import Iterable, Mapping
from typing import Any

from trtdiag.errors import InputError
from trtdiag.onnx.shapes import Shapes, parse_shapes


class ArgumentValueError(InputError, ValueError):
    """An argument of the right type with a value that cannot be meant (NaN threshold, rank-0 shape)."""


class ArgumentTypeError(InputError, TypeError):
    """An argument of the wrong type (a path where a result is expected, a str where a list is)."""


def check_threshold(name: str, value: float | None, low: float, high: float) -> None:
    """``value`` must be None or a finite number in ``[low, high]``."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ArgumentTypeError(f"{name} must be a number, got {type(value).__name__}")
    if not (math.isfinite(value) and low <= value <= high):
        raise ArgumentValueError(f"{name} must be a finite number in [{low:g}, {high:g}], got {value}")


def check_result(obj: Any, name: str, attributes: Iterable[str]) -> None:
    """``obj`` must be a trtdiag result (an Analysis or Comparison), not None or a path."""
    if obj is None or isinstance(obj, str | bytes | os.PathLike):
        hint = " (a path? call trtdiag.analyze(...) or trtdiag.compare(...) first)" if obj is not None else ""
        raise ArgumentTypeError(f"{name} must be a trtdiag result, got {type(obj).__name__}{hint}")
    missing = [a for a in attributes if not hasattr(obj, a)]
    if missing:
        raise ArgumentTypeError(f"{name} must be a trtdiag result, got {type(obj).__name__} "
                                f"(no {', '.join(missing)})")


def check_patterns(name: str, value: Any) -> tuple[str, ...]:
    """An iterable of strings, not one string (which would be read one character at a time)."""
    if isinstance(value, str | bytes):
        raise ArgumentTypeError(f"{name} must be a list of strings, not one string: use {name}=[{value!r}]")
    try:
        items = tuple(value)
    except TypeError as exc:
        raise ArgumentTypeError(f"{name} must be a list of strings, got {type(value).__name__}") from exc
    bad = [x for x in items if not isinstance(x, str)]
    if bad:
        raise ArgumentTypeError(f"{name} must hold strings, got {type(bad[0]).__name__}")
    return items


def check_known_id(value: str, known: Iterable[str], what: str = "finding id") -> None:
    """``value`` must be one of ``known``; the error lists them and suggests the closest."""
    if not isinstance(value, str):
        raise ArgumentTypeError(f"{what} must be a str, got {type(value).__name__}")
    ids = sorted(set(known))
    if value in ids:
        return
    close = difflib.get_close_matches(value.replace("_", "-"), ids, n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    raise ArgumentValueError(f"unknown {what} {value!r}{hint}; known: {', '.join(ids)}")


def check_shapes(shapes: str | Mapping[str, Any] | None) -> Shapes | None:
    """Input shapes as trtexec text or a dict of name -> sequence of positive ints."""
    if shapes is None or isinstance(shapes, str):
        return parse_shapes(shapes) if shapes else None
    if not isinstance(shapes, Mapping):
        raise ArgumentTypeError(f"shapes must be a str or a dict, got {type(shapes).__name__}")
    out: Shapes = {}
    for name, dims in shapes.items():
        if isinstance(dims, str):
            raise ArgumentTypeError(f"shapes[{name!r}] must be a tuple of ints, not the string {dims!r} "
                                    f"(write (16, 128), or shapes=\"{name}:{dims}\")")
        try:
            values = tuple(dims)
        except TypeError as exc:
            raise ArgumentTypeError(f"shapes[{name!r}] must be a tuple of ints, got {type(dims).__name__}") from exc
        if not values or any(isinstance(d, bool) or not isinstance(d, int) or d <= 0 for d in values):
            raise ArgumentValueError(f"shapes[{name!r}] must be positive integers, got {dims!r}")
        out[str(name)] = values
    return out
