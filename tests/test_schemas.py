"""Every document trtdiag writes for the fixtures validates against its published JSON Schema."""

from __future__ import annotations

import json

import pytest

import trtdiag
from trtdiag.documents.schemas import SCHEMA_FILES, load_schema, validate

from .conftest import FIXTURES, LOGS, MODELS

jsonschema = pytest.importorskip("jsonschema")
EXPECTED = json.loads((LOGS / "EXPECTED.json").read_text())
CASES = [(log, v.get("model")) for log, v in EXPECTED.items() if isinstance(v, dict)]


@pytest.mark.parametrize(("log", "model"), CASES, ids=[c[0] for c in CASES])
def test_analysis_documents_validate(log: str, model: str | None) -> None:
    for m in (model, None):
        doc = json.loads(trtdiag.analyze(LOGS / log, MODELS / m if m else None).to_json())
        validate(doc)


def test_document_with_cache_and_shapes_validates() -> None:
    a = trtdiag.analyze(LOGS / "xlmr_int8_only_trtexec.log", MODELS / "xlmr_tiny_ts_op17.onnx",
                        shapes="input_ids:8x64,attention_mask:8x64",
                        calib_cache=FIXTURES / "caches" / "xlmr_bad_values_trt101000.cache")
    validate(json.loads(a.to_json()))


def test_schemas_are_versioned_and_self_consistent() -> None:
    for version in SCHEMA_FILES:
        schema = load_schema(version)
        jsonschema.Draft202012Validator.check_schema(schema)
        assert schema["properties"]["schema"]["const"] == version


def test_a_broken_document_fails() -> None:
    doc = json.loads(trtdiag.analyze(LOGS / "xlmr_int8_only_trtexec.log").to_json())
    doc["findings"][0]["severity"] = "catastrophic"
    with pytest.raises(jsonschema.ValidationError):
        validate(doc)
    del doc["build"]
    with pytest.raises(jsonschema.ValidationError):
        validate(doc)
