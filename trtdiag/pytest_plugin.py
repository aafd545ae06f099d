"""pytest plugin (entry point ``pytest11``): fixtures that analyse builds and keep their HTML reports.

Options: ``--trtdiag-report-dir DIR`` (default: a pytest temporary folder). Fixtures:
``trtdiag_analyze(log, model=None, **kw)``, ``trtdiag_compare(fp16, int8, model=None)`` and
``trtdiag_accuracy(candidates, reference=None, model=None, **kw)`` return the result with ``report_path``
set; when a test fails, the report paths are printed with it. Assertion rewriting is registered for
:mod:`trtdiag.testing` and :mod:`trtdiag.accuracy.testing`.
``trtdiag_lint(model, **kw)`` (Q/DQ placement, :func:`trtdiag.lint.run.lint_model`) return the result with
``report_path`` set; when a test fails, the report paths are printed with it.
Assertion rewriting is registered for :mod:`trtdiag.testing` and :mod:`trtdiag.lint.testing`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Generator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

pytest.register_assert_rewrite("trtdiag.testing", "trtdiag.accuracy.testing")
pytest.register_assert_rewrite("trtdiag.testing", "trtdiag.lint.testing")
pytest.register_assert_rewrite("trtdiag.sensitivity.testing")

_REPORTS = pytest.StashKey[list[Path]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("trtdiag", "trtdiag INT8 build diagnosis")
    group.addoption("--trtdiag-report-dir", default=None, metavar="DIR",
                    help="write the HTML report of every build analysed by the trtdiag fixtures here")


@pytest.fixture
def trtdiag_report_dir(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Folder for this session's trtdiag reports."""
    option = request.config.getoption("--trtdiag-report-dir")
    path = Path(option) if option else tmp_path_factory.getbasetemp() / "trtdiag-reports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _writer(request: pytest.FixtureRequest, folder: Path, suffix: str,
            render: Callable[[Any], str] | None = None) -> Callable[[Any], Any]:
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid).strip("_")[-150:]
    reports = request.node.stash.setdefault(_REPORTS, [])

    def write(result: Any) -> Any:
        from trtdiag.io.outputs import write_atomic

        path = folder / f"{stem}-{suffix}{len(reports) + 1}.html"
        write_atomic(path, render(result) if render is not None else result.to_html(timestamp=False))
        reports.append(path)
        return replace(result, report_path=str(path))

    return write


@pytest.fixture
def trtdiag_analyze(request: pytest.FixtureRequest, trtdiag_report_dir: Path) -> Callable[..., Any]:
    """``trtdiag_analyze(log, model=None, **kw)``: :func:`trtdiag.analyze` that also writes the HTML report."""
    import trtdiag

    write = _writer(request, trtdiag_report_dir, "analysis")
    return lambda log, model=None, **kw: write(trtdiag.analyze(log, model, **kw))


@pytest.fixture
def trtdiag_compare(request: pytest.FixtureRequest, trtdiag_report_dir: Path) -> Callable[..., Any]:
    """``trtdiag_compare(fp16, int8, model=None, shapes=None)``: engine comparison plus its HTML report."""
    import trtdiag

    write = _writer(request, trtdiag_report_dir, "compare")
    return lambda fp16, int8, model=None, **kw: write(trtdiag.compare(fp16, int8, model, **kw))


@pytest.fixture
def trtdiag_accuracy(request: pytest.FixtureRequest, trtdiag_report_dir: Path) -> Callable[..., Any]:
    """``trtdiag_accuracy(candidates, reference=None, model=None, **kw)``: ``trtdiag accuracy`` (saved outputs
    against a saved reference, or against ONNX Runtime on CPU from ``model``) that also writes the HTML page."""
    from trtdiag.accuracy.document import to_html
    from trtdiag.accuracy.pipeline import accuracy_from_files

    write = _writer(request, trtdiag_report_dir, "accuracy", lambda r: to_html(r, timestamp=False))

    def compare(candidates: Any, reference: Any = None, model: Any = None, **kw: Any) -> Any:
        files = [candidates] if isinstance(candidates, (str, Path)) else list(candidates)
        return write(accuracy_from_files(files, reference=reference, model=model, **kw))

    return compare


@pytest.fixture
def trtdiag_lint(request: pytest.FixtureRequest, trtdiag_report_dir: Path) -> Callable[..., Any]:
    """``trtdiag_lint(model, **kw)``: :func:`trtdiag.lint.run.lint_model` that also writes the lint HTML report."""
    from trtdiag.lint.report import render_lint_html
    from trtdiag.lint.run import lint_model

    write = _writer(request, trtdiag_report_dir, "lint", lambda r: render_lint_html(r, timestamp=False))
    return lambda model, **kw: write(lint_model(model, **kw))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
    report = yield
    paths = item.stash.get(_REPORTS, [])
    if report.failed and paths:
        report.sections.append(("trtdiag reports", "\n".join(str(p) for p in paths)))
    return report
