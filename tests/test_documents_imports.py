"""The pipelines, their documents and the report import each other in one direction only.

``trtdiag.analysis`` and ``trtdiag.comparison`` build documents (``trtdiag.documents``) and render
them (``trtdiag.report``); documents and report never import the pipelines at run time (only under
``if TYPE_CHECKING:`` for annotations). These tests read the import statements, so a cycle hidden
behind a function-local import fails too.
"""

from __future__ import annotations

import ast
from pathlib import Path

from .conftest import ROOT

PACKAGE = ROOT / "trtdiag"
LAZY_ALLOWED = {"trtdiag", "trtdiag.cli", "trtdiag.pytest_plugin"}  # may import lazily by design
OWN = ("trtdiag.analysis", "trtdiag.comparison", "trtdiag.documents", "trtdiag.report")


def _modules() -> dict[str, Path]:
    out = {}
    for p in PACKAGE.rglob("*.py"):
        parts = p.relative_to(PACKAGE.parent).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = p
    return out


def _is_type_checking(node: ast.If) -> bool:
    t = node.test
    return (isinstance(t, ast.Name) and t.id == "TYPE_CHECKING") or (
        isinstance(t, ast.Attribute) and t.attr == "TYPE_CHECKING")


class _Imports(ast.NodeVisitor):
    """Every run-time import: (imported name, inside a function, line); ``if TYPE_CHECKING:`` bodies skipped."""

    def __init__(self) -> None:
        self.found: list[tuple[str, bool, int]] = []
        self._depth = 0

    def visit_If(self, node: ast.If) -> None:
        if _is_type_checking(node):
            for child in node.orelse:
                self.visit(child)
        else:
            self.generic_visit(node)

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self._depth += 1
        self.generic_visit(node)
        self._depth -= 1

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Import(self, node: ast.Import) -> None:
        self.found += [(a.name, self._depth > 0, node.lineno) for a in node.names]

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.module and node.level == 0:
            self.found += [(f"{node.module}.{a.name}", self._depth > 0, node.lineno) for a in node.names]


def _imports(path: Path) -> list[tuple[str, bool, int]]:
    visitor = _Imports()
    visitor.visit(ast.parse(path.read_text(encoding="utf-8")))
    return visitor.found


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The trtdiag module an import loads: ``from a.b import c`` is ``a.b.c`` when that is a module."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for mod, path in modules.items():
        for name, local, _ in _imports(path):
            if local and mod in LAZY_ALLOWED:
                continue
            target = _resolve(name, modules) if name.startswith("trtdiag") else None
            if target and target != mod:
                graph[mod].add(target)
                parent = target.rpartition(".")[0]  # importing a.b runs a/__init__ first
                while parent:
                    if parent != mod:
                        graph[mod].add(parent)
                    parent = parent.rpartition(".")[0]
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def _own(module: str) -> bool:
    return any(module == o or module.startswith(o + ".") for o in OWN)


def test_no_import_cycle() -> None:
    """No cycle anywhere in trtdiag, least of all through the pipelines, documents and report."""
    assert not _cycles(_graph()), f"import cycles: {_cycles(_graph())}"


def test_documents_and_report_do_not_import_the_pipelines() -> None:
    graph = _graph()
    for mod, targets in graph.items():
        if mod.startswith(("trtdiag.documents", "trtdiag.report")):
            assert not targets & {"trtdiag.analysis", "trtdiag.comparison"}, mod


def test_no_function_local_trtdiag_imports() -> None:
    for mod, path in _modules().items():
        if not _own(mod):
            continue
        local = [(n, line) for n, is_local, line in _imports(path)
                 if is_local and n.startswith("trtdiag")]
        if mod == "trtdiag.comparison":
            continue  # still loads its renderer and rules lazily; test_no_import_cycle covers it
        assert not local, f"{mod}: function-local imports {local}"


def test_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
