"""The ``missing_scale`` rows of the analysis document: one per warned tensor, made on demand.

Why not a list of dicts: a log can warn about a million distinct tensors. A list of row dicts costs
about a kilobyte per tensor, and the JSON document is written row by row anyway
(:mod:`trtdiag.documents.stream`), while the HTML report shows the first rows and totals. So the
document holds a :class:`TensorRows` view over the mapped tensors: rows are built when read, totals by a
column are counted per shared mapping (:attr:`trtdiag.naming.MappingSummary.groups`), and
:meth:`TensorRows.json_lines` encodes rows without building them, from the part of each row that its
mapping shares with every other tensor mapped the same way.
"""

from __future__ import annotations

import json
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, overload

from trtdiag.mapped_tensor import Columns, Row
from trtdiag.naming import BY_NONE, MappedTensor, MappedTensors, MappingGroup, TensorMapping

# (column, MappedTensor attribute); tuples become JSON lists.
TENSOR_FIELDS = (
    ("tensor", "tensor"), ("count", "count"), ("first_line", "first_line"), ("lines", "lines"), ("class", "cls"),
    ("onnx_tensor", "onnx_tensor"), ("onnx_node", "onnx_node"), ("onnx_consumers", "onnx_consumers"),
    ("op_type", "op_type"), ("block", "block"), ("submodule", "submodule"), ("mapped_by", "mapped_by"),
    ("dtype", "dtype"), ("is_integer", "is_integer"), ("weight_path", "weight_path"), ("reason", "reason"),
    ("wording", "wording"), ("replay_confidence", "replay_confidence"),
)
TENSOR_COLUMNS = tuple(column for column, _ in TENSOR_FIELDS)

#: The columns after ``lines``: the mapping's fields and the warning's wording (a record field), in order.
_SHARED_FIELDS = TENSOR_FIELDS[4:]
_COLUMN_ATTR = dict(TENSOR_FIELDS)
#: Tensors per block of :meth:`TensorRows.json_lines` from the reader's columns.
_BLOCK = 4096
#: A row's columns up to its lines: name (encoded), count, first line, the one line.
_ROW_HEAD = '{{"tensor":{},"count":{},"first_line":{},"lines":[{}]'
_encode_str = json.encoder.encode_basestring  # a str as a JSON string (the C encoder when available)


def tensor_row(t: MappedTensor) -> dict[str, Any]:
    """One warned tensor as a JSON row (keys in :data:`TENSOR_COLUMNS` order)."""
    row = {column: getattr(t, attr) for column, attr in TENSOR_FIELDS}
    return {k: list(v) if isinstance(v, tuple) else v for k, v in row.items()}


def compact_json(value: Any) -> str:
    """JSON without spaces (``allow_nan=False``, non-ASCII kept): the encoding of one row per line."""
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


