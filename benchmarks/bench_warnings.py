#!/usr/bin/env python3
"""Benchmark a log of one million DISTINCT "Missing scale" warnings: the read alone and the whole analyze.

Why: per-tensor state is the memory risk of trtdiag (a large model warns about every tensor), and
a log of distinct names defeats every cache. The log is written at run time by
make_warnings_log.py into --workdir (default /tmp/trtdiag-bench; about 210 MB for a million).

It times, back to back on the page-cached file (--repeat times, interleaved), each with its peak
RSS (GNU time, see bench_measure.py):

- `grep -c 'Missing scale' FILE` (the baseline);
- the read alone: `trtdiag.log.collector.read_log(FILE)` in a fresh interpreter, which also checks
  that every tensor was found;
- the whole `python -m trtdiag analyze FILE --json J -o H`.

Targets (issue 14): the whole analyze under 10 s and under 300 MB. It always exits 0: it reports,
it does not gate.

Usage:
  python benchmarks/bench_warnings.py                       # 1,000,000 tensors, 2 runs each
  python benchmarks/bench_warnings.py --count 100000 --repeat 1
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bench_measure import (
    MIB,
    Meter,
    ToolResult,
    checked_workdir,
    peak_verdict,
    print_outputs,
    ready_meter,
    verdict,
    warm_cache,
)

TARGET_SECONDS = 10.0
TARGET_PEAK_MB = 300.0
GENERATOR = Path(__file__).resolve().parent / "make_warnings_log.py"
READ_ONLY = ("import sys\nfrom trtdiag.log.collector import read_log\n"
             "facts = read_log(sys.argv[1])\nprint(len(facts.missing_scale), len(facts.warning_order))\n")


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--count", type=int, default=1_000_000, help="Distinct tensors (default 1,000,000).")
    ap.add_argument("--repeat", type=int, default=2, help="Timed runs per command.")
    ap.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "trtdiag-bench")
    ap.add_argument("--keep", action="store_true", help="Keep the log (default: deleted at the end).")
    ap.add_argument("--timeout", type=float, default=600.0, help="Limit for each run, in seconds.")
    ap.add_argument("--trtdiag-arg", action="append", default=[], help="Extra argument for trtdiag analyze.")
    return ap


def _make_log(log: Path, count: int) -> dict[str, int]:
    """Write the log in a subprocess (the generator's memory must not count against this process)."""
    out = subprocess.run([sys.executable, str(GENERATOR), str(log), "--count", str(count)],
                         capture_output=True, text=True, check=True)
    summary: dict[str, int] = json.loads(out.stdout)
    return summary


def _time(meter: Meter, log: Path, workdir: Path, args: argparse.Namespace) -> list[ToolResult]:
    commands = {
        "grep -c 'Missing scale'": [shutil.which("grep") or "grep", "-c", "Missing scale", str(log)],
        "read_log alone": [sys.executable, "-c", READ_ONLY, str(log)],
        "trtdiag analyze": [sys.executable, "-m", "trtdiag", "analyze", str(log), "--json",
                            str(workdir / "warnings.json"), "-o", str(workdir / "warnings.html"), "--no-timestamp",
                            *args.trtdiag_arg],
    }
    results = [ToolResult(name) for name in commands]
    for i in range(args.repeat):
        for result, cmd in zip(results, commands.values(), strict=True):
            run = meter.run(cmd, args.timeout)
            if result.tool == "trtdiag analyze" and run.rc == 1:  # exit 1: findings at --fail-on level, still a run
                run.rc = 0
            result.runs.append(run)
            tail = run.stdout_tail.strip().splitlines()[-1:] if result.tool == "read_log alone" else []
            print(f"  run {i + 1}: {result.tool}: {run.wall_s:.2f} s, {run.peak_kb / 1024:.1f} MB, exit {run.rc}"
                  + (f", found {tail[0]}" if tail else ""), flush=True)
            if run.rc != 0:
                print(f"    failed: {run.stderr_tail.strip()[-400:]}")
    return results


def _report(summary: dict[str, int], results: list[ToolResult], workdir: Path) -> None:
    grep, read, analyze = results
    g = grep.stat("best")
    print(f"\nlog: {summary['distinct_tensors']:,} distinct tensors, {summary['bytes'] / MIB:.0f} MiB")
    for r in results:
        best = r.stat("best")
        if best is None:
            print(f"{r.tool}: no successful run")
            continue
        ratio = f", {best / g:.1f}x grep" if g else ""
        print(f"{r.tool}: best {best:.2f} s, median {r.stat('median'):.2f} s, peak {r.peak_mb or 0:.1f} MB{ratio}")
    found = [r.stdout_tail.strip().splitlines()[-1:] for r in read.ok_runs]
    want = f"{summary['distinct_tensors']} {summary['warnings']}"
    verdict(bool(found) and all(f == [want] for f in found), f"read_log found every tensor and "
            f"warning ({want})")
    best = analyze.stat("best")
    if best is not None:
        verdict(best < TARGET_SECONDS, f"trtdiag analyze {best:.2f} s "
                f"(target < {TARGET_SECONDS:g} s)")
        peak_verdict("trtdiag analyze", analyze.peak_mb, TARGET_PEAK_MB)
    print_outputs(workdir, ("warnings.json", "warnings.html"))


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    checked = checked_workdir(args.workdir)
    if checked is None:
        return 0
    workdir: Path = checked
    meter = ready_meter(workdir)
    if meter is None:
        return 0
    log = workdir / f"warnings_{args.count}.log"
    summary = _make_log(log, args.count)
    print(f"built {log} ({summary['bytes'] / MIB:.0f} MiB); peak RSS by {meter.method}")
    print(f"page cache warm-up: {warm_cache(log):.2f} s")
    try:
        _report(summary, _time(meter, log, workdir, args), workdir)
    finally:
        if not args.keep:
            log.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
