"""The analysis document is declared field by field, in the order and with the keys its schema publishes."""

from __future__ import annotations

import json

from trtdiag.analysis import analyze
from trtdiag.documents.analysis import FIELDS, SCHEMA, TENSOR_COLUMNS
from trtdiag.documents.schemas import load_schema

from .conftest import FIXTURES, LOGS, MODELS

HEADER = ["schema", "trtdiag_version", "generated_at"]


def test_fields_are_the_schema_properties_in_order() -> None:
    schema = load_schema(SCHEMA)
    assert [f.key for f in FIELDS] == [k for k in schema["properties"] if k not in HEADER]
    assert len({f.key for f in FIELDS}) == len(FIELDS)


def test_tensor_columns_are_the_schema_tensor_properties() -> None:
    assert list(TENSOR_COLUMNS) == list(load_schema(SCHEMA)["$defs"]["tensor"]["properties"])


def test_document_is_header_then_fields_and_round_trips_through_json() -> None:
    a = analyze(LOGS / "xlmr_int8_only_trtexec.log", MODELS / "xlmr_tiny_ts_op17.onnx",
                shapes="input_ids:8x64,attention_mask:8x64",
                calib_cache=FIXTURES / "caches" / "xlmr_stale_other_export.cache")
    doc = a.to_dict(timestamp=False)
    assert list(doc) == ["schema", "trtdiag_version", *(f.key for f in FIELDS)]
    assert json.loads(a.to_json(timestamp=False)) == doc
    assert list(a.to_dict()) == HEADER + [f.key for f in FIELDS]
    assert doc["compute"] is not None and doc["calibration_cache"] is not None and doc["transformer_view"]
