"""`trtdiag lint`: exit codes, the JSON document (schema trtdiag.lint/1), the HTML report, the generator check."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from trtdiag.cli import main
from trtdiag.documents.schemas import load_schema
from trtdiag.lint.document import SCHEMA, lint_document
from trtdiag.lint.report import render_lint_html
from trtdiag.lint.run import lint_model

from .conftest import FIXTURES, MODELS, ROOT

QDQ = MODELS / "qdq"


def _run(*args: str) -> tuple[int, str, str]:
    r = CliRunner().invoke(main, ["lint", *args])
    return r.exit_code, r.stdout, r.stderr


def test_exit_codes_follow_fail_on(tmp_path: Path) -> None:
    assert _run(str(QDQ / "clean_transformer.onnx"))[0] == 0
    assert _run(str(QDQ / "seed_nonzero_zero_point.onnx"))[0] == 1  # default --fail-on error
    assert _run(str(QDQ / "seed_orphan.onnx"))[0] == 0
    assert _run(str(QDQ / "seed_orphan.onnx"), "--fail-on", "warning")[0] == 1
    assert _run(str(QDQ / "seed_nonzero_zero_point.onnx"), "--fail-on", "never")[0] == 0
    _, out, _ = _run(str(QDQ / "seed_orphan.onnx"))
    assert "[qdq-orphan]" in out and "QuantizeLinear_orphan" in out


@pytest.mark.parametrize("content", [None, b"", b"not a model at all \x00\x01\x02"])
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, content: bytes | None) -> None:
    path = tmp_path / "m.onnx"
    if content is not None:
        path.write_bytes(content)
    code, out, err = _run(str(path))
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and err.startswith("trtdiag: error:")


def test_json_matches_the_schema_and_html_is_self_contained(tmp_path: Path) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    code, _, _ = _run(str(QDQ / "ort_default_qdq.onnx" if (QDQ / "ort_default_qdq.onnx").exists()
                          else QDQ / "seed_nonzero_zero_point.onnx"),
                      "--json", str(tmp_path / "l.json"), "-o", str(tmp_path / "l.html"), "--no-timestamp")
    assert code == 1
    doc = json.loads((tmp_path / "l.json").read_text())
    jsonschema.Draft202012Validator(load_schema("lint.schema.json")).validate(doc)
    assert doc["schema"] == SCHEMA and "generated_at" not in doc
    html = (tmp_path / "l.html").read_text()
    assert "qdq-nonzero-zero-point" in html and "Findings per node" in html
    assert "<script src" not in html and "<link" not in html


def test_every_fixture_document_validates() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    validator = jsonschema.Draft202012Validator(load_schema("lint.schema.json"))
    for path in sorted(QDQ.glob("*.onnx")):
        validator.validate(lint_document(lint_model(path)))


def test_html_escapes_node_names(tmp_path: Path) -> None:
    import onnx
    from onnx import TensorProto, helper

    node = helper.make_node("MatMul", ["x", "w"], ["y"], name="<script>alert(1)</script>")
    w = helper.make_tensor("w", TensorProto.FLOAT, [2, 2], [1.0] * 4)
    g = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 2])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 2])], [w])
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), tmp_path / "m.onnx")
    html = render_lint_html(lint_model(tmp_path / "m.onnx"))
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)" in html


def test_generator_reproduces_the_committed_qdq_fixtures() -> None:
    proc = subprocess.run([sys.executable, str(FIXTURES / "make_qdq_models.py"), "--check"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
