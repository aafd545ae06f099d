"""Command line: a thin layer over :mod:`trtdiag.analysis`, :mod:`trtdiag.comparison` and :mod:`trtdiag.report.html`.

Exit codes: 0 pass, 1 verdict failed (``--fail-on``, ``--min-int8-mac-share``, ``--min-speedup``),
2 bad input (one-line message on stderr), 3 internal error.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from trtdiag import __version__
from trtdiag.cli_support import (
    EXIT_VERDICT,
    PROGRESS_MIN_BYTES,
    check_not_swapped,
    check_output_paths,
    echo_summary,
    epilog,
    run_guarded,
    write_output,
)
from trtdiag.errors import InputError, TrtdiagError


def _threshold(name: str, value: float | None, low: float, high: float) -> None:
    """A CI threshold that is NaN or out of range would pass every build: refuse it (exit 2)."""
    from trtdiag.validate import check_threshold

    check_threshold(name, value, low, high)



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
    engines: dict[str, Any] | None = None,
    fail_on: str = "never",
    min_int8_mac_share: float | None = None,
) -> int:
    from trtdiag.io import hits_process
    from trtdiag.io.files import is_stdin
    from trtdiag.log_pass import start_search

    if not is_stdin(log) and not log.exists():
        raise TrtdiagError(f"log file not found: {log}")
    if is_stdin(log) and sys.stdin is not None and sys.stdin.isatty():
        raise TrtdiagError("LOG is '-' but standard input is a terminal: pipe a log in (trtexec ... 2>&1 | trtdiag "
                           "analyze -)")
    _threshold("--min-int8-mac-share", min_int8_mac_share, 0.0, 1.0)
    html_path = html_out if html_out is not None else Path(f"{'stdin' if is_stdin(log) else log.name}.trtdiag.html")
    given = engines or {}
    inputs = [log, model, calib_cache, *(given.get(k) for k in ("fp16_layers", "int8_layers", "fp16_profile",
                                                                 "int8_profile")), *(given.get("outputs") or ())]
    check_output_paths(inputs, {"-o": html_path, "--json": json_out})
    check_not_swapped(log, model)
    size = log.stat().st_size if log.is_file() else 0
    show = progress if progress is not None else (sys.stderr.isatty() and size >= PROGRESS_MIN_BYTES)
    start_search(log, scanner)  # before the analysis is imported: trtdiag/log_pass.py
    try:
        result = _analyze(log, model, show, size, shapes=shapes, calib_cache=calib_cache, scanner=scanner,
                          engines=engines)
    finally:
        hits_process.discard()  # a search the pass did not take over
    doc = result.document(timestamp=timestamp)  # one document for both outputs; its JSON is streamed
    write_output(html_path, result.to_html(doc=doc))
    if json_out is not None:
        write_output(json_out, result.json_chunks(doc=doc))
    failures = result.failures(fail_on, min_int8_mac_share)
    if not quiet or failures:
        echo_summary(result.summary_line(str(html_path), str(json_out) if json_out else None, failures),
                      (html_path, json_out))
    if result.truncated:
        raise TrtdiagError(
            f"{log}: log is truncated ({result.log.truncation_reason}); partial report written to {html_path}")
    return EXIT_VERDICT if failures else 0


def _analyze(log: Path, model: Path | None, show: bool, size: int, *, engines: dict[str, Any] | None,
             **options: Any) -> Any:
    from trtdiag.analysis import analyze

    if show:
        with click.progressbar(length=size, label="reading log", file=sys.stderr) as bar:
            return analyze(log, model, allow_truncated=True, on_progress=bar.update, **options, **(engines or {}))
    return analyze(log, model, allow_truncated=True, **options, **(engines or {}))


@main.command(short_help='Explain a TensorRT build log (and its ONNX model).',
              epilog=epilog('trtdiag analyze build.log model.onnx -o report.html --json report.json',
                             'a --fail-on or --min-int8-mac-share gate failed'))
@click.argument("log", type=click.Path(path_type=Path))
@click.argument("model", required=False, type=click.Path(path_type=Path))
@click.option("-o", "--output", "html_out", type=click.Path(path_type=Path),
              help="HTML report to write (default: <log name>.trtdiag.html in the current folder).")
@click.option("--json", "json_out", type=click.Path(path_type=Path), help="Also write the JSON document here.")
@click.option("--shapes", help="Input shapes for compute weighting, trtexec syntax: "
              "input_ids:16x128,attention_mask:16x128 (default: batch 1, other dynamic dims 128).")
@click.option("--calib-cache", type=click.Path(path_type=Path),
              help="Calibration cache to check: TensorRT (TRT-<ver>-<Algo> header) or ONNX Runtime table.")
@click.option("--fp16-layers", type=click.Path(path_type=Path), help="FP16 engine layer information (JSON or log).")
@click.option("--int8-layers", type=click.Path(path_type=Path),
              help="INT8 engine layer information (default: the build log, if it has Engine Layer Information).")
@click.option("--fp16-profile", type=click.Path(path_type=Path), help="FP16 per-layer profile (JSON or log).")
@click.option("--int8-profile", type=click.Path(path_type=Path), help="INT8 per-layer profile (JSON or log).")
@click.option("--no-timestamp", is_flag=True, help="Leave out the generated-at time (byte-identical reruns).")
@click.option("--scanner", type=click.Choice(["auto", "hyperscan", "python"]), default="auto", show_default=True,
              help="Keyword scanner for the log (auto: Hyperscan when installed).")
@click.option("--progress/--no-progress", default=None,
              help="Progress bar on stderr (default: on for large logs when stderr is a terminal).")
@click.option("--fail-on", type=click.Choice(["error", "warning", "never"]), default="never", show_default=True,
              help="Exit 1 when a finding of this severity or worse is found.")
@click.option("--min-int8-mac-share", type=float,
              help="Exit 1 when less than this share of GEMM/Conv MACs can run in INT8 (needs the model).")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing on success.")
@click.option("--outputs", multiple=True, type=click.Path(path_type=Path),
              help="Saved outputs (Polygraphy RunResults JSON or .npz; repeatable): the INT8 engine's, and the FP32 "
                   "reference's unless MODEL is given (then the reference runs on CPU).")
@click.option("--build", "build", type=click.IntRange(min=1),
              help="In a log of several builds, analyse build K (1 = the first; default: the last).")
def analyze(log: Path, model: Path | None, html_out: Path | None, json_out: Path | None, shapes: str | None,
            calib_cache: Path | None, fp16_layers: Path | None, int8_layers: Path | None, fp16_profile: Path | None,
            int8_profile: Path | None, no_timestamp: bool, scanner: str, progress: bool | None, fail_on: str,
            min_int8_mac_share: float | None, quiet: bool, outputs: tuple[Path, ...],
            build: int | None) -> None:
    """Analyse a TensorRT build LOG (plain or .gz; - for standard input) and optionally its ONNX MODEL."""
    engines: dict[str, Any] = {"fp16_layers": fp16_layers, "int8_layers": int8_layers, "fp16_profile": fp16_profile,
                               "int8_profile": int8_profile, "outputs": list(outputs) or None,
                               "build": build}  # passed on to analysis.analyze
    run_guarded(lambda: _analyze_and_write(
        log, model, html_out, json_out, timestamp=not no_timestamp, scanner=scanner, progress=progress,
        quiet=quiet, shapes=shapes, calib_cache=calib_cache, engines=engines, fail_on=fail_on,
        min_int8_mac_share=min_int8_mac_share))


@main.command(short_help='Analyse the embedded demo build and write its report.',
              epilog=epilog('trtdiag demo -o reports',
                             'a --fail-on gate failed (never for the demo)'))
@click.option("-o", "--output-dir", type=click.Path(path_type=Path), default=Path("reports"), show_default=True,
              help="Folder for the demo's HTML and JSON report.")
@click.option("--no-timestamp", is_flag=True, help="Leave out the generated-at time.")
def demo(output_dir: Path, no_timestamp: bool) -> None:
    """Run the analysis on the embedded demo (a failed INT8-only build of a tiny XLM-R model)."""
    from trtdiag.demo import DEMO_NAME, demo_files

    log, model = demo_files()
    run_guarded(lambda: _analyze_and_write(
        log, model, output_dir / f"{DEMO_NAME}.html", output_dir / f"{DEMO_NAME}.json",
        timestamp=not no_timestamp, scanner="auto", progress=False, quiet=False))


def _compare_and_write(fp16: tuple[Path, ...], int8: tuple[Path, ...], model: Path | None, shapes: str | None,
                       html_out: Path, json_out: Path | None, csv_out: Path | None, timestamp: bool,
                       fail_on: str = "never", min_speedup: float | None = None, strict: bool = False) -> int:
    from trtdiag.comparison import compare_artifacts
    from trtdiag.engine.artifacts import is_choice_note

    _threshold("--min-speedup", min_speedup, 0.0, 1e6)
    check_output_paths([*fp16, *int8, model], {"-o": html_out, "--json": json_out, "--csv": csv_out})
    result = compare_artifacts(list(fp16), list(int8), model=model, shapes=shapes)
    if strict and result.swapped:  # bad usage, not a verdict: nothing is written
        raise InputError(result.sides_warning or "--fp16 and --int8 look swapped")
    write_output(html_out, result.to_html(timestamp=timestamp))
    if json_out is not None:
        write_output(json_out, result.to_json(timestamp=timestamp))
    if csv_out is not None:
        write_output(csv_out, result.to_csv())
    failures = result.failures(fail_on, min_speedup)
    if result.mismatch:
        click.echo(f"trtdiag: warning: {result.mismatch}", err=True)
        if strict:
            failures.append("the inputs look like different networks")
    if result.sides_warning:
        click.echo(f"trtdiag: warning: {result.sides_warning}", err=True)
    for note in (*result.fp16.notes, *result.int8.notes):
        if is_choice_note(note):
            click.echo(f"trtdiag: note: {note}", err=True)
    written = tuple(str(p) for p in (json_out, csv_out) if p is not None)
    echo_summary(result.summary_line(str(html_out), failures, written), (html_out, json_out, csv_out))
    return EXIT_VERDICT if failures else 0


@main.command(short_help='Compare FP16 and INT8 engines layer by layer.',
              epilog=epilog('trtdiag compare --fp16 art/fp16 --int8 art/int8 --model model.onnx '
                             '--json c.json --csv nodes.csv',
                             'a --fail-on or --min-speedup gate failed'))
@click.option("--fp16", multiple=True, required=True, type=click.Path(path_type=Path),
              help="FP16 engine artifacts: files or a folder (layer info, profile, perf summary, build log).")
@click.option("--int8", multiple=True, required=True, type=click.Path(path_type=Path),
              help="INT8 engine artifacts, as for --fp16.")
@click.option("--model", type=click.Path(path_type=Path), help="The ONNX model both engines were built from.")
@click.option("--shapes", help="Input shapes for MACs, trtexec syntax.")
@click.option("-o", "--output", "html_out", type=click.Path(path_type=Path), default=Path("compare.html"),
              show_default=True, help="Standalone HTML comparison.")
@click.option("--json", "json_out", type=click.Path(path_type=Path), help="JSON document.")
@click.option("--csv", "csv_out", type=click.Path(path_type=Path), help="Per-node table as CSV.")
@click.option("--no-timestamp", is_flag=True, help="Leave out the generated-at time.")
@click.option("--fail-on", type=click.Choice(["error", "warning", "never"]), default="never", show_default=True,
              help="Exit 1 when a comparison finding of this severity or worse is found.")
@click.option("--min-speedup", type=float, help="Exit 1 unless INT8 is at least this many times faster than FP16.")
@click.option("--strict", is_flag=True, help="Exit 1 when the engines (or engines and model) look like different "
              "networks (no common I/O tensor, almost no model node covered); exit 2, writing nothing, when "
              "--fp16 and --int8 look swapped (the FP16 side has more INT8 layers than the INT8 side).")
def compare(fp16: tuple[Path, ...], int8: tuple[Path, ...], model: Path | None, shapes: str | None, html_out: Path,
            json_out: Path | None, csv_out: Path | None, no_timestamp: bool, fail_on: str,
            min_speedup: float | None, strict: bool) -> None:
    """Compare an FP16 and an INT8 engine layer by layer, aligned on ONNX nodes."""
    run_guarded(lambda: _compare_and_write(fp16, int8, model, shapes, html_out, json_out, csv_out,
                                            not no_timestamp, fail_on, min_speedup, strict))


@main.command(short_help='Print the commands that collect every artifact.',
              epilog=epilog('trtdiag recipe model.onnx --shapes input_ids:8x128 > recipe.sh && bash recipe.sh',
                             None))
@click.argument("model", type=click.Path(path_type=Path))
@click.option("--trt-version", help="TensorRT version the commands are for (8.2+, 10, 11; default 10).")
@click.option("--shapes", help="Input shapes, trtexec syntax.")
@click.option("--calib-cache", help="An existing calibration cache to build the INT8 engine with.")
@click.option("--out", "out_dir", default="trtdiag-artifacts", show_default=True, help="Folder for the artifacts.")
def recipe(model: Path, trt_version: str | None, shapes: str | None, calib_cache: str | None, out_dir: str) -> None:
    """Print the trtexec and Polygraphy commands that produce everything trtdiag reads."""
    from trtdiag.io.files import check_file
    from trtdiag.recipe import build_recipe

    def run() -> None:
        check_file(model)  # a recipe for a model that is not there is a typo: exit 2
        click.echo(build_recipe(str(model), trt_version=trt_version, shapes=shapes, out_dir=out_dir,
                                calib_cache=calib_cache).text(), nl=False)

    run_guarded(run)


@main.command(short_help='Build, profile and compare engines (needs TensorRT).',
              epilog=epilog('trtdiag collect model.onnx --shapes input_ids:8x128 -o compare.html',
                             None))
@click.argument("model", type=click.Path(path_type=Path))
@click.option("--trt-version", help="TensorRT version installed (default: read from the tensorrt package).")
@click.option("--shapes", help="Input shapes, trtexec syntax.")
@click.option("--calib-cache", help="An existing calibration cache (skips the Polygraphy calibration step).")
@click.option("--data-loader-script", default="data_loader.py", show_default=True,
              help="Polygraphy data-loader script for calibration.")
@click.option("--out", "out_dir", default="trtdiag-artifacts", show_default=True, help="Folder for the artifacts.")
@click.option("-o", "--output", "html_out", type=click.Path(path_type=Path), default=Path("compare.html"),
              show_default=True)
def collect(model: Path, trt_version: str | None, shapes: str | None, calib_cache: str | None,
            data_loader_script: str, out_dir: str, html_out: Path) -> None:
    """Build FP16 and INT8 engines with TensorRT, export their layers and profiles, and compare them.

    Needs trtexec, polygraphy and the tensorrt package (pip install 'trtdiag[trt]'); exits 2 without them.
    """
    def run() -> None:
        from trtdiag.recipe import build_recipe, run_recipe, tensorrt_available

        ok, why = tensorrt_available()
        if not ok:
            raise TrtdiagError(why + " - `trtdiag recipe` prints the commands to run on a machine with TensorRT")
        version = trt_version or _installed_trt_version()
        r = build_recipe(str(model), trt_version=version, shapes=shapes, out_dir=out_dir, calib_cache=calib_cache,
                         data_loader=data_loader_script)
        run_recipe(r, on_step=lambda step: click.echo(f"trtdiag: collect: {step.name}", err=True))
        _compare_and_write((Path(out_dir) / "fp16",), (Path(out_dir) / "int8",), model, shapes, html_out,
                           Path(out_dir) / "compare.json", Path(out_dir) / "nodes.csv", True)

    run_guarded(run)


def _installed_trt_version() -> str | None:
    try:
        from importlib.metadata import version

        return version("tensorrt")
    except Exception:
        return None


@main.command(short_help='Classify outputs against an FP32 reference.',
              epilog=epilog('trtdiag accuracy model.onnx --candidate int8_outputs.json -o accuracy.html',
                             'a --fail-on gate failed'))
@click.argument("model", required=False, type=click.Path(path_type=Path))
@click.option("--reference", type=click.Path(path_type=Path),
              help="Reference outputs: Polygraphy RunResults JSON (--save-outputs) or .npz of named outputs.")
@click.option("--candidate", "candidates", multiple=True, required=True, type=click.Path(path_type=Path),
              help="Outputs to judge (repeatable); every runner in the file is a candidate.")
@click.option("--model", "model_opt", type=click.Path(path_type=Path),
              help="The ONNX model: maps tensors to nodes and blocks, adds static hazards.")
@click.option("--inputs", type=click.Path(path_type=Path),
              help="Feeds for the CPU reference run: polygraphy --save-inputs JSON or .npz.")
@click.option("--data", type=click.Path(path_type=Path), help="Feeds for the CPU reference run as one .npz.")
@click.option("--mark", help="Regex of intermediate tensors to mark in the CPU reference run "
              "(default: the candidate's intermediates, block outputs, LayerNorm and Softmax outputs).")
@click.option("--atol", type=float, help="Absolute tolerance for Polygraphy's pass/fail check.")
@click.option("--rtol", type=float, help="Relative tolerance for Polygraphy's pass/fail check.")
@click.option("--json", "json_out", type=click.Path(path_type=Path), help="Write the trtdiag.accuracy/1 document.")
@click.option("-o", "--output", "html_out", type=click.Path(path_type=Path), help="Write the standalone HTML page.")
@click.option("--fail-on", default="never", show_default=True,
              type=click.Choice(["never", "error", "warning", "tolerance", "fp16-level", "int8-level", "degraded",
                                 "broken"]),
              help="Exit 1 on a finding of this severity, an output outside --atol/--rtol (tolerance), or a "
                   "candidate in this accuracy class or worse.")
@click.option("--no-timestamp", is_flag=True, help="Leave out the generated-at time.")
@click.option("--log", "build_log", type=click.Path(path_type=Path),
              help="The engine's build log: its findings join the outputs' (one root cause when INT8 did not engage).")
def accuracy(model: Path | None, reference: Path | None, candidates: tuple[Path, ...], model_opt: Path | None,
             inputs: Path | None, data: Path | None, mark: str | None, atol: float | None, rtol: float | None,
             json_out: Path | None, html_out: Path | None, fail_on: str, no_timestamp: bool,
             build_log: Path | None) -> None:
    """Classify candidate outputs (INT8/FP16 engines) against an FP32 reference, saved or run on CPU from MODEL."""
    def run() -> int:
        from trtdiag.accuracy.document import to_html, to_json
        from trtdiag.accuracy.pipeline import accuracy_from_files

        if model is not None and model_opt is not None and model != model_opt:
            raise TrtdiagError("give the model once: as the MODEL argument or with --model")
        if inputs is not None and data is not None:
            raise TrtdiagError("give the reference feeds once: --inputs or --data")
        if reference is None and model is None and model_opt is None:
            raise TrtdiagError("give --reference outputs, or the ONNX MODEL to run the reference on CPU")
        check_output_paths([model, model_opt, reference, *candidates, inputs, data],
                       {"-o": html_out, "--json": json_out})
        result = accuracy_from_files(list(candidates), reference=reference, model=model or model_opt,
                                     inputs=inputs or data, mark=mark, atol=atol, rtol=rtol)
        if build_log is not None:
            from trtdiag.accuracy.join import with_log_findings
            from trtdiag.analysis import analyze

            log_findings = analyze(build_log, model or model_opt, allow_truncated=True).findings
            result = with_log_findings(result, log_findings, str(build_log))
        if html_out is not None:
            write_output(html_out, to_html(result, timestamp=not no_timestamp))
        if json_out is not None:
            write_output(json_out, to_json(result, timestamp=not no_timestamp))
        failures = result.failures(fail_on)
        echo_summary(result.summary_line(str(html_out) if html_out else None,
                                          str(json_out) if json_out else None, failures), (html_out, json_out))
        return EXIT_VERDICT if failures else 0

    run_guarded(run)



@main.command(short_help='Check the Q/DQ placement of an ONNX model.',
              epilog=epilog('trtdiag lint model.qdq.onnx -o lint.html --json lint.json',
                             'a --fail-on gate failed (default: error)'))
@click.argument("model", type=click.Path(path_type=Path))
@click.option("--json", "json_out", type=click.Path(path_type=Path), help="Write the JSON document (trtdiag.lint/1).")
@click.option("-o", "--output", "html_out", type=click.Path(path_type=Path), help="Write the HTML report here.")
@click.option("--fail-on", type=click.Choice(["error", "warning", "never"]), default="error", show_default=True,
              help="Exit 1 when a finding of this severity or worse is found.")
@click.option("--shapes", help="Input shapes for MACs, trtexec syntax (default: batch 1, other dynamic dims 128).")
@click.option("--no-timestamp", is_flag=True, help="Leave out the generated-at time (byte-identical reruns).")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing when the verdict passes.")
def lint(model: Path, json_out: Path | None, html_out: Path | None, fail_on: str, shapes: str | None,
         no_timestamp: bool, quiet: bool) -> None:
    """Check the Q/DQ placement of an ONNX MODEL before the TensorRT build (no GPU; weights are not read)."""
    def run() -> int:
        from trtdiag.lint.document import lint_json
        from trtdiag.lint.report import render_lint_html
        from trtdiag.lint.run import lint_model

        check_output_paths([model], {"-o": html_out, "--json": json_out})
        result = lint_model(model, shapes=shapes)
        if html_out is not None:
            write_output(html_out, render_lint_html(result, timestamp=not no_timestamp))
        if json_out is not None:
            write_output(json_out, lint_json(result, timestamp=not no_timestamp))
        failures = result.failures(fail_on)
        if not quiet or failures:
            to_err = any(o is not None and str(o) == "-" for o in (html_out, json_out))
            click.echo(result.summary_line(str(html_out) if html_out else None, str(json_out) if json_out else None),
                       err=to_err)
            for line in result.finding_lines():
                click.echo(line, err=to_err)
        return EXIT_VERDICT if failures else 0

    run_guarded(run)


def sweep_options(f: Any) -> Any:
    """The data and sweep options ``sensitivity`` and ``fix`` share (one definition, one help text)."""
    for option in reversed((
        click.option("--data", help="Calibration samples: .npz of arrays keyed by input name (ModelOpt's format)."),
        click.option("--eval-data", help="Held-out samples (.npz) for the errors and checks; default: the last "
                     "batches of --data."),
        click.option("--data-loader-script", "loader", help="Polygraphy-style s.py[:func] (default load_data) "
                     "yielding feed dicts, instead of --data; it is your code and runs in this process."),
        click.option("--shapes", help="Input shapes, trtexec syntax (input_ids:4x128,...)."),
        click.option("--granularity", type=click.Choice(["block", "role", "node"]), default="block",
                     show_default=True),
        click.option("--workers", type=click.IntRange(0), default=0,
                     help="Sweep worker processes (default: every core)."),
        click.option("--seed", type=int, default=0, show_default=True, help="Seed of the synthetic data."),
    )):
        f = option(f)
    return f


@main.command(short_help='Rank blocks, roles or nodes by how much INT8 hurts the outputs.')
@click.argument("model", type=click.Path(path_type=Path))
@sweep_options
@click.option("--json", "json_out", type=click.Path(path_type=Path), help="trtdiag.sensitivity/1 JSON document.")
@click.option("-o", "--output", "html_out", type=click.Path(path_type=Path), help="Standalone HTML page.")
def sensitivity(model: Path, data: str | None, eval_data: str | None, loader: str | None, shapes: str | None,
                granularity: str, workers: int, seed: int, json_out: Path | None, html_out: Path | None) -> None:
    """Rank blocks, roles or nodes of MODEL by how much INT8 hurts its outputs (CPU, ONNX Runtime)."""
    def run() -> None:
        from trtdiag.sensitivity.data import SYNTHETIC_NOTE
        from trtdiag.sensitivity.document import summary_line, to_json
        from trtdiag.sensitivity.groups import Granularity
        from trtdiag.sensitivity.page import to_html
        from trtdiag.sensitivity.pipeline import SensitivityOptions, run_sensitivity

        def progress(done: int, total: int) -> None:
            click.echo(f"\rtrtdiag: sensitivity: {done}/{total} variants", err=True, nl=done == total)

        options = SensitivityOptions(data, eval_data, shapes, Granularity(granularity), workers, seed, loader)
        check_output_paths([model, *(Path(p) for p in (data, eval_data) if p)], {"--json": json_out, "-o": html_out})
        if data is None and loader is None and model.is_file():  # say it before the sweep, not after minutes of work
            click.echo(f"trtdiag: note: {SYNTHETIC_NOTE}", err=True)
        report = run_sensitivity(model, options, progress)
        for note in report.notes:
            if note != SYNTHETIC_NOTE:
                click.echo(f"trtdiag: note: {note}", err=True)
        if json_out is not None:
            write_output(json_out, to_json(report))
        if html_out is not None:
            write_output(html_out, to_html(report))
        click.echo(summary_line(report, str(html_out) if html_out else None))

    run_guarded(run)


@main.command(short_help="Write the Q/DQ model with the sensitive nodes out of INT8, and check it.")
@click.argument("model", type=click.Path(path_type=Path))
@sweep_options
@click.option("--exclude-top", type=int, help="Keep the K most sensitive groups out of INT8.")
@click.option("--max-error", type=float, help="Exclude the fewest groups whose error (1 - cosine) is within E.")
@click.option("--backend", type=click.Choice(["auto", "modelopt", "onnxruntime"]), default="auto", show_default=True)
@click.option("--modelopt-python", help="Python of the venv where ModelOpt is installed (run as a subprocess).")
@click.option("--from-sensitivity", help="Reuse a `trtdiag sensitivity --json` document instead of sweeping.")
@click.option("-o", "--output", "out", help="The Q/DQ model (default: MODEL.qdq.onnx beside MODEL).")
@click.option("--json", "json_out", type=click.Path(path_type=Path), help="trtdiag.fix/1 JSON document.")
def fix(model: Path, data: str | None, eval_data: str | None, loader: str | None, shapes: str | None,
        exclude_top: int | None, max_error: float | None, backend: str, modelopt_python: str | None,
        from_sensitivity: str | None, granularity: str, workers: int, seed: int, out: str | None,
        json_out: Path | None) -> None:
    """Write MODEL's Q/DQ model with the most sensitive groups kept out of INT8, then check it: lint placement,
    NaN/Inf inside, accuracy vs FP32 on held-out batches. Exit 0 only when every check passed, 1 when one
    failed (named), 2 bad input."""
    def run() -> int:
        from trtdiag.fix.backends import Backend
        from trtdiag.fix.command import run_command
        from trtdiag.fix.pipeline import FixOptions
        from trtdiag.sensitivity.groups import Granularity

        options = FixOptions(data, eval_data, loader, shapes, exclude_top, max_error, Backend(backend),
                             modelopt_python, from_sensitivity, Granularity(granularity), workers, seed, out)
        return run_command(model, options, json_out)

    run_guarded(run)


if __name__ == "__main__":
    main()
