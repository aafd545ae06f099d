"""The CLI on crafted hostile inputs (fixtures/make_fuzz_corpus.py) and on random arguments.

Every case runs in a subprocess under an address-space limit and a timeout, and must keep the
guarantees of README "Limits and guarantees": exit 0, 1 or 2 only; exactly one line on stderr for
exit 2; no input file modified; every JSON written is strict JSON (no NaN); no raw ``<script>``
payload in the HTML.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import resource
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from trtdiag.cli import main

ROOT = Path(__file__).resolve().parents[1]
MEMORY_LIMIT = 2 << 30
TIMEOUT_S = 120


def _corpus_module():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("make_fuzz_corpus", ROOT / "fixtures" / "make_fuzz_corpus.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _limits() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def _checksums(root: Path) -> dict[str, str]:
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*")) if p.is_file()}


def _run(argv: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("TRTDIAG_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "trtdiag.cli", *argv], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=TIMEOUT_S, preexec_fn=_limits, errors="replace")


def _strict_json(text: str, what: str) -> None:
    def bare(token: str) -> None:
        pytest.fail(f"{what}: bare {token} is not JSON")

    json.loads(text, parse_constant=bare)


def _check_outputs(out: Path, stdout: str) -> None:
    for f in out.iterdir():
        text = f.read_text(encoding="utf-8", errors="strict")
        if f.suffix == ".json":
            _strict_json(text, f.name)
        if f.suffix == ".html":
            assert "<script>alert(1)" not in text, f"{f.name}: unescaped payload"
        if f.suffix == ".csv":
            assert "\n=cmd" not in text and ",=cmd" not in text, "CSV formula not neutralised"
    if stdout.lstrip().startswith("{"):
        _strict_json(stdout, "stdout")


def test_crafted_corpus_through_the_cli(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    cases = _corpus_module().make(corpus)
    before = _checksums(corpus)

    def one(item: tuple[str, list[str]]) -> tuple[str, subprocess.CompletedProcess[str], Path]:
        name, argv = item
        out = tmp_path / "out" / name
        out.mkdir(parents=True)
        return name, _run([a.replace("{out}", str(out)) for a in argv], out), out

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(one, cases.items()))
    problems = []
    for name, proc, out in results:
        if proc.returncode not in (0, 1, 2):
            problems.append(f"{name}: exit {proc.returncode}: {proc.stderr[-500:]}")
        elif proc.returncode == 2 and len(proc.stderr.strip().splitlines()) != 1:
            problems.append(f"{name}: exit 2 with stderr {proc.stderr!r}")
        else:
            _check_outputs(out, proc.stdout)
    assert not problems, "\n".join(problems)
    assert _checksums(corpus) == before, "an input file was modified"
    expected_2 = {"output-is-input", "json-is-html", "nan-threshold", "csv-into-input-folder", "huge-int-cache",
                  "nan-speedup", "deep-json"}
    assert {n for n, p, _ in results if p.returncode == 2} >= expected_2


def test_corpus_manifest_is_current() -> None:
    proc = subprocess.run([sys.executable, str(ROOT / "fixtures" / "make_fuzz_corpus.py"), "--check"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr


OPTION = st.sampled_from(["--json", "-o", "--shapes", "--calib-cache", "--min-int8-mac-share", "--fail-on",
                          "--scanner", "--fp16-layers", "--progress", "-q", "--no-timestamp", "--bogus"])
VALUE = st.one_of(st.sampled_from(["nan", "inf", "-1", "2", "0.5", "-", "", "x:1x2", "x:99999999999999999999x1",
                                   "error", "python", "missing.log"]),
                 # a real argv cannot hold a NUL byte
                 st.text(st.characters(blacklist_characters="\x00"), max_size=12))


@settings(max_examples=30, deadline=None)
@given(args=st.lists(st.tuples(OPTION, VALUE), max_size=4), command=st.sampled_from(["analyze", "compare", "lint"]))
def test_random_arguments_give_a_documented_exit(tmp_path_factory: pytest.TempPathFactory,
                                                 args: list[tuple[str, str]], command: str) -> None:
    folder = tmp_path_factory.mktemp("args")
    argv = [command, str(folder / "missing.log")] + [x for pair in args for x in pair]
    result = CliRunner().invoke(main, argv, catch_exceptions=True)
    assert result.exit_code in (0, 1, 2), (argv, result.output, result.exception)
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), result.exception
