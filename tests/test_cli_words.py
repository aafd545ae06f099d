"""The CLI's words: a finished analysis says "verdict", never the tool-failure prefix; swapped arguments are
named; every command's --help has a one-line summary, an example and the exit codes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import LOGS, MODELS, ROOT

LOG = LOGS / "xlmr_int8_only_trtexec.log"
MODEL = MODELS / "xlmr_tiny_ts_op17.onnx"
COMMANDS = ("analyze", "demo", "compare", "recipe", "collect", "accuracy", "lint")


def run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "trtdiag", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=300)


def test_finished_analysis_says_verdict_and_which_file_to_open(tmp_path: Path) -> None:
    proc = run("analyze", str(LOG), str(MODEL), "-o", str(tmp_path / "r.html"))
    assert proc.returncode == 0 and proc.stderr == ""
    assert proc.stdout.startswith("trtdiag: verdict: error \u2014 ") and "trtdiag: error:" not in proc.stdout
    assert f"open {tmp_path / 'r.html'} in a browser" in proc.stdout


def test_demo_says_which_file_to_open(tmp_path: Path) -> None:
    proc = run("demo", "-o", str(tmp_path))
    assert proc.returncode == 0 and f"open {tmp_path / 'xlmr-int8-only.html'} in a browser" in proc.stdout


def test_compare_names_both_figures_and_every_file(tmp_path: Path) -> None:
    eng = ROOT / "fixtures" / "engines"
    out = [tmp_path / n for n in ("c.html", "c.json", "c.csv")]
    proc = run("compare", "--fp16", str(eng / "fp16"), "--int8", str(eng / "int8_implicit"), "-o", str(out[0]),
               "--json", str(out[1]), "--csv", str(out[2]))
    assert proc.returncode == 0, proc.stderr
    assert "(INT8 " in proc.stdout and " vs FP16 " in proc.stdout
    assert f"open {out[0]} in a browser" in proc.stdout and f"also wrote: {out[1]}, {out[2]}" in proc.stdout


@pytest.mark.parametrize(("log", "model", "needle"), [
    (MODEL, LOG, "did you swap LOG and MODEL?"),
    (LOG, LOG, "is a text log, not an ONNX model"),
])
def test_swapped_arguments(log: Path, model: Path, needle: str, tmp_path: Path) -> None:
    proc = run("analyze", str(log), str(model), "-o", str(tmp_path / "r.html"))
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.startswith("trtdiag: error: ") and needle in proc.stderr and "ValueError" not in proc.stderr


def test_help_summaries_fit_and_commands_have_examples_and_exit_codes() -> None:
    top = run("--help").stdout
    for name in COMMANDS:
        line = next(x for x in top.splitlines() if x.strip().startswith(name + " "))
        assert "..." not in line and len(line) <= 80, line
    for name in COMMANDS:
        text = run(name, "--help").stdout
        assert "Example:\n    trtdiag " + name in text and "Exit codes:" in text and "2 bad input" in text
