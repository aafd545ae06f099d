"""The caps of README "Limits and guarantees": linear log patterns, long lines, outputs that never
overwrite inputs, atomic reports, JSON cut short, CI thresholds and library arguments."""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import re
import re._constants as C
import re._parser as sre
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import trtdiag.log.handlers as handlers
from trtdiag.cli import main
from trtdiag.errors import InputError
from trtdiag.io.json_values import load_json_values
from trtdiag.log.collector import MESSAGE_CAP, LogCollector, read_log
from trtdiag.log.handlers.deprecations import Then
from trtdiag.testing import assert_no_finding, assert_no_missing_scales
from trtdiag.validate import check_shapes

ROOT = Path(__file__).resolve().parents[1]
LOG = ROOT / "fixtures" / "logs" / "xlmr_int8_only_trtexec.log"
ENGINES = ROOT / "fixtures" / "engines"
LINE = 1 << 20


def handler_patterns() -> list[tuple[str, Any]]:
    """Every regex (and two-step ``Then`` matcher) defined at module level in trtdiag/log/handlers."""
    found: list[tuple[str, Any]] = []

    def visit(name: str, value: Any) -> None:
        if isinstance(value, re.Pattern | Then):
            found.append((name, value))
        elif isinstance(value, tuple | list):
            for i, item in enumerate(value):
                visit(f"{name}[{i}]", item)

    for info in pkgutil.iter_modules(handlers.__path__):
        module = importlib.import_module(f"trtdiag.log.handlers.{info.name}")
        for attr, value in vars(module).items():
            visit(f"{info.name}.{attr}", value)
    return found


def _sample(items: Any) -> str:
    """A string that follows the pattern as far as it can (first alternative, one repetition)."""
    out = []
    for op, av in items:
        if op is C.LITERAL:
            out.append(chr(av))
        elif op in (C.NOT_LITERAL, C.ANY):
            out.append(" ")
        elif op is C.IN:
            first = av[0]
            out.append(chr(first[1]) if first[0] is C.LITERAL else chr(first[1][0]) if first[0] is C.RANGE else "a")
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT):
            out.append(_sample(av[2]) * max(1, av[0]))
        elif op is C.SUBPATTERN:
            out.append(_sample(av[-1]))
        elif op is C.BRANCH:
            out.append(_sample(av[1][0]))
        elif op is C.CATEGORY:
            out.append("1" if av is C.CATEGORY_DIGIT else "a")
    return "".join(out)


def adversarial_lines(pattern: re.Pattern[str]) -> list[str]:
    """1 MB lines of repeated prefixes of what the pattern matches (with and without blanks), and one
    near-match followed by a long tail: the inputs that make a backtracking search quadratic."""
    sample = _sample(sre.parse(pattern.pattern, pattern.flags)) or "x"
    piece = sample[: max(1, len(sample) * 3 // 5)]
    tight = piece.replace(" ", "") or piece
    return [(p * (LINE // len(p) + 1))[:LINE] for p in (piece, tight)] + [sample[:-1] + " " + "x" * LINE]


def test_patterns_are_collected() -> None:
    names = [n for n, _ in handler_patterns()]
    assert len(names) > 30 and any("deprecations" in n for n in names) and any("trt11" in n for n in names)


@pytest.mark.parametrize("name,pattern", handler_patterns(), ids=[n for n, _ in handler_patterns()])
def test_handler_pattern_is_linear_on_adversarial_lines(name: str, pattern: Any) -> None:
    regexes = [pattern.first, pattern.then] if isinstance(pattern, Then) else [pattern]
    lines = [line for rx in regexes for line in adversarial_lines(rx)]
    start = time.process_time()
    for line in lines:
        pattern.search(line)
    # A quadratic search takes minutes on these lines; linear ones take milliseconds (generous cap).
    assert time.process_time() - start < 2.0, name


def test_missing_scale_warning_found_without_regex_backtracking() -> None:
    collector = LogCollector()
    prefix = "Missing scale and zero-point for tensor x"
    start = time.process_time()
    collector.feed(1, "[W] [TRT] " + prefix * (LINE // len(prefix)))
    collector.feed(2, "[W] [TRT] Missing scale and zero-point for tensor a, b [c], expect fall back to non-int8 x")
    assert time.process_time() - start < 2.0
    assert collector.long_messages == 1
    facts = collector.result(read_log(LOG).read)
    assert [m.tensor for m in facts.missing_scale] == ["a, b [c]"]
    assert MESSAGE_CAP == 16384


def test_overlong_line_is_capped_and_counted(tmp_path: Path) -> None:
    log = tmp_path / "long.log"
    log.write_bytes(LOG.read_bytes() + b"y" * (20 << 20) + b"\n" + LOG.read_bytes())
    facts = read_log(log)
    assert facts.read.long_lines == 1 and facts.read.skipped_bytes == (20 << 20) - (1 << 20)
    assert facts.read.lines == 2 * LOG.read_text().count("\n") + 1


def test_json_cut_short_keeps_complete_records(tmp_path: Path) -> None:
    text = (ENGINES / "int8_only" / "layers.json").read_text()
    cut = tmp_path / "layers.json"
    cut.write_text(text[: len(text) // 2])
    values = load_json_values(cut)
    whole = json.loads(text)["Layers"]
    assert values.cut and "cut short" in values.cut
    assert 0 < len(values[0]["Layers"]) < len(whole)
    assert values[0]["Layers"] == whole[: len(values[0]["Layers"])]
    (tmp_path / "deep.json").write_text("[" * 10000 + "]" * 10000)
    with pytest.raises(InputError, match="nested deeper"):
        load_json_values(tmp_path / "deep.json")


def test_cli_refuses_outputs_over_inputs_and_keeps_previous_report(tmp_path: Path) -> None:
    log = tmp_path / "b.log"
    log.write_bytes(LOG.read_bytes())
    runner = CliRunner()
    for argv in (["-o", str(log)], ["-o", str(tmp_path / "r"), "--json", str(tmp_path / "r")]):
        result = runner.invoke(main, ["analyze", str(log), *argv])
        assert result.exit_code == 2 and log.read_bytes() == LOG.read_bytes()
    report = tmp_path / "r.html"
    report.write_text("previous")
    result = runner.invoke(main, ["analyze", str(log), "-o", str(report), "--min-int8-mac-share", "nan"])
    assert result.exit_code == 2 and report.read_text() == "previous"


def test_json_to_stdout_stays_valid_json(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "trtdiag.cli", "analyze", str(LOG), "-o", str(tmp_path / "r.html"),
                           "--json", "-", "--no-timestamp"], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stderr
    json.loads(proc.stdout)
    assert "r.html in a browser" in proc.stderr


def test_library_arguments_are_checked() -> None:
    with pytest.raises(TypeError, match="list of strings"):
        assert_no_missing_scales(type("R", (), {"findings": (), "mapping": None})(), allow="integer")
    with pytest.raises(TypeError, match="a path"):
        assert_no_finding("build.log", "int8-without-fp16")
    with pytest.raises(ValueError, match="did you mean int8-without-fp16"):
        assert_no_finding(type("R", (), {"findings": ()})(), "int8_without_fp16")
    with pytest.raises(TypeError, match="not the string"):
        check_shapes({"input_ids": "16x128"})
