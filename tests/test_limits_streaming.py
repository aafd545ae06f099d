"""A million distinct warned tensors: shared mappings, rows built on demand, the JSON streamed to disk, HTML
tables capped with totals, and the calibration cache read within an entry cap. No timed assertions: the
figures are in benchmarks/bench_limits.py."""

from __future__ import annotations

import json
import random
import re
from array import array
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from trtdiag import bulk
from trtdiag.analysis import Analysis, analyze
from trtdiag.calib import cache as cache_module
from trtdiag.calib.cache import read_calibration_cache
from trtdiag.documents import stream, tensor_rows
from trtdiag.documents.stream import iter_json
from trtdiag.documents.tensor_rows import TensorRows, compact_json, tensor_row
from trtdiag.errors import InputError
from trtdiag.io.outputs import write_atomic_chunks
from trtdiag.log.facts import MissingScale
from trtdiag.naming import BY_EXACT, MappedTensor, MappedTensors, group_by_mapping
from trtdiag.report.html import ROW_LIMIT, analysis_html, group_reasons, group_table
from trtdiag.rules.transformer_names import names_with

from .conftest import FIXTURES, LOGS, MODELS

WARNING = ("[12/01/2026-10:00:01] [W] [TRT] Missing scale and zero-point for tensor {}, expect fall back to "
           "non-int8 implementation for any layer consuming or producing given tensor\n")
HEADER = "[12/01/2026-10:00:00] [I] TensorRT version: 10.3.0\n[12/01/2026-10:00:00] [I] Precision: FP32+INT8\n"


def _strict(text: str) -> Any:
    """``json.loads`` that refuses NaN/Infinity (what ``allow_nan=False`` writers promise)."""
    def refuse(token: str) -> None:
        raise ValueError(f"non-finite number {token} in JSON")
    return json.loads(text, parse_constant=refuse)


def _log(tmp_path: Path, names: list[str]) -> Path:
    p = tmp_path / "w.log"
    p.write_text(HEADER + "".join(WARNING.format(n) for n in names), encoding="utf-8")
    return p


@pytest.fixture(scope="module")
def mapped() -> Analysis:
    """A real analysis with a model: several mappings, integer inputs, weights, helpers."""
    return analyze(LOGS / "xlmr_int8_only_trtexec.log", MODELS / "xlmr_tiny_ts_op17.onnx",
                   shapes="input_ids:8x64,attention_mask:8x64",
                   calib_cache=FIXTURES / "caches" / "xlmr_stale_other_export.cache")


# -- the streamed JSON writer


