"""The HTML report of a lint run: one self-contained file (inline CSS shared with ``trtdiag/report``), jinja2
autoescaped, rendered from the JSON document so both always say the same thing."""

from __future__ import annotations

from typing import Any

import jinja2

from trtdiag.lint.document import lint_document
from trtdiag.lint.run import LintResult
from trtdiag.report.template_cache import template_cache


def _environment() -> jinja2.Environment:
    loader = jinja2.ChoiceLoader([jinja2.PackageLoader("trtdiag.lint", "templates"),
                                  jinja2.PackageLoader("trtdiag.report", "templates")])
    return jinja2.Environment(loader=loader, autoescape=jinja2.select_autoescape(enabled_extensions=("html", "j2"),
                                                                                  default=True),
                              trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined,
                              bytecode_cache=template_cache())


def _cell_class(cell: dict[str, Any]) -> str:
    if cell["unquantized"] == len(cell["gemm_nodes"]):
        return "float"
    return "int8" if cell["quantized"] == len(cell["gemm_nodes"]) else "partial"


def per_node(result: LintResult, doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows of the per-node table: every node named by a finding, with the findings that name it."""
    rows: dict[str, dict[str, Any]] = {}
    for i, f in enumerate(doc["findings"], start=1):
        for name in f["nodes"]:
            node = result.view.graph.node(name)
            row = rows.setdefault(name, {"node": name, "op": node.op_type if node else "", "findings": []})
            row["findings"].append({"index": i, "id": f["id"], "severity": f["severity"]})
    return list(rows.values())


def render_lint_html(result: LintResult, *, timestamp: bool = True) -> str:
    doc = lint_document(result, timestamp=timestamp)
    s = doc["summary"]
    verdict = "error" if s["errors"] else "warning" if s["warnings"] else "ok"
    cells = {(c["row"], c["column"]): c for c in doc["grid"]["cells"]}
    template = _environment().get_template("lint.html.j2")
    return template.render(doc=doc, verdict_class=verdict, cells=cells, cell_class=_cell_class,
                           per_node=per_node(result, doc))
