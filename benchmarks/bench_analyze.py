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
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
GENERATOR = Path(__file__).resolve().parent / "make_big_log.py"
MIB = 1024 * 1024

TARGET_RATIO = 3.0
TARGET_PEAK_MB = 300.0
TARGET_GROWTH = 1.2

# Fallback peak-RSS wrapper: a fresh interpreter that runs the command (argv[2:]) and writes
# the child's ru_maxrss (KiB on Linux) to the file argv[1].  Used only when GNU time is missing.
_WRAPPER = (
    "import resource,subprocess,sys\n"
    "rc=subprocess.call(sys.argv[2:])\n"
    "open(sys.argv[1],'w').write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))\n"
    "sys.exit(rc)\n"
)


@dataclass
class Run:
    """One timed child process."""

    wall_s: float
    peak_kb: int
    rc: int
    stdout_tail: str = ""
    stderr_tail: str = ""


@dataclass
class ToolResult:
    """All runs of one tool on one file."""

    tool: str
    runs: list[Run] = field(default_factory=list)
    cold: Run | None = None

    @property
    def ok_runs(self) -> list[Run]:
        return [r for r in self.runs if r.rc == 0]

    def stat(self, which: str) -> float | None:
        walls = [r.wall_s for r in self.ok_runs]
        if not walls:
            return None
        return min(walls) if which == "best" else statistics.median(walls)

    @property
    def peak_mb(self) -> float | None:
        peaks = [r.peak_kb for r in self.ok_runs]
        return max(peaks) / 1024 if peaks else None


class Meter:
    """Runs a command and measures wall time and peak RSS of that command alone."""

    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        self.env = env
        self.cwd = cwd
        self.gnu_time = _gnu_time()
        self.method = (
            "GNU /usr/bin/time %M (floor ~2 MB)"
            if self.gnu_time
            else "python wrapper getrusage(RUSAGE_CHILDREN) (floor ~14 MB, adds ~50 ms per run)"
        )

    def run(self, cmd: list[str], timeout: float) -> Run:
        fd, rss_path = tempfile.mkstemp(prefix="peak-", dir=self.cwd)
        os.close(fd)
        if self.gnu_time:
            full = [self.gnu_time, "-f", "%M", "-o", rss_path, *cmd]
        else:
            full = [sys.executable, "-c", _WRAPPER, rss_path, *cmd]
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            t0 = time.perf_counter()
            rc = _call(full, out, err, self.env, self.cwd, timeout)
            wall = time.perf_counter() - t0
            # GNU time puts "Command exited with non-zero status N" before the number on failure
            text = Path(rss_path).read_text().strip().splitlines()
            Path(rss_path).unlink()
            peak = int(text[-1]) if text and text[-1].isdigit() else -1
            return Run(wall, peak, rc, _tail(out), _tail(err))


def _call(cmd: list[str], out: Any, err: Any, env: dict[str, str], cwd: Path, timeout: float) -> int:
    proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env, cwd=cwd)
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return -9


def _tail(fh: Any, n: int = 1200) -> str:
    fh.seek(0)
    data = fh.read()
    return data[-n:].decode(errors="replace")


def _gnu_time() -> str | None:
    """Path of GNU time if it accepts -f %M (BusyBox/BSD time do not)."""
    path = shutil.which("time") or ("/usr/bin/time" if Path("/usr/bin/time").exists() else None)
    for cand in ("/usr/bin/time", path):
        if cand and Path(cand).exists():
            try:
                r = subprocess.run([cand, "-f", "%M", "true"], capture_output=True, text=True, timeout=10)
            except OSError:
                continue
            if r.returncode == 0 and r.stderr.strip().splitlines()[-1:] and r.stderr.strip().splitlines()[-1].isdigit():
                return cand
    return None


