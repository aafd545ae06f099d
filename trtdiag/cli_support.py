"""What every ``trtdiag`` command shares: exit codes, one-line failures, safe output writing, help epilogs.

Kept apart from :mod:`trtdiag.cli` so that the command module stays a list of thin commands; it imports
nothing heavy, so ``trtdiag --help`` stays fast.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import click

from trtdiag.errors import TrtdiagError
from trtdiag.io.outputs import check_outputs, model_inputs, write_atomic, write_atomic_chunks


def epilog(example: str, gates: str | None = "a --fail-on gate failed") -> str:
    """A command's --help ending: one example, and the exit codes (``\\b`` keeps click from re-wrapping)."""
    codes = ["0 done (a finished analysis, whatever its verdict)"] + ([f"1 {gates}"] if gates else [])
    codes += ["2 bad input (one line on stderr)", "3 internal error"]
    return "\b\nExample:\n  " + example + "\n\n\b\nExit codes:\n  " + "\n  ".join(codes)


EXIT_VERDICT = 1
EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 3
PROGRESS_MIN_BYTES = 32 << 20


def fail(message: str, code: int = EXIT_BAD_INPUT) -> None:
    click.echo(f"trtdiag: error: {message}", err=True)
    sys.exit(code)


def write_output(path: Path, text: str | Iterable[str]) -> None:
    """Write one output atomically (``-`` is stdout); its folder is created if missing. ``text`` may come
    in pieces (a streamed JSON document): written as they come, the target replaced after the last."""
    if str(path) != "-":
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise TrtdiagError(f"cannot write {path}: {exc.strerror or exc}") from exc
    if isinstance(text, str):
        write_atomic(path, text)
    else:
        write_atomic_chunks(path, text)


def check_output_paths(inputs: list[Path | None], outputs: dict[str, Path | None]) -> None:
    """Refuse, before anything is read or written, outputs that clash with an input or each other.

    A model's external-data files (``model.onnx.data`` and the files it names) count as inputs."""
    expanded: list[Path | None] = []
    for item in inputs:
        expanded.append(item)
        if item is not None and item.suffix.lower() == ".onnx":
            expanded.extend(model_inputs(item))
    check_outputs(expanded, outputs)


def echo_summary(line: str, outputs: tuple[Path | None, ...]) -> None:
    """The summary line goes to stderr when a document is written to stdout (stdout stays valid JSON/HTML)."""
    click.echo(line, err=any(o is not None and str(o) == "-" for o in outputs))


def run_guarded(fn: Callable[[], Any]) -> Any:
    """Turn every failure into one line on stderr and a documented exit code, never a traceback.

    A function returning an int sets the exit code (1 for a failed verdict)."""
    try:
        code = fn()
        if isinstance(code, int) and code:
            sys.exit(code)
        return code
    except TrtdiagError as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        fail("interrupted", 130)
    except Exception as exc:  # last resort: the user gets one line, developers can ask for more
        if os.environ.get("TRTDIAG_DEBUG"):
            raise
        fail(f"internal error: {type(exc).__name__}: {exc} (set TRTDIAG_DEBUG=1 for a traceback)", EXIT_INTERNAL)


def _looks_like_text_log(path: Path) -> bool:
    """A plain-text file (a build log) rather than an ONNX protobuf: no NUL bytes, decodes as UTF-8."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(4096)
    except OSError:
        return False
    if not head or b"\0" in head or head[:2] == b"\x1f\x8b":
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start > len(head) - 4  # a multi-byte character cut at the end of the sample
    return True


def check_not_swapped(log: Path, model: Path | None) -> None:
    """A build log given as MODEL (and an ONNX file as LOG) is the commonest slip: say so in words."""
    if model is None or not model.is_file() or model.suffix.lower() == ".onnx":
        return
    if not _looks_like_text_log(model):
        return
    if log.suffix.lower() == ".onnx" or not _looks_like_text_log(log):
        raise TrtdiagError(f"{log} is an ONNX model and {model} a text log: did you swap LOG and MODEL? "
                           "(usage: trtdiag analyze LOG [MODEL])")
    raise TrtdiagError(f"{model} is a text log, not an ONNX model: MODEL must be the .onnx file the engine was "
                       "built from (usage: trtdiag analyze LOG [MODEL])")
