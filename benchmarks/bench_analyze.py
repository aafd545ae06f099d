#!/usr/bin/env python3
"""Benchmark `trtdiag analyze` against `grep -c 'Missing scale'` on big verbose build logs.

Why: the project's speed target is "at most 3x grep's wall time and under 300 MB peak memory on
a >= 1 GB verbose BERT-large build log, and memory that does not grow with the log's size".
Wall-clock targets are only meaningful against a baseline measured on the same machine in
the same run, so this script times both tools back to back on the same (page-cached) file
and prints ratios and PASS/FAIL lines.  It always exits 0: it reports, it does not gate.

What it does:
  1. Generates (or reuses, if the sidecar summary matches) a large and a small synthetic log
     with benchmarks/make_big_log.py in --workdir (default /tmp/trtdiag-bench); nothing is
     written into the repository.
  2. Reads each file once so it is in the page cache (optionally, with --cold, first times one
     run of each tool after evicting the file from the cache).
  3. Runs `grep -c 'Missing scale' FILE` and `python -m trtdiag analyze FILE --json J -o H`
     --repeat times each, interleaved, and records wall time and the child's peak RSS.
  4. Checks that the sum of `count` over the JSON's `missing_scale` entries equals the number
     of warning lines the generator wrote.

Peak RSS: each child runs under GNU `/usr/bin/time -f %M`.  Why not getrusage/wait4 in this
process: Python starts children with vfork+exec, and Linux carries the parent's RSS
high-water mark into the child's ru_maxrss, so a child would never look smaller than this
script.  /usr/bin/time is a ~2 MB process, so its floor is negligible.  Without it, a
minimal Python wrapper is used instead (floor about 14 MB, and its ~50 ms start-up is
added to every wall time; both are stated in the output).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench_measure import (
    MIB,
    Meter,
    ToolResult,
    checked_workdir,
    child_env,
    ensure_log,
    evict_cache,
    probe_trtdiag,
    warm_cache,
    warm_up,
)

TARGET_RATIO = 3.0
TARGET_PEAK_MB = 300.0
TARGET_GROWTH = 1.2


def find_missing_scale(doc: Any) -> list[Any] | None:
    """`missing_scale` list at top level, else the first one found depth-first."""
    if isinstance(doc, dict):
        if isinstance(doc.get("missing_scale"), list):
            return doc["missing_scale"]
        for v in doc.values():
            found = find_missing_scale(v)
            if found is not None:
                return found
    elif isinstance(doc, list):
        for v in doc:
            found = find_missing_scale(v)
            if found is not None:
                return found
    return None


def check_json(json_path: Path, summary: dict[str, Any]) -> tuple[bool | None, str]:
    """Compare trtdiag's missing-scale total with what the generator wrote."""
    if not json_path.exists():
        return None, f"{json_path.name} was not written"
    try:
        doc = json.loads(json_path.read_text())
    except ValueError as exc:
        return False, f"{json_path.name} is not valid JSON: {exc}"
    entries = find_missing_scale(doc)
    if entries is None:
        return False, "no `missing_scale` array in the JSON"
    try:
        total = sum(int(e.get("count", 0)) for e in entries)
    except (AttributeError, TypeError, ValueError):
        return False, "`missing_scale` entries lack integer `count`"
    want = int(summary["missing_scale_warnings"])
    uniq = int(summary.get("missing_scale_unique_tensors", -1))
    regs_want = summary.get("registering_layer_for_onnx_node")
    regs = (doc.get("mapping") or {}).get("node_registrations") if isinstance(doc, dict) else None
    ok = total == want and (regs_want is None or regs == regs_want)
    return ok, (
        f"sum(count)={total} vs generated {want}; entries={len(entries)} vs unique tensors {uniq}; "
        f"node registrations={regs} vs generated {regs_want}"
        f"{'' if ok else '  <-- MISMATCH'}"
    )


def verdict(ok: bool | None) -> str:
    return "SKIP" if ok is None else ("PASS" if ok else "FAIL")


def fmt(x: float | None, spec: str = ".3f") -> str:
    return "n/a" if x is None else format(x, spec)


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size-mb", type=float, default=1100.0, help="large log size in MiB (default 1100)")
    ap.add_argument("--small-mb", type=float, default=256.0, help="small log size in MiB (default 256)")
    ap.add_argument("--repeat", type=int, default=3, help="timed runs per tool and size (default 3)")
    ap.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "trtdiag-bench")
    ap.add_argument(
        "--keep", action="store_true", help="keep the generated logs (and outputs) so the next run can reuse them"
    )
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--stat",
        choices=("best", "median"),
        default="best",
        help="statistic used for the wall-time ratio (both are printed)",
    )
    ap.add_argument(
        "--cold",
        action="store_true",
        help="also time one run of each tool right after evicting the file from the page cache",
    )
    ap.add_argument("--timeout", type=float, default=1800.0, help="per-run timeout in seconds")
    ap.add_argument(
        "--trtdiag-arg",
        action="append",
        default=[],
        metavar="ARG",
        help="extra argument for `trtdiag analyze` (repeatable), e.g. --trtdiag-arg=--scanner=python",
    )
    return ap


