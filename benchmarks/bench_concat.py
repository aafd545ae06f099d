#!/usr/bin/env python3
"""Benchmark `trtdiag analyze` on a log made of hundreds of concatenated real verbose builds.

Why: the synthetic log of bench_analyze.py is one build; real CI logs, retry loops and
`polygraphy debug precision` runs hold many complete builds back to back, each with its own header,
parse, tactic timing and Engine Layer Information. This benchmark builds such a log at run time by
repeating real verbose trtexec logs from the shared corpus (../shared/corpus/logs, by default
096 and 097, the TensorRT 10.14/10.16 verbose builds) until the requested size, in --workdir
(default /tmp/trtdiag-bench). Nothing from the corpus is copied into the repository.

It then times `grep -c 'Missing scale' FILE` and `python -m trtdiag analyze FILE --json J -o H`
back to back on the page-cached file (interleaved, --repeat times), records each child's peak RSS
(GNU time, see bench_measure.py), and prints the ratios against the targets of the speed goal
(within 3x of grep, under 300 MB). It always exits 0: it reports, it does not gate.

Usage:
  python benchmarks/bench_concat.py                       # 1024 MiB, 2 runs each
  python benchmarks/bench_concat.py --size-mb 128 --repeat 1
  python benchmarks/bench_concat.py --source 097 --source 106   # other corpus logs (by number)
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

from bench_measure import (
    MIB,
    REPO,
    Meter,
    ToolResult,
    checked_workdir,
    peak_verdict,
    print_outputs,
    ready_meter,
    verdict,
    warm_cache,
)

TARGET_RATIO = 3.0
TARGET_PEAK_MB = 300.0
CORPUS_LOGS = REPO.parent / "shared" / "corpus" / "logs"
DEFAULT_SOURCES = ("096", "097")


def corpus_log(number: str) -> Path:
    """The corpus log numbered ``number`` (never its ``.meta.json`` sidecar)."""
    found = [p for p in CORPUS_LOGS.glob(f"{number}_*") if not p.name.endswith(".meta.json")]
    if len(found) != 1:
        raise SystemExit(f"expected one corpus artifact {number} in {CORPUS_LOGS}, found {len(found)}")
    return found[0]


def build_concatenated_log(out: Path, sources: list[Path], size_mb: float) -> dict[str, object]:
    """Write the sources one after the other, round robin, until ``size_mb``; every copy is a complete build.

    A copy that does not end with a newline gets one, so the next build's header starts a line.
    """
    blobs = [p.read_bytes() for p in sources]
    blobs = [b if b.endswith(b"\n") else b + b"\n" for b in blobs]
    target = int(size_mb * MIB)
    written = copies = 0
    t0 = time.perf_counter()
    with out.open("wb") as fh:
        while written < target:
            blob = blobs[copies % len(blobs)]
            fh.write(blob)
            written += len(blob)
            copies += 1
    missing = sum(blobs[i % len(blobs)].count(b"Missing scale") for i in range(copies))
    summary = {"bytes": written, "builds": copies, "sources": [p.name for p in sources],
               "missing_scale_lines": missing, "seconds": round(time.perf_counter() - t0, 2)}
    Path(f"{out}.summary.json").write_text(json.dumps(summary, indent=2))
    return summary


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size-mb", type=float, default=1024.0, help="Size of the concatenated log (MiB).")
    ap.add_argument("--repeat", type=int, default=2, help="Timed runs per tool.")
    ap.add_argument("--source", action="append", help="Corpus log number to repeat (default: 096 and 097).")
    ap.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "trtdiag-bench")
    ap.add_argument("--keep", action="store_true", help="Keep the log (default: deleted at the end).")
    ap.add_argument("--timeout", type=float, default=1800.0, help="Limit for each run, in seconds.")
    ap.add_argument("--trtdiag-arg", action="append", default=[], help="Extra argument for trtdiag analyze.")
    return ap


def _time_tools(meter: Meter, log: Path, workdir: Path, args: argparse.Namespace) -> tuple[ToolResult, ToolResult]:
    grep = ToolResult("grep -c 'Missing scale'")
    trt = ToolResult("trtdiag analyze")
    cmd_grep = [shutil.which("grep") or "grep", "-c", "Missing scale", str(log)]
    cmd_trt = [sys.executable, "-m", "trtdiag", "analyze", str(log), "--json", str(workdir / "concat.json"),
               "-o", str(workdir / "concat.html"), "--no-timestamp", *args.trtdiag_arg]
    for i in range(args.repeat):
        g = meter.run(cmd_grep, args.timeout)
        if g.rc == 1:  # grep exits 1 when it counts 0 lines: still a successful run
            g.rc = 0
        grep.runs.append(g)
        t = meter.run(cmd_trt, args.timeout)
        trt.runs.append(t)
        print(f"  run {i + 1}: grep {g.wall_s:.2f} s ({g.peak_kb / 1024:.1f} MB), "
              f"trtdiag {t.wall_s:.2f} s ({t.peak_kb / 1024:.1f} MB, exit {t.rc})", flush=True)
        if t.rc not in (0, 1):
            print(f"  trtdiag failed: {t.stderr_tail.strip()[-400:]}")
    return grep, trt


def _report(log: Path, summary: dict[str, object], grep: ToolResult, trt: ToolResult, workdir: Path) -> None:
    g_best, t_best = grep.stat("best"), trt.stat("best")
    print(f"\nlog: {log.name}, {int(summary['bytes']) / MIB:.0f} MiB, {summary['builds']} builds "
          f"of {', '.join(map(str, summary['sources']))}")
    if g_best is None or t_best is None:
        print("no successful run to compare")
        return
    ratio = t_best / g_best
    print(f"grep:    best {g_best:.2f} s, median {grep.stat('median'):.2f} s, peak {grep.peak_mb:.1f} MB")
    print(f"trtdiag: best {t_best:.2f} s, median {trt.stat('median'):.2f} s, peak {trt.peak_mb:.1f} MB")
    verdict(ratio <= TARGET_RATIO, f"trtdiag/grep wall time {ratio:.2f}x "
            f"(target <= {TARGET_RATIO:g}x)")
    peak_verdict("trtdiag", trt.peak_mb, TARGET_PEAK_MB)
    print_outputs(workdir, ("concat.json", "concat.html"))


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    checked = checked_workdir(args.workdir)
    if checked is None:
        return 0
    workdir: Path = checked
    if not CORPUS_LOGS.is_dir():
        print(f"the shared corpus is not at {CORPUS_LOGS}: nothing to concatenate")
        return 0
    meter = ready_meter(workdir)
    if meter is None:
        return 0
    sources = [corpus_log(n) for n in (args.source or DEFAULT_SOURCES)]
    log = workdir / f"concat_{'_'.join(p.name[:3] for p in sources)}_{args.size_mb:g}mb.log"
    summary = build_concatenated_log(log, sources, args.size_mb)
    print(f"built {log} ({summary['builds']} builds, {summary['seconds']} s); peak RSS by {meter.method}")
    print(f"page cache warm-up: {warm_cache(log):.2f} s")
    try:
        grep, trt = _time_tools(meter, log, workdir, args)
        _report(log, summary, grep, trt, workdir)
    finally:
        if not args.keep:
            log.unlink(missing_ok=True)
            Path(f"{log}.summary.json").unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
