"""The house rules of CONTRIBUTING.md, checked on the source with ``ast`` (nothing is imported).

- no import cycle among trtdiag modules (imports under ``if TYPE_CHECKING:`` do not count: they never run);
- no function-local import of a trtdiag module, except in the entry points that import lazily on
  purpose (``trtdiag/cli.py``, ``trtdiag/pytest_plugin.py``, ``trtdiag/__init__.py``), because a local
  import is how a cycle hides;
- no module over 500 lines, no function over 60 lines.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import pytest

from .conftest import ROOT

PACKAGE = ROOT / "trtdiag"
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 60
LAZY_IMPORTERS = frozenset({"trtdiag/cli.py", "trtdiag/pytest_plugin.py", "trtdiag/__init__.py"})


@dataclass(frozen=True)
class Import:
    """One import of a trtdiag module found in a source file."""

    source: str  # importing module, e.g. "trtdiag.onnx.graph"
    target: str  # imported module
    path: str  # importing file, relative to the project root
    line: int
    local: bool  # inside a function body
    type_checking: bool  # under ``if TYPE_CHECKING:``


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_module(name: str) -> bool:
    base = ROOT.joinpath(*name.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _absolute(module: str | None, level: int, importer: str, is_package: bool) -> str:
    """The absolute name of ``from <level dots><module> import ...`` written in ``importer``."""
    if level == 0:
        return module or ""
    base = importer.split(".")
    if not is_package:
        base.pop()
    if level > 1:
        base = base[: len(base) - (level - 1)]
    return ".".join([*base, module] if module else base)


def _targets(node: ast.Import | ast.ImportFrom, importer: str, is_package: bool) -> Iterator[str]:
    """trtdiag modules an import statement loads; ``from pkg import sub`` loads the submodule."""
    if isinstance(node, ast.Import):
        yield from (a.name for a in node.names if a.name.split(".")[0] == "trtdiag")
        return
    base = _absolute(node.module, node.level, importer, is_package)
    if base.split(".")[0] != "trtdiag":
        return
    plain = False
    for alias in node.names:
        sub = f"{base}.{alias.name}"
        if alias.name != "*" and _is_module(sub):
            yield sub
        else:
            plain = True
    if plain:
        yield base


def _walk(node: ast.AST, local: bool, type_checking: bool) -> Iterator[tuple[ast.AST, bool, bool]]:
    for child in ast.iter_child_nodes(node):
        yield child, local, type_checking
        if isinstance(child, ast.If) and _is_type_checking(child.test):
            for stmt in child.body:
                yield stmt, local, True
                yield from _walk(stmt, local, True)
            for stmt in child.orelse:
                yield stmt, local, type_checking
                yield from _walk(stmt, local, type_checking)
            continue
        inner = local or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
        yield from _walk(child, inner, type_checking)


def _sources() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _imports() -> list[Import]:
    found: list[Import] = []
    for path in _sources():
        importer = _module_name(path)
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node, local, type_checking in _walk(tree, False, False):
            if isinstance(node, ast.Import | ast.ImportFrom):
                for target in _targets(node, importer, path.name == "__init__.py"):
                    found.append(Import(importer, target, _rel(path), node.lineno, local, type_checking))
    return found


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """One cycle per strongly connected component of the import graph (Tarjan), as a closed path."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[set[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component: set[str] = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.add(w)
                if w == v:
                    break
            if len(component) > 1 or v in edges.get(v, ()):
                components.append(component)

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return [_path_in(sorted(c)[0], c, edges) for c in components]


def _path_in(start: str, component: set[str], edges: dict[str, set[str]]) -> list[str]:
    """A shortest cycle through ``start`` inside its component (breadth-first)."""
    parents: dict[str, str] = {}
    frontier = [start]
    while frontier:
        nxt = []
        for v in frontier:
            for w in sorted(edges.get(v, ())):
                if w == start:
                    path = [v]
                    while path[-1] != start:
                        path.append(parents[path[-1]])
                    return [*reversed(path), start]
                if w in component and w not in parents:
                    parents[w] = v
                    nxt.append(w)
        frontier = nxt
    return [start, start]