def child_env() -> dict[str, str]:
    """Environment for both tools; the repo goes first on PYTHONPATH so an uninstalled
    checkout of trtdiag is what gets measured."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), *filter(None, [env.get("PYTHONPATH")])])
    env.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    return env


def probe_trtdiag(env: dict[str, str], cwd: Path) -> tuple[bool, str]:
    """Is `python -m trtdiag` runnable?  Returns (available, message)."""
    try:
        r = subprocess.run(
            [sys.executable, "-m", "trtdiag", "analyze", "--help"],
            env=env,
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=120,
        )
    except subprocess.TimeoutExpired:
        return False, "`python -m trtdiag analyze --help` timed out after 120 s"
    if r.returncode == 0:
        return True, "ok"
    err = (r.stderr or r.stdout).strip().splitlines()
    last = err[-1] if err else f"exit code {r.returncode}"
    if "No module named" in last:
        return False, (
            f"`python -m trtdiag` is not available yet ({last}). The generator and the "
            "grep baseline were still measured; rerun this script once trtdiag/__main__.py "
            "and the `analyze` command exist."
        )
    return False, f"`python -m trtdiag analyze --help` failed: {last}"


def ensure_log(workdir: Path, size_mb: float, seed: int) -> tuple[Path, dict[str, Any], float | None]:
    """Reuse the log if its sidecar summary matches, else generate it in a subprocess.

    Why a subprocess: generating in this process would raise this process's RSS high-water
    mark, which the fallback peak-RSS method would then attribute to every child.
    """
    path = workdir / f"bert_large_verbose_{size_mb:g}mb_seed{seed}.log"
    side = Path(f"{path}.summary.json")
    expected_version = _generator_version()
    if path.exists() and side.exists():
        try:
            s = json.loads(side.read_text())
            if (
                s.get("generator_version") == expected_version
                and s.get("seed") == seed
                and float(s.get("size_mb_requested", -1)) == float(size_mb)
                and path.stat().st_size == s.get("bytes")
            ):
                return path, s, None
        except (ValueError, OSError):
            pass
    t0 = time.perf_counter()
    r = subprocess.run(
        [sys.executable, str(GENERATOR), str(path), "--size-mb", f"{size_mb:g}", "--seed", str(seed)],
        capture_output=True,
        text=True,
        check=False,
    )
    gen_s = time.perf_counter() - t0
    if r.returncode != 0:
        raise SystemExit(f"generator failed (exit {r.returncode}):\n{r.stderr[-2000:]}")
    return path, json.loads(r.stdout), gen_s


def _generator_version() -> int:
    """Read GENERATOR_VERSION from the generator source without importing it (keeps RSS low)."""
    for line in GENERATOR.read_text().splitlines():
        if line.startswith("GENERATOR_VERSION"):
            return int(line.split("=", 1)[1].strip())
    return -1


def warm_cache(path: Path) -> float:
    """Read the whole file once (small buffer, so this process stays small)."""
    buf = bytearray(4 * MIB)
    view = memoryview(buf)
    t0 = time.perf_counter()
    with path.open("rb", buffering=0) as fh:
        while fh.readinto(view):
            pass
    return time.perf_counter() - t0


def evict_cache(path: Path) -> bool:
    """Drop the file's pages from the page cache (only clean pages go, hence the fsync)."""
    if not hasattr(os, "posix_fadvise"):
        return False
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)
    return True


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