@dataclass
class Bench:
    """What every measurement of a run shares."""

    args: argparse.Namespace
    workdir: Path
    meter: Meter
    grep: str
    available: bool
    created: list[Path] = field(default_factory=list)


def _prepare_log(bench: Bench, label: str, size: float) -> tuple[Path, dict[str, Any], float | None]:
    path, summary, gen_s = ensure_log(bench.workdir, size, bench.args.seed)
    if gen_s is not None:
        bench.created += [path, Path(f"{path}.summary.json")]
    gen_note = (
        f"generated in {gen_s:.1f} s (generator's own timer {summary.get('seconds')} s)"
        if gen_s is not None
        else "reused"
    )
    print(
        f"\n[{label}] {path.name}: {path.stat().st_size / MIB:.0f} MiB, "
        f"{summary['lines']} lines, {summary['missing_scale_warnings']} missing-scale lines, "
        f"{summary['registering_layer_for_onnx_node']} 'Registering layer ... for ONNX node' lines; "
        f"{gen_note}"
    )
    return path, summary, gen_s


def _time_tools(bench: Bench, path: Path, grep_cmd: list[str], tdg_cmd: list[str],
                json_out: Path) -> tuple[ToolResult, ToolResult]:
    """Cold runs (with --cold), the page-cache warm-up, then interleaved timed runs of both tools."""
    args, meter = bench.args, bench.meter
    g = ToolResult("grep -c")
    t = ToolResult("trtdiag analyze")
    if args.cold and evict_cache(path):
        g.cold = meter.run(grep_cmd, args.timeout)
        if bench.available:
            evict_cache(path)
            t.cold = meter.run(tdg_cmd, args.timeout)
    warm_s = warm_cache(path)
    print(f"  page-cache warm-up read: {warm_s:.2f} s")
    for k in range(args.repeat):
        g.runs.append(meter.run(grep_cmd, args.timeout))
        if bench.available:
            json_out.unlink(missing_ok=True)
            t.runs.append(meter.run(tdg_cmd, args.timeout))
        print(
            f"  run {k + 1}: grep {g.runs[-1].wall_s:.3f} s"
            + (f", trtdiag {t.runs[-1].wall_s:.3f} s (rc {t.runs[-1].rc})" if bench.available else "")
        )
    return g, t


def _measure(bench: Bench, label: str, size: float) -> dict[str, Any]:
    """Generate or reuse the log of one size, time both tools on it and check trtdiag's JSON."""
    path, summary, gen_s = _prepare_log(bench, label, size)
    json_out = bench.workdir / f"analyze_{label}.json"
    html_out = bench.workdir / f"analyze_{label}.html"
    grep_cmd = [bench.grep, "-c", "Missing scale", str(path)]
    tdg_cmd = [sys.executable, "-m", "trtdiag", "analyze", str(path), "--json", str(json_out), "-o", str(html_out),
               *bench.args.trtdiag_arg]
    g, t = _time_tools(bench, path, grep_cmd, tdg_cmd, json_out)
    grep_count = g.runs[-1].stdout_tail.strip() if g.runs else ""
    if grep_count != str(summary["missing_scale_warnings"]):
        print(f"  WARNING: grep counted {grep_count!r}, generator wrote {summary['missing_scale_warnings']}")
    failed = [r for r in t.runs if r.rc != 0]
    if failed:
        print(
            f"  trtdiag failed in {len(failed)}/{len(t.runs)} runs (rc {failed[0].rc}); stderr tail:\n"
            + "\n".join("    " + ln for ln in failed[0].stderr_tail.splitlines()[-15:])
        )
    json_ok, json_msg = check_json(json_out, summary) if t.ok_runs else (None, "trtdiag not run")
    bench.created += [json_out, html_out]
    return {
        "path": str(path),
        "bytes": path.stat().st_size,
        "summary": summary,
        "generation_s": gen_s,
        "grep": g,
        "trtdiag": t,
        "json_ok": json_ok,
        "json_msg": json_msg,
    }