class TensorRows(Sequence[dict[str, Any]]):
    """The rows of :data:`TENSOR_COLUMNS`, one per mapped tensor, built when read."""

    def __init__(self, tensors: Sequence[MappedTensor], groups: Sequence[MappingGroup]) -> None:
        self._tensors = tensors
        self._groups = groups

    def __len__(self) -> int:
        return len(self._tensors)

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...

    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...

    def __getitem__(self, index: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        if isinstance(index, slice):
            return [tensor_row(t) for t in self._tensors[index]]
        return tensor_row(self._tensors[index])

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return (tensor_row(t) for t in self._tensors)

    def json_lines(self) -> Iterator[str]:
        """Every row as :func:`compact_json` would encode it, without building the row.

        The columns after ``lines`` come from the shared mapping and the wording: encoded once per
        (mapping, wording) and reused for every tensor mapped the same way."""
        tails: dict[tuple[int, str], str] = {}
        last: tuple[TensorMapping | None, str | None] = (None, None)
        tail = ""
        encode = _encode_str
        tensors = self._tensors
        if isinstance(tensors, MappedTensors) and (columns := tensors.columns()) is not None:
            yield from self._column_lines(tensors, columns)
            return
        rows: Iterable[Row] = tensors.rows() if isinstance(tensors, MappedTensors) else (
            (t.tensor, t.count, t.first_line, t.lines, t.wording, t.mapping) for t in tensors)
        for name, count, first_line, lines, wording, m in rows:
            if m is not last[0] or wording != last[1]:  # consecutive tensors mostly share both
                last = (m, wording)
                key = (id(m), wording)
                if key not in tails:
                    tails[key] = "," + compact_json(self._shared(m, wording))[1:]
                tail = tails[key]
            listed = lines[0] if len(lines) == 1 else ",".join(map(str, lines))
            yield (f'{{"tensor":{encode(name)},"count":{count:d},"first_line":{first_line:d},'
                   f'"lines":[{listed}]{tail}')

    def _column_lines(self, tensors: MappedTensors, c: Columns) -> Iterator[str]:
        """:meth:`json_lines` from the reader's arrays, :data:`_BLOCK` tensors at a time. A block whose
        tensors share one mapping and one wording and were warned once each (the million-distinct-names
        case) is formatted by ``str.format`` mapped over its columns, without a Python step per row."""
        tails: dict[int, str] = {}
        more_at = sorted(c.more)
        for start in range(0, len(c.names), _BLOCK):
            stop = min(start + _BLOCK, len(c.names))
            k, w = c.numbers[start], c.wordings[start]
            key = k << 8 | w
            if key not in tails:
                tails[key] = "," + compact_json(self._shared(tensors.mapping(k), tensors.wording(start)))[1:]
            size = stop - start
            if (c.numbers[start:stop].count(k) == size and c.wordings[start:stop].count(w) == size
                    and bisect_left(more_at, start) == bisect_left(more_at, stop)):
                fmt = _ROW_HEAD + tails[key].replace("{", "{{").replace("}", "}}")
                firsts = c.firsts[start:stop]
                yield from map(fmt.format, map(_encode_str, c.names[start:stop]), c.counts[start:stop], firsts,
                               firsts)
            else:
                yield from self._mixed_lines(tensors, c, range(start, stop), tails)

    def _mixed_lines(self, tensors: MappedTensors, c: Columns, block: range, tails: dict[int, str]) -> Iterator[str]:
        """Rows of a block one by one: each row's tail by (mapping number, wording number)."""
        for i in block:
            k, w, first = c.numbers[i], c.wordings[i], c.firsts[i]
            key = k << 8 | w
            tail = tails.get(key)
            if tail is None:
                tail = tails[key] = "," + compact_json(self._shared(tensors.mapping(k), tensors.wording(i)))[1:]
            extra = c.more.get(i)
            listed = first if extra is None else ",".join(map(str, (first, *extra)))
            yield (f'{{"tensor":{_encode_str(c.names[i])},"count":{c.counts[i]:d},"first_line":{first:d},'
                   f'"lines":[{listed}]{tail}')

    @staticmethod
    def _shared(m: TensorMapping, wording: str) -> dict[str, Any]:
        """The columns after ``lines`` of every tensor with this mapping and wording, in column order."""
        values = {column: wording if attr == "wording" else getattr(m, attr) for column, attr in _SHARED_FIELDS}
        return {k: list(v) if isinstance(v, tuple) else v for k, v in values.items()}

    def grouped(self, column: str) -> list[dict[str, Any]]:
        """Tensors, warnings and mapped tensors per value of a mapping column (``class``, ``op_type``,
        ``block``, ``submodule``...), most tensors first, ties in order of first appearance; ``(none)``
        for no value. Counted over the shared mappings, not the rows."""
        attr = _COLUMN_ATTR[column]
        out: dict[str, dict[str, Any]] = {}
        for g in self._groups:
            value = getattr(g.mapping, attr)
            key = "(none)" if value is None or value == "" else str(value)
            entry = out.setdefault(key, {"key": key, "tensors": 0, "warnings": 0, "mapped": 0})
            entry["tensors"] += g.tensors
            entry["warnings"] += g.warnings
            entry["mapped"] += g.tensors if g.mapping.mapped_by != BY_NONE else 0
        return sorted(out.values(), key=lambda e: -e["tensors"])

    def unmapped(self, limit: int) -> list[dict[str, Any]]:
        """Unmapped tensors by reason, most first: ``reason``, ``count``, ``class`` (of the first name)
        and the first ``limit`` rows of each reason."""
        counts: dict[str, int] = {}
        for g in self._groups:
            if g.mapping.mapped_by == BY_NONE:
                reason = g.mapping.reason or "(no reason recorded)"
                counts[reason] = counts.get(reason, 0) + g.tensors
        rows: dict[str, list[dict[str, Any]]] = {reason: [] for reason in counts}
        wanted = sum(min(n, limit) for n in counts.values())
        for t in self._tensors:
            if wanted == 0:
                break
            if t.mapping.mapped_by == BY_NONE:
                bucket = rows[t.mapping.reason or "(no reason recorded)"]
                if len(bucket) < limit:
                    bucket.append(tensor_row(t))
                    wanted -= 1
        groups = [{"reason": r, "count": n, "rows": rows[r]} for r, n in counts.items()]
        return sorted(groups, key=lambda g: -g["count"])