def main(argv: list[str] | None = None) -> int:
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
    args = ap.parse_args(argv)

    workdir: Path = args.workdir.resolve()
    if workdir == REPO or REPO in workdir.parents:
        print(f"refusing --workdir inside the repository ({workdir}); use a temp dir", file=sys.stderr)
        return 0
    workdir.mkdir(parents=True, exist_ok=True)
    env = child_env()
    meter = Meter(env, workdir)
    grep = shutil.which("grep") or "grep"
    available, why = probe_trtdiag(env, workdir)

    print("== trtdiag analyze benchmark ==")
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, {platform.platform()}")
    print(f"python: {sys.version.split()[0]} ({sys.executable}); grep: {grep}; peak RSS via {meter.method}")
    print(f"workdir: {workdir}; repeat: {args.repeat}; ratio statistic: {args.stat}")
    if not available:
        print(f"NOTE: {why}")

    sizes = [("small", args.small_mb), ("large", args.size_mb)]
    results: dict[str, dict[str, Any]] = {}
    created: list[Path] = []
    for label, size in sizes:
        path, summary, gen_s = ensure_log(workdir, size, args.seed)
        if gen_s is not None:
            created += [path, Path(f"{path}.summary.json")]
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
        json_out = workdir / f"analyze_{label}.json"
        html_out = workdir / f"analyze_{label}.html"
        grep_cmd = [grep, "-c", "Missing scale", str(path)]
        tdg_cmd = [
            sys.executable,
            "-m",
            "trtdiag",
            "analyze",
            str(path),
            "--json",
            str(json_out),
            "-o",
            str(html_out),
            *args.trtdiag_arg,
        ]
        g = ToolResult("grep -c")
        t = ToolResult("trtdiag analyze")
        if args.cold and evict_cache(path):
            g.cold = meter.run(grep_cmd, args.timeout)
            if available:
                evict_cache(path)
                t.cold = meter.run(tdg_cmd, args.timeout)
        warm_s = warm_cache(path)
        print(f"  page-cache warm-up read: {warm_s:.2f} s")
        for k in range(args.repeat):
            g.runs.append(meter.run(grep_cmd, args.timeout))
            if available:
                json_out.unlink(missing_ok=True)
                t.runs.append(meter.run(tdg_cmd, args.timeout))
            print(
                f"  run {k + 1}: grep {g.runs[-1].wall_s:.3f} s"
                + (f", trtdiag {t.runs[-1].wall_s:.3f} s (rc {t.runs[-1].rc})" if available else "")
            )
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
        created += [json_out, html_out]
        results[label] = {
            "path": str(path),
            "bytes": path.stat().st_size,
            "summary": summary,
            "generation_s": gen_s,
            "grep": g,
            "trtdiag": t,
            "json_ok": json_ok,
            "json_msg": json_msg,
        }

    # ---- report -------------------------------------------------------------------------
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

    large, small = results["large"], results["small"]
    lg, lt = large["grep"], large["trtdiag"]
    ratio = lt.stat(args.stat) / lg.stat(args.stat) if lt.stat(args.stat) and lg.stat(args.stat) else None
    ratio_small = (
        small["trtdiag"].stat(args.stat) / small["grep"].stat(args.stat)
        if small["trtdiag"].stat(args.stat) and small["grep"].stat(args.stat)
        else None
    )
    peak = lt.peak_mb
    growth = peak / small["trtdiag"].peak_mb if peak and small["trtdiag"].peak_mb else None
    print()
    print(
        f"wall-time ratio trtdiag/grep, large ({args.stat}): {fmt(ratio, '.2f')}x "
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
    if not available:
        print(f"\nSKIPPED trtdiag measurements: {why}")

    report = {
        "targets": {"ratio": TARGET_RATIO, "peak_mb": TARGET_PEAK_MB, "growth": TARGET_GROWTH},
        "ratio": ratio,
        "ratio_small": ratio_small,
        "peak_mb": peak,
        "growth": growth,
        "stat": args.stat,
        "peak_method": meter.method,
        "trtdiag_available": available,
        "results": {
            k: {
                **{kk: vv for kk, vv in v.items() if kk not in ("grep", "trtdiag")},
                "grep": asdict(v["grep"]),
                "trtdiag": asdict(v["trtdiag"]),
            }
            for k, v in results.items()
        },
    }
    report_path = workdir / "bench_results.json"
    report_path.write_text(json.dumps(report, indent=2, default=str) + "\n")
    print(f"\nresults written to {report_path}")

    if not args.keep:
        for p in created:
            p.unlink(missing_ok=True)
        for _, size in sizes:  # reused logs too: without --keep nothing large stays behind
            p = workdir / f"bert_large_verbose_{size:g}mb_seed{args.seed}.log"
            p.unlink(missing_ok=True)
            Path(f"{p}.summary.json").unlink(missing_ok=True)
        print("generated logs removed (use --keep to reuse them next time)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
