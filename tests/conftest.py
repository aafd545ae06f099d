"""Shared paths and skips. The real-artifact corpus lives beside the project in ../shared/corpus."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
MODELS = FIXTURES / "models"
LOGS = FIXTURES / "logs"
CORPUS = Path(os.environ.get("TRTDIAG_CORPUS") or ROOT.parent / "shared" / "corpus")  # override: where it is
CORPUS_SKIP = "real-artifact corpus not present"


@pytest.fixture(scope="session")
def corpus_logs() -> Path:
    path = CORPUS / "logs"
    if not (path / "MANIFEST.json").exists():
        pytest.skip(f"{CORPUS_SKIP} at {path} (it sits beside the project, not in it)")
    return path


@pytest.fixture(scope="session")
def corpus_trex() -> Path:
    path = CORPUS / "trex"
    if not (path / "MANIFEST.json").exists():
        pytest.skip(f"{CORPUS_SKIP} at {path} (it sits beside the project, not in it)")
    return path


def artifact(folder: Path, number: str) -> Path:
    """The corpus artifact numbered ``number`` (never its ``.meta.json`` sidecar)."""
    matches = [p for p in folder.glob(f"{number}_*") if not p.name.endswith(".meta.json")]
    assert len(matches) == 1, f"expected one artifact {number} in {folder}"
    return matches[0]


def manifest(folder: Path) -> list[dict]:
    return json.loads((folder / "MANIFEST.json").read_text())["artifacts"]


@pytest.fixture(scope="session")
def expected_logs() -> dict:
    """Ground truth written by fixtures/make_logs.py for the project's own fixture logs."""
    return json.loads((LOGS / "EXPECTED.json").read_text())


def plugin_args() -> list[str]:
    """Load trtdiag's pytest plugin explicitly only when it is not installed as a pytest11 entry point."""
    from importlib.metadata import entry_points

    installed = any(ep.value == "trtdiag.pytest_plugin" for ep in entry_points(group="pytest11"))
    return [] if installed else ["-p", "trtdiag.pytest_plugin"]


def _corpus_skip(report: pytest.TestReport) -> bool:
    longrepr = report.longrepr
    reason = longrepr[2] if isinstance(longrepr, tuple) and len(longrepr) == 3 else str(longrepr)
    return CORPUS_SKIP in str(reason)


@pytest.hookimpl(trylast=True)
def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """One line for all the real-artifact corpus tests skipped on a clean checkout, instead of one per test.

    Runs inside the terminal reporter's own summary hook, before its "short test summary" lists skip
    reasons: the corpus skips move to a stats key of their own, so the final count still shows them."""
    stats = terminalreporter.stats
    corpus = [r for r in stats.get("skipped", []) if _corpus_skip(r)]
    if not corpus:
        return
    stats["skipped"] = [r for r in stats["skipped"] if not _corpus_skip(r)]
    if not stats["skipped"]:
        del stats["skipped"]
    stats["skipped (no corpus)"] = corpus
    terminalreporter.write_line(
        f"{len(corpus)} tests on the real-artifact corpus were skipped: it is not at {CORPUS}. To run them, "
        "put it there or set TRTDIAG_CORPUS to its folder (it holds logs/MANIFEST.json and trex/MANIFEST.json).",
        yellow=True)
