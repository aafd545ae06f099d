"""What ``trtdiag fix`` prints and returns: progress, the before/after table, the checks, the build commands.

Kept out of :mod:`trtdiag.cli` (which only declares the options) so the command module stays small; the
exit code is 0 only when every check of the fixed model passed, 1 when one failed.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import click

from trtdiag.fix.document import check_lines, table, to_json, verdict_line
from trtdiag.fix.pipeline import FixOptions, default_output, input_files, run_fix
from trtdiag.io.outputs import check_outputs, write_atomic

EXIT_CHECK_FAILED = 1


def _progress(done: int, total: int) -> None:
    click.echo(f"\rtrtdiag: fix: sensitivity sweep {done}/{total} variants", err=True, nl=done == total)


def run_command(model: Path, options: FixOptions, json_out: Path | None,
                echo: Callable[[str], None] = click.echo) -> int:
    """Run ``fix``, print its report, write the JSON document; the exit code."""
    options = replace(options, output=options.output or str(default_output(model)))
    out = options.output
    check_outputs(input_files(model, options), {"-o": out, "--json": json_out})
    report = run_fix(model, options, _progress if sys.stderr.isatty() else None)
    if json_out is not None:
        if str(json_out) != "-":
            json_out.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(json_out, to_json(report))
    say = (lambda s: click.echo(s, err=True)) if json_out is not None and str(json_out) == "-" else echo
    say(f"Selection: {report.selection.reason}")
    for line in table(report) + check_lines(report):
        say(line)
    say("Build the new model with TensorRT:" if report.passed else
        "Build commands (only once the failing checks above are resolved):")
    for c in report.commands:
        say(f"  # {c.purpose}\n  {c.command}")
    say(verdict_line(report))
    return 0 if report.passed else EXIT_CHECK_FAILED
