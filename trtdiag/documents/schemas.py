"""The published JSON Schemas of trtdiag's documents, and a validator for them.

The schemas of every document (``trtdiag.analysis/1``, ``trtdiag.comparison/1``, ``trtdiag.lint/1``,
``trtdiag.accuracy/1``, ``trtdiag.sensitivity/1``) live in ``trtdiag/schema/*.schema.json``. Within a
schema version fields are only ever added. Validation needs the optional ``jsonschema`` package
(installed with ``trtdiag[test]``), imported lazily by :func:`validate`.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

SCHEMA_FILES = {
    "trtdiag.analysis/1": "analysis.schema.json",
    "trtdiag.comparison/1": "comparison.schema.json",
    "trtdiag.accuracy/1": "accuracy.schema.json",
    "trtdiag.sensitivity/1": "sensitivity.schema.json",
    "trtdiag.lint/1": "lint.schema.json",
    "trtdiag.fix/1": "fix.schema.json",
}


def load_schema(name: str) -> dict[str, Any]:
    """A schema by document version (``trtdiag.analysis/1``) or file name."""
    file = SCHEMA_FILES.get(name, name)
    return json.loads((resources.files("trtdiag") / "schema" / file).read_text(encoding="utf-8"))


def validate(document: dict[str, Any]) -> None:
    """Raise ``jsonschema.ValidationError`` unless the document matches the schema its ``schema`` field names."""
    try:
        import jsonschema  # third-party edge: optional, no type information
        from referencing import Registry, Resource
    except ImportError as exc:  # optional: only tests and CI users validate
        raise ImportError("validating needs jsonschema: pip install 'trtdiag[test]'") from exc
    schemas = [load_schema(f) for f in SCHEMA_FILES.values()]
    registry = Registry().with_resources((s["$id"], Resource.from_contents(s)) for s in schemas)
    version = document.get("schema")
    if version not in SCHEMA_FILES:
        raise jsonschema.ValidationError(f"unknown document schema {version!r}")
    jsonschema.Draft202012Validator(load_schema(version), registry=registry).validate(document)
