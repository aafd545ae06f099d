"""A JSON document written in pieces, so that a document with a million rows never exists as one string.

:func:`iter_json` yields the text ``json.dumps(doc, indent=2, ensure_ascii=False, allow_nan=False) + "\\n"``
would produce, byte for byte, as long as every list of rows is short. A list of rows that is long
(more than :data:`COMPACT_ROWS`) is written one row per line without spaces: still the same JSON value
and the same schema, about half the bytes, and encoded by the row source itself
(:meth:`trtdiag.documents.tensor_rows.TensorRows.json_lines`) without building the rows.

Why the byte-for-byte equality for short lists: documents are compared byte for byte across versions
(the fixtures' JSON must not change when the writer does).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from itertools import islice
from typing import Any, Protocol, runtime_checkable

#: Lists of rows longer than this are written one compact row per line.
COMPACT_ROWS = 10_000
#: Rows joined into one piece before it is handed to the writer (fewer, larger writes).
_BATCH = 2_000


@runtime_checkable
class StreamedRows(Protocol):
    """A list of rows that can encode itself one row at a time (compact JSON, one string per row)."""

    def __len__(self) -> int: ...

    def __iter__(self) -> Iterator[dict[str, Any]]: ...

    def json_lines(self) -> Iterator[str]: ...


def _dumps(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, allow_nan=False)


def iter_json(doc: Mapping[str, Any]) -> Iterator[str]:
    """The document as indented JSON (ending in a newline), in pieces; see the module docstring."""
    if not doc:
        yield "{}\n"
        return
    first = True
    for key, value in doc.items():
        yield ("{\n  " if first else ",\n  ") + _dumps(str(key)) + ": "
        first = False
        if isinstance(value, StreamedRows) and not isinstance(value, (list, tuple)):
            yield from _rows(value)
        else:
            yield _dumps(value).replace("\n", "\n  ")
    yield "\n}\n"


def _rows(rows: StreamedRows) -> Iterator[str]:
    """A list at the document's first level: indented as ``json.dumps`` would, or one compact row per line."""
    if len(rows) == 0:
        yield "[]"
        return
    if len(rows) <= COMPACT_ROWS:
        yield "[" + ",".join("\n    " + _dumps(r).replace("\n", "\n    ") for r in rows) + "\n  ]"
        return
    yield "["
    yield from _batched(rows.json_lines())
    yield "\n  ]"


def _batched(lines: Iterable[str]) -> Iterator[str]:
    """``,\\n    ``-separated lines, joined :data:`_BATCH` at a time."""
    it = iter(lines)
    sep = "\n    "
    while batch := list(islice(it, _BATCH)):
        yield sep + ",\n    ".join(batch)
        sep = ",\n    "
