"""Shared paths and skips. The real-artifact corpus lives beside the project in ../shared/corpus."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
MODELS = FIXTURES / "models"
LOGS = FIXTURES / "logs"
CORPUS = ROOT.parent / "shared" / "corpus"


@pytest.fixture(scope="session")
def corpus_logs() -> Path:
    path = CORPUS / "logs"
    if not (path / "MANIFEST.json").exists():
        pytest.skip(f"real-artifact corpus not present at {path} (it sits beside the project, not in it)")
    return path


@pytest.fixture(scope="session")
def corpus_trex() -> Path:
    path = CORPUS / "trex"
    if not (path / "MANIFEST.json").exists():
        pytest.skip(f"real-artifact corpus not present at {path} (it sits beside the project, not in it)")
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