def test_no_import_cycles() -> None:
    edges: dict[str, set[str]] = {}
    where: dict[tuple[str, str], str] = {}
    for imp in _imports():
        if imp.type_checking or imp.source == imp.target:
            continue
        edges.setdefault(imp.source, set()).add(imp.target)
        where.setdefault((imp.source, imp.target), f"{imp.path}:{imp.line}")
    cycles = _cycles(edges)
    described = [" -> ".join(c) + "\n    " + ", ".join(where[(a, b)] for a, b in pairwise(c))
                 for c in cycles]
    assert not cycles, f"{len(cycles)} import cycle(s) among trtdiag modules:\n  " + "\n  ".join(described)


def test_no_function_local_imports_of_trtdiag_modules() -> None:
    offenders = sorted({f"{i.path}:{i.line} imports {i.target}" for i in _imports()
                        if i.local and not i.type_checking and i.path not in LAZY_IMPORTERS})
    assert not offenders, ("function-local imports of trtdiag modules (import at module top; break a cycle by "
                           "moving the shared data down a layer):\n  " + "\n  ".join(offenders))


def test_no_module_over_the_size_limit() -> None:
    sizes = {_rel(p): len(p.read_text(encoding="utf-8").splitlines()) for p in _sources()}
    offenders = [f"{path}:1 has {n} lines" for path, n in sorted(sizes.items()) if n > MAX_MODULE_LINES]
    assert not offenders, f"modules over {MAX_MODULE_LINES} lines:\n  " + "\n  ".join(offenders)


def test_no_function_over_the_size_limit() -> None:
    offenders = []
    for path in _sources():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                n = (node.end_lineno or node.lineno) - node.lineno + 1
                if n > MAX_FUNCTION_LINES:
                    offenders.append(f"{_rel(path)}:{node.lineno} {node.name}() has {n} lines")
    assert not offenders, f"functions over {MAX_FUNCTION_LINES} lines:\n  " + "\n  ".join(sorted(offenders))


# --- the checker itself, on small sources -----------------------------------------------------


@pytest.mark.parametrize(("module", "level", "importer", "is_package", "expected"), [
    ("graph", 1, "trtdiag.onnx.compute", False, "trtdiag.onnx.graph"),
    (None, 1, "trtdiag.onnx", True, "trtdiag.onnx"),
    ("errors", 2, "trtdiag.onnx.compute", False, "trtdiag.errors"),
    ("trtdiag.errors", 0, "trtdiag.cli", False, "trtdiag.errors"),
])
def test_relative_imports_resolve(module: str | None, level: int, importer: str, is_package: bool,
                                  expected: str) -> None:
    assert _absolute(module, level, importer, is_package) == expected


def test_type_checking_and_local_imports_are_told_apart() -> None:
    tree = ast.parse(
        "from typing import TYPE_CHECKING\n"
        "import trtdiag.errors\n"
        "if TYPE_CHECKING:\n"
        "    from trtdiag.onnx.graph import GraphIndex\n"
        "else:\n"
        "    import trtdiag.findings\n"
        "def f():\n"
        "    from trtdiag import onnx\n"
    )
    seen = [(t, local, tc) for node, local, tc in _walk(tree, False, False)
            if isinstance(node, ast.Import | ast.ImportFrom) for t in _targets(node, "trtdiag.x", False)]
    assert seen == [("trtdiag.errors", False, False), ("trtdiag.onnx.graph", False, True),
                    ("trtdiag.findings", False, False), ("trtdiag.onnx", True, False)]


def test_cycles_are_found_and_printed_as_paths() -> None:
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"e"}}
    assert sorted(_cycles(edges)) == [["a", "b", "c", "a"], ["e", "e"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_documents_and_report_never_import_the_pipelines() -> None:
    """Documents and the report read results (TYPE_CHECKING imports only), so the pipelines can use them."""
    offenders = [f"{imp.path}:{imp.line} imports {imp.target}" for imp in _imports()
                 if imp.source.startswith(("trtdiag.documents", "trtdiag.report")) and not imp.type_checking
                 and imp.target in ("trtdiag.analysis", "trtdiag.comparison")]
    assert not offenders, offenders
