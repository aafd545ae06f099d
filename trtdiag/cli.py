"""Command line: a thin layer over :mod:`trtdiag.analysis` and :mod:`trtdiag.report`.

Exit codes: 0 analysis done, 2 bad input (one-line message on stderr), 3 internal error.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from trtdiag import __version__
from trtdiag.errors import TrtdiagError

EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 3
_PROGRESS_MIN_BYTES = 32 << 20


def _fail(message: str, code: int = EXIT_BAD_INPUT) -> None:
    click.echo(f"trtdiag: error: {message}", err=True)
    sys.exit(code)


def _write(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise TrtdiagError(f"cannot write {path}: {exc.strerror or exc}") from exc


def _run_guarded(fn: Callable[[], Any]) -> Any:
    """Turn every failure into one line on stderr and a documented exit code, never a traceback."""
    try:
        return fn()
    except TrtdiagError as exc:
        _fail(str(exc))
    except KeyboardInterrupt:
        _fail("interrupted", 130)
    except Exception as exc:  # last resort: the user gets one line, developers can ask for more
        if os.environ.get("TRTDIAG_DEBUG"):
            raise
        _fail(f"internal error: {type(exc).__name__}: {exc} (set TRTDIAG_DEBUG=1 for a traceback)", EXIT_INTERNAL)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="trtdiag")
def main() -> None:
    """Explain failed TensorRT INT8 builds from logs and ONNX models (offline, no GPU needed)."""


def _analyze_and_write(
    log: Path,
    model: Path | None,
    html_out: Path | None,
    json_out: Path | None,
    *,
    timestamp: bool,
    scanner: str,
    progress: bool | None,
    quiet: bool,
    shapes: str | None = None,
    calib_cache: Path | None = None,
) -> None:
    from trtdiag.analysis import analyze

    if not log.exists():
        raise TrtdiagError(f"log file not found: {log}")
    size = log.stat().st_size if log.is_file() else 0
    show = progress if progress is not None else (sys.stderr.isatty() and size >= _PROGRESS_MIN_BYTES)
    if show:
        with click.progressbar(length=size, label="reading log", file=sys.stderr) as bar:
            result = analyze(log, model, shapes=shapes, calib_cache=calib_cache, scanner=scanner,
                             allow_truncated=True, on_progress=bar.update)
    else:
        result = analyze(log, model, shapes=shapes, calib_cache=calib_cache, scanner=scanner, allow_truncated=True)
    html_path = html_out if html_out is not None else Path(f"{log.name}.trtdiag.html")
    _write(html_path, result.to_html(timestamp=timestamp))
    if json_out is not None:
        _write(json_out, result.to_json(timestamp=timestamp))
    v = result.verdict
    summary = f"trtdiag: {v.severity}: {v.headline}"
    share = result.int8_blocked_share
    if share is not None:
        summary += f" | INT8-blocked MACs: {share * 100:.1f}%"
    n = len(result.log.missing_scale)
    if n:
        summary += f" | {n} tensors lacked INT8 scales"
    if result.findings:
        summary += " | findings: " + ", ".join(f.id for f in result.findings)
    summary += f" | report: {html_path}"
    if json_out is not None:
        summary += f" | json: {json_out}"
    if not quiet:
        click.echo(summary)
    if result.truncated:
        raise TrtdiagError(
            f"{log}: log is truncated ({result.log.truncation_reason}); partial report written to {html_path}")


@main.command()
@click.argument("log", type=click.Path(path_type=Path))
@click.argument("model", required=False, type=click.Path(path_type=Path))
@click.option("-o", "--output", "html_out", type=click.Path(path_type=Path),
              help="HTML report to write (default: <log name>.trtdiag.html in the current folder).")
@click.option("--json", "json_out", type=click.Path(path_type=Path), help="Also write the JSON document here.")
@click.option("--shapes", help="Input shapes for compute weighting, trtexec syntax: "
              "input_ids:16x128,attention_mask:16x128 (default: batch 1, other dynamic dims 128).")
@click.option("--calib-cache", type=click.Path(path_type=Path),
              help="Calibration cache to check: TensorRT (TRT-<ver>-<Algo> header) or ONNX Runtime table.")
@click.option("--no-timestamp", is_flag=True, help="Leave out the generated-at time (byte-identical reruns).")
@click.option("--scanner", type=click.Choice(["auto", "hyperscan", "python"]), default="auto", show_default=True,
              help="Keyword scanner for the log (auto: Hyperscan when installed).")
@click.option("--progress/--no-progress", default=None,
              help="Progress bar on stderr (default: on for large logs when stderr is a terminal).")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing on success.")
def analyze(log: Path, model: Path | None, html_out: Path | None, json_out: Path | None, shapes: str | None,
            calib_cache: Path | None, no_timestamp: bool, scanner: str, progress: bool | None, quiet: bool) -> None:
    """Analyse a TensorRT build LOG (plain or .gz) and optionally its ONNX MODEL."""
    _run_guarded(lambda: _analyze_and_write(
        log, model, html_out, json_out, timestamp=not no_timestamp, scanner=scanner, progress=progress,
        quiet=quiet, shapes=shapes, calib_cache=calib_cache))


@main.command()
@click.option("-o", "--output-dir", type=click.Path(path_type=Path), default=Path("reports"), show_default=True,
              help="Folder for the demo's HTML and JSON report.")
@click.option("--no-timestamp", is_flag=True, help="Leave out the generated-at time.")
def demo(output_dir: Path, no_timestamp: bool) -> None:
    """Run the analysis on the embedded demo (a failed INT8-only build of a tiny XLM-R model)."""
    from trtdiag.demo import DEMO_NAME, demo_files

    log, model = demo_files()
    _run_guarded(lambda: _analyze_and_write(
        log, model, output_dir / f"{DEMO_NAME}.html", output_dir / f"{DEMO_NAME}.json",
        timestamp=not no_timestamp, scanner="auto", progress=False, quiet=False))


if __name__ == "__main__":
    main()
