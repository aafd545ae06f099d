"""The README's quick start: exactly two commands; CI runs the second; the first really works."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from .conftest import ROOT, plugin_args


def _quick_start() -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text.split("## Quick start", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, re.S)
    assert block is not None
    return [ln.strip() for ln in block.group(1).splitlines() if ln.strip() and not ln.startswith("#")]


def test_exactly_two_commands_and_ci_runs_the_second() -> None:
    commands = _quick_start()
    assert len(commands) == 2
    assert "trtdiag demo" in commands[0] and "pytest" in commands[1]
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert commands[1] in ci


@pytest.mark.skipif(os.environ.get("TRTDIAG_SKIP_INSTALL_TEST") == "1", reason="install test disabled")
def test_first_command_installs_and_writes_the_demo_report(tmp_path: Path) -> None:
    """Run the first command as written, in a fresh venv and a clean copy of the project."""
    src = tmp_path / "src"
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(".git", "reports", "*.egg-info", "__pycache__",
                                                              ".pytest_cache", ".ruff_cache", "build"))
    env_dir = tmp_path / "venv"
    # System site packages provide the already-installed dependencies: the test needs no downloads
    # beyond the build backend.
    venv.EnvBuilder(system_site_packages=True, with_pip=True).create(env_dir)
    bindir = env_dir / "bin"
    env = dict(os.environ, PATH=f"{bindir}{os.pathsep}{os.environ['PATH']}", VIRTUAL_ENV=str(env_dir))
    env.pop("PYTHONPATH", None)
    command = _quick_start()[0].replace("python3 ", f"{bindir / 'python3'} ", 1)
    proc = subprocess.run(command, shell=True, cwd=src, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = src / "reports" / "xlmr-int8-only.html"
    assert report.exists() and report.stat().st_size > 5000
    doc = json.loads((src / "reports" / "xlmr-int8-only.json").read_text())
    assert doc["schema"] == "trtdiag.analysis/1" and doc["findings"]
    assert "open reports/xlmr-int8-only.html in a browser" in proc.stdout


def _examples() -> list[tuple[str, str, str]]:
    """(marker, language, code) of every README block preceded by an ``<!-- example: ... -->`` marker."""
    text = (ROOT / "README.md").read_text()
    return re.findall(r"<!-- example: ([^>]*) -->\n```(\w+)\n(.*?)```", text, re.S)


def _workdir(tmp_path: Path) -> Path:
    """A folder where the README's relative paths (fixtures/..., reports/...) resolve."""
    (tmp_path / "fixtures").symlink_to(ROOT / "fixtures")
    (tmp_path / "reports").mkdir()
    return tmp_path


def test_readme_has_examples_for_the_three_ways_in() -> None:
    kinds = [(m.split()[0], lang) for m, lang, _ in _examples()]
    assert ("exit=1", "bash") in kinds and ("pytest", "python") in kinds and ("exit=0", "python") in kinds
    assert sum(1 for _, lang in kinds if lang == "bash") >= 2


@pytest.mark.parametrize("example", _examples(), ids=lambda e: f"{e[1]}-{e[0]}")
def test_readme_example_runs(tmp_path: Path, example: tuple[str, str, str]) -> None:
    marker, lang, code = example
    want = int(re.search(r"exit=(\d+)", marker).group(1))
    cwd = _workdir(tmp_path)
    env = dict(os.environ, PYTHONPATH=str(ROOT), PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    if lang == "bash":
        # `trtdiag` may not be on PATH in a development checkout: run the same CLI through the interpreter.
        script = code.replace("trtdiag ", f"{sys.executable} -m trtdiag ")
        proc = subprocess.run(["bash", "-c", script], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    elif marker.startswith("pytest"):
        name = code.splitlines()[0].lstrip("# ").strip()
        (cwd / name).write_text(code)
        proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *plugin_args(), name,
                               "--trtdiag-report-dir", "reports/ci"], cwd=cwd, env=env, capture_output=True,
                              text=True, timeout=300)
        assert "1 failed, 1 passed" in proc.stdout, proc.stdout[-3000:]
        assert "trtdiag found 'int8-without-fp16' (error)" in proc.stdout
        assert len(list((cwd / "reports" / "ci").glob("*.html"))) == 2
    else:
        proc = subprocess.run([sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True,
                              timeout=300)
    assert proc.returncode == want, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
