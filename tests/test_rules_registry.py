"""The rule registry: one module per rule, every module listed, unique ids, and the README table in sync."""

from __future__ import annotations

import importlib
import json
import pkgutil

import pytest

from trtdiag.documents.common import finding_dict
from trtdiag.findings import Evidence, Finding, Severity
from trtdiag.rules import builds, engines
from trtdiag.rules.base import ContextKind, verdict_failures
from trtdiag.rules.registry import ALL_RULES, BUILD_RULES, ENGINE_RULES, markdown_table, rule_ids

from .conftest import ROOT


def _readme_table() -> str:
    text = (ROOT / "README.md").read_text()
    start = text.index("| rule id | what it means |")
    lines = []
    for line in text[start:].splitlines():
        if not line.startswith("|"):
            break
        lines.append(line)
    return "\n".join(lines) + "\n"


def test_readme_rule_table_is_generated_from_the_registry() -> None:
    assert _readme_table() == markdown_table(), "regenerate README.md's table with trtdiag.rules.registry.markdown_table()"


@pytest.mark.parametrize(("package", "rules", "kind"), [(builds, BUILD_RULES, ContextKind.BUILD),
                                                         (engines, ENGINE_RULES, ContextKind.ENGINE)])
def test_every_rule_module_is_listed_once(package: object, rules: tuple, kind: ContextKind) -> None:
    modules = [importlib.import_module(f"{package.__name__}.{m.name}")  # type: ignore[attr-defined]
               for m in pkgutil.iter_modules(package.__path__)]  # type: ignore[attr-defined]
    assert sorted(m.RULE.id for m in modules) == sorted(r.id for r in rules)
    for m in modules:
        assert m.RULE.kind is kind and m.__name__.rsplit(".", 1)[1] == m.RULE.id.replace("-", "_")


def test_ids_are_unique_and_rules_are_data() -> None:
    ids = rule_ids()
    assert len(ids) == len(set(ids)) == len(ALL_RULES)
    for r in ALL_RULES:
        assert isinstance(r.severity, Severity) and r.title and r.summary and r.explanation and r.fix


def test_verdict_failures_accept_plain_strings_and_enums() -> None:
    fs = [Finding("a", Severity.ERROR, "t", "e", Evidence(), "f"), Finding("b", "warning", "t", "e", Evidence(), "f")]  # type: ignore[arg-type]
    assert fs[1].severity is Severity.WARNING
    assert verdict_failures(fs, "warning") == ["error a", "warning b"]
    assert verdict_failures(fs, "info") == ["error a", "warning b"]


def test_documents_write_severity_as_its_value() -> None:
    d = finding_dict(Finding("a", Severity.ERROR, "t", "e", Evidence(), "f"))
    assert json.dumps(d["severity"]) == '"error"' and f"{d['severity']}" == "error"