def test_streamed_json_is_json_dumps_byte_for_byte(mapped: Analysis) -> None:
    doc = mapped.to_dict(timestamp=False)
    expected = json.dumps(doc, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    assert "".join(iter_json(doc)) == expected
    assert "".join(iter_json(mapped.document(timestamp=False))) == expected  # rows as a view: same bytes
    assert mapped.to_json(timestamp=False) == expected


@pytest.mark.parametrize("doc", [{}, {"a": []}, {"a": {}, "b": [1, [2, {"c": None}]], "é": "ü\u2028\n\"x\""},
                                 {"x": 1.5, "y": True, "z": [[]]}])
def test_streamed_json_of_plain_values(doc: dict[str, Any]) -> None:
    assert "".join(iter_json(doc)) == json.dumps(doc, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def test_streamed_json_refuses_nan() -> None:
    with pytest.raises(ValueError):
        "".join(iter_json({"a": float("nan")}))


def test_compact_rows_encode_like_json_dumps(mapped: Analysis) -> None:
    rows = TensorRows(mapped.mapping.tensors, mapped.mapping.groups)
    assert len(set(map(id, (t.mapping for t in mapped.mapping.tensors)))) > 3  # several shared mappings
    assert list(rows.json_lines()) == [compact_json(r) for r in rows]
    odd = replace(mapped.mapping.tensors[0], tensor='a "quoted"\\name \u00e9\u2028', count=3, lines=(4, 9, 12))
    assert list(TensorRows((odd,), group_by_mapping((odd,))).json_lines()) == [compact_json(tensor_row(odd))]


def test_long_row_lists_are_one_compact_row_per_line(mapped: Analysis, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stream, "COMPACT_ROWS", 3)
    text = "".join(mapped.json_chunks(timestamp=False))
    assert _strict(text) == mapped.to_dict(timestamp=False)
    listed = text[text.index('"missing_scale": [') :].split("\n  ]", 1)[0].splitlines()[1:]
    assert len(listed) == len(mapped.mapping.tensors) and all(line.startswith("    {") for line in listed)


# -- atomic streaming writes


def test_failure_while_streaming_keeps_the_old_file(tmp_path: Path) -> None:
    out = tmp_path / "a.json"
    out.write_text("old")

    def pieces() -> Any:
        yield "{\n"
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        write_atomic_chunks(out, pieces())
    assert out.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"]  # no temporary file left behind
    write_atomic_chunks(out, iter(["{", '"a": "\ud800"', "}"]))  # a lone surrogate: written as its escape
    assert json.loads(out.read_text()) == {"a": "\ud800"}


# -- mapping shared by many tensors


def test_distinct_names_without_model_share_one_mapping(tmp_path: Path) -> None:
    names = [f"T_{i}" for i in range(500)] + ["ONNXTRT_Broadcast_3_output", "(Unnamed Layer* 7) [Shuffle]_output"]
    a = analyze(_log(tmp_path, names))
    assert len(a.mapping.tensors) == 502
    assert len({id(t.mapping) for t in a.mapping.tensors[:500]}) == 1
    assert a.mapping.tensors[500].cls == "parser-helper" and a.mapping.tensors[501].cls == "unnamed-trt-layer"
    summary = a.to_dict(timestamp=False)["missing_scale_summary"]
    assert summary["by_class"] == {"unknown": 500, "parser-helper": 1, "unnamed-trt-layer": 1}


def test_mapped_tensor_keeps_its_keyword_form_and_replace(mapped: Analysis) -> None:
    t = mapped.mapping.tensors[0]
    fields = {c: getattr(t, a) for c, a in [("tensor", "tensor"), ("count", "count"), ("first_line", "first_line"),
                                             ("lines", "lines"), ("wording", "wording")]}
    rebuilt = MappedTensor(**fields, **{k: getattr(t.mapping, k) for k in t.mapping.__dataclass_fields__})
    assert rebuilt == t and tensor_row(rebuilt) == tensor_row(t)
    moved = replace(t, onnx_node="n", mapped_by=BY_EXACT)
    assert (moved.onnx_node, moved.mapped_by, moved.tensor, moved.lines) == ("n", BY_EXACT, t.tensor, t.lines)
    assert t.onnx_node != "n" or t.mapped_by == BY_EXACT  # the original is untouched


def test_names_with_finds_what_a_search_per_name_finds() -> None:
    rng = random.Random(7)
    words = ["encoder", "LayerNorm", "T", "attn", "x", "Softmax", "é", "plugin", "PLUGIN", "_"]
    names = ["".join(rng.choice(words) for _ in range(rng.randint(1, 4))) for _ in range(400)]
    pattern = re.compile("norm|softmax|plugin|attn")
    expected = [i for i, n in enumerate(names) if pattern.search(n.lower())]
    assert names_with(pattern, names) == expected
    ascii_names = [n for n in names if n.isascii()]
    assert names_with(pattern, ascii_names) == [i for i, n in enumerate(ascii_names) if pattern.search(n.lower())]
    assert names_with(pattern, []) == [] and names_with(pattern, ["a\nnorm", "b"]) == [0]
    saved = bulk.SLICE
    try:
        bulk.SLICE = 7  # several slices, some with non-ASCII names: indices stay global
        assert names_with(pattern, names) == expected
    finally:
        bulk.SLICE = saved


# -- HTML caps


def test_html_tables_are_capped_with_totals(tmp_path: Path) -> None:
    n = ROW_LIMIT + 7
    a = analyze(_log(tmp_path, [f"T_{i}" for i in range(n)]))
    html = a.to_html(timestamp=False)
    assert f"the first {ROW_LIMIT:,} of {n:,} tensors" in html
    table = html[html.index('id="tensor-table"'):]
    assert table.count("<tr data-cell=") == ROW_LIMIT
    assert f"showing {ROW_LIMIT:,} of {n:,} names; the JSON document has every one" in html
    assert html.count('title="first warned at line') == ROW_LIMIT


def test_grouped_rows_match_the_row_by_row_tables(mapped: Analysis) -> None:
    view = mapped.document(timestamp=False)["missing_scale"]
    rows = list(view)
    assert isinstance(view, TensorRows)
    for column in ("class", "op_type", "block", "submodule"):
        assert group_table(view, column) == group_table(rows, column)
    assert group_reasons(view) == group_reasons(rows)
    assert group_reasons(view, 1) == group_reasons(rows, 1)


# -- calibration cache caps


def test_cache_past_the_entry_cap_is_counted_with_a_note(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache_module, "MAX_ENTRIES", 50)
    p = tmp_path / "c.cache"
    p.write_text("TRT-100300-EntropyCalibration2\n" + "".join(f"T_{i}: 3c010a14\n" for i in range(120)) + "last: 0")
    cache = read_calibration_cache(p)
    assert len(cache.entries) == 50 and cache.entries[-1].name == "T_49" and cache.entries[-1].line == 51
    assert cache.note is not None and "the first 50 were read" in cache.note and "71 lines" in cache.note
    a = analyze(_log(tmp_path, ["T_1"]), calib_cache=p)
    assert cache.note in a.notes


def test_cache_reader_keeps_small_caches_whole_and_skips_long_lines(tmp_path: Path) -> None:
    p = tmp_path / "c.cache"
    p.write_bytes(b"TRT-100300-EntropyCalibration2\r\n" + b"x" * 200_000 + b"\r\na: 7f800000\r\nb: 3c010a14\r\n")
    cache = read_calibration_cache(p)
    assert [(e.name, e.line) for e in cache.entries] == [("a", 3), ("b", 4)]
    assert cache.unparsed_lines == (2,) and cache.note is None and cache.bad_values[0].problem == "infinite"


def test_large_json_table_is_refused_in_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache_module, "MAX_JSON_TABLE_BYTES", 1000)
    p = tmp_path / "t.json"
    p.write_text(json.dumps({f"t{i}": [-1.0, 1.0] for i in range(200)}))
    with pytest.raises(InputError, match="larger than"):
        read_calibration_cache(p)


def test_event_table_is_capped(mapped: Analysis) -> None:
    doc = mapped.to_dict(timestamp=False)
    n = ROW_LIMIT + 3
    doc["log_events"] = dict(doc["log_events"], no_int8_implementation=[
        {"kind": "no-int8", "line": i + 1, "text": f"layer_{i}"} for i in range(n)])
    html = analysis_html(doc)
    assert f"showing {ROW_LIMIT:,} of {n:,} layers without an INT8 implementation" in html
    assert "layer_1999<" in html and "layer_2000<" not in html


class _ColumnTable(Sequence[MissingScale]):
    """A stand-in for the reader's compact table: its records as arrays (names, counts, first lines, later
    lines by tensor, wording numbers), a record made on access."""

    WORDINGS = ("scale-and-zero-point", "dynamic-range", "nbspatialdims")

    def __init__(self, records: list[MissingScale]) -> None:
        self.names = [r.tensor for r in records]
        self._counts = array("Q", [r.count for r in records])
        self._firsts = array("Q", [r.first_line for r in records])
        self._more = {i: array("Q", r.lines[1:]) for i, r in enumerate(records) if len(r.lines) > 1}
        self._wordings = bytes(self.WORDINGS.index(r.wording) for r in records)

    def __len__(self) -> int:
        return len(self.names)

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return tuple(self[k] for k in range(*i.indices(len(self))))
        more = self._more.get(i, ())
        return MissingScale(self.names[i], self._counts[i], self._firsts[i], (self._firsts[i], *more),
                            self.WORDINGS[self._wordings[i]])


def test_rows_from_the_reader_columns_encode_like_records(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tensor_rows, "_BLOCK", 7)
    rng = random.Random(3)
    mappings = [MappedTensor(tensor="x", count=1, first_line=1, lines=(1,), wording="scale-and-zero-point",
                             cls=cls, onnx_tensor=None, onnx_node=node, op_type=None, onnx_consumers=(),
                             block=None, submodule=None, mapped_by=BY_EXACT, dtype=None, is_integer=False,
                             weight_path=False, reason=None).mapping
                for cls, node in (("unknown", None), ("activation", "n{1}"), ("weight/constant", 'q"'))]
    records, index = [], array("I")
    for i in range(60):
        extra = tuple(range(1000 + i, 1000 + i + rng.choice((0, 0, 0, 2))))
        wording = "dynamic-range" if i in (20, 21) else "scale-and-zero-point"
        records.append(MissingScale(f"T_{i}\u00e9" if i % 9 == 0 else f"T_{i}", 1 + len(extra), i + 3,
                                    (i + 3, *extra), wording))
        index.append(0 if i < 30 else rng.choice((0, 1, 2)))
    table = _ColumnTable(records)
    compact = MappedTensors(table, index, mappings)
    assert compact.columns() is not None
    rows = TensorRows(compact, ())
    expected = [compact_json(tensor_row(MappedTensor.of(r, mappings[k]))) for r, k in zip(records, index, strict=True)]
    assert list(rows.json_lines()) == expected
    plain = MappedTensors(tuple(records), index, mappings)  # records only: the record-by-record path
    assert plain.columns() is None and list(TensorRows(plain, ()).json_lines()) == expected