def _print_table(results: dict[str, dict[str, Any]]) -> None:
    print(
        "\n{:<6} {:>9} {:<16} {:>8} {:>9} {:>8} {:>9}".format(
            "size", "MiB", "tool", "best_s", "median_s", "cold_s", "peak_MB"
        )
    )
    for label, res in results.items():
        for tr in (res["grep"], res["trtdiag"]):
            print(
                "{:<6} {:>9.0f} {:<16} {:>8} {:>9} {:>8} {:>9}".format(
                    label,
                    res["bytes"] / MIB,
                    tr.tool,
                    fmt(tr.stat("best")),
                    fmt(tr.stat("median")),
                    fmt(tr.cold.wall_s if tr.cold and tr.cold.rc == 0 else None),
                    fmt(tr.peak_mb, ".1f"),
                )
            )


def _ratio(res: dict[str, Any], stat: str) -> float | None:
    tdg, grep = res["trtdiag"].stat(stat), res["grep"].stat(stat)
    return tdg / grep if tdg and grep else None


def _print_targets(results: dict[str, dict[str, Any]], stat: str) -> dict[str, float | None]:
    """The three targets with PASS/FAIL/SKIP; returns the measured values."""
    large, small = results["large"], results["small"]
    ratio, ratio_small = _ratio(large, stat), _ratio(small, stat)
    peak = large["trtdiag"].peak_mb
    growth = peak / small["trtdiag"].peak_mb if peak and small["trtdiag"].peak_mb else None
    print()
    print(
        f"wall-time ratio trtdiag/grep, large ({stat}): {fmt(ratio, '.2f')}x "
        f"(small: {fmt(ratio_small, '.2f')}x)  target <= {TARGET_RATIO:g}x  "
        f"{verdict(None if ratio is None else ratio <= TARGET_RATIO)}"
    )
    print(
        f"trtdiag peak RSS, large: {fmt(peak, '.1f')} MB  target < {TARGET_PEAK_MB:g} MB  "
        f"{verdict(None if peak is None else peak < TARGET_PEAK_MB)}"
    )
    print(
        f"peak RSS growth large/small: {fmt(growth, '.2f')}x "
        f"({large['bytes'] / small['bytes']:.1f}x more input)  target < {TARGET_GROWTH:g}x  "
        f"{verdict(None if growth is None else growth < TARGET_GROWTH)}"
    )
    for label, res in results.items():
        print(f"missing-scale count, {label}: {res['json_msg']}  {verdict(res['json_ok'])}")
    return {"ratio": ratio, "ratio_small": ratio_small, "peak_mb": peak, "growth": growth}


def _write_report(bench: Bench, results: dict[str, dict[str, Any]], values: dict[str, float | None]) -> None:
    report = {
        "targets": {"ratio": TARGET_RATIO, "peak_mb": TARGET_PEAK_MB, "growth": TARGET_GROWTH},
        **values,
        "stat": bench.args.stat,
        "peak_method": bench.meter.method,
        "trtdiag_available": bench.available,
        "results": {
            k: {
                **{kk: vv for kk, vv in v.items() if kk not in ("grep", "trtdiag")},
                "grep": asdict(v["grep"]),
                "trtdiag": asdict(v["trtdiag"]),
            }
            for k, v in results.items()
        },
    }
    report_path = bench.workdir / "bench_results.json"
    report_path.write_text(json.dumps(report, indent=2, default=str) + "\n")
    print(f"\nresults written to {report_path}")


def _clean_up(bench: Bench, sizes: list[tuple[str, float]]) -> None:
    for p in bench.created:
        p.unlink(missing_ok=True)
    for _, size in sizes:  # reused logs too: without --keep nothing large stays behind
        p = bench.workdir / f"bert_large_verbose_{size:g}mb_seed{bench.args.seed}.log"
        p.unlink(missing_ok=True)
        Path(f"{p}.summary.json").unlink(missing_ok=True)
    print("generated logs removed (use --keep to reuse them next time)")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    checked = checked_workdir(args.workdir)
    if checked is None:
        return 0
    workdir: Path = checked
    env = child_env(workdir)
    meter = Meter(env, workdir)
    available, why = probe_trtdiag(env, workdir)
    if available:
        warm_up(env, workdir)
    bench = Bench(args, workdir, meter, shutil.which("grep") or "grep", available)

    print("== trtdiag analyze benchmark ==")
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, {platform.platform()}")
    print(f"python: {sys.version.split()[0]} ({sys.executable}); grep: {bench.grep}; peak RSS via {meter.method}")
    print(f"workdir: {workdir}; repeat: {args.repeat}; ratio statistic: {args.stat}")
    if not available:
        print(f"NOTE: {why}")

    sizes = [("small", args.small_mb), ("large", args.size_mb)]
    results = {label: _measure(bench, label, size) for label, size in sizes}
    _print_table(results)
    values = _print_targets(results, args.stat)
    if not available:
        print(f"\nSKIPPED trtdiag measurements: {why}")
    _write_report(bench, results, values)
    if not args.keep:
        _clean_up(bench, sizes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
