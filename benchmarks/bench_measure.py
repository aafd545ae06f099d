"""Process measurement for bench_analyze.py: wall time and peak RSS of one child, the child's
environment, the synthetic logs (generated or reused) and the page cache.

Peak RSS: each child runs under GNU `/usr/bin/time -f %M`.  Why not getrusage/wait4 in this
process: Python starts children with vfork+exec, and Linux carries the parent's RSS
high-water mark into the child's ru_maxrss, so a child would never look smaller than the
benchmark script.  Without GNU time a minimal Python wrapper is used instead.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
GENERATOR = Path(__file__).resolve().parent / "make_big_log.py"
MIB = 1024 * 1024

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


def child_env(workdir: Path) -> dict[str, str]:
    """Environment for both tools; the repo goes first on PYTHONPATH so an uninstalled
    checkout of trtdiag is what gets measured.

    trtdiag is measured as a user runs it: its modules byte-compiled (``pip install`` compiles them;
    here into ``workdir/pycache``, never into the repository, whatever PYTHONDONTWRITEBYTECODE says) and
    its report templates cached by an earlier run (``workdir/cache``, see
    trtdiag/report/template_cache.py); :func:`ready_meter` makes both before any timed run."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), *filter(None, [env.get("PYTHONPATH")])])
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(workdir / "pycache")
    env["TRTDIAG_CACHE_DIR"] = str(workdir / "cache")
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


def checked_workdir(workdir: Path) -> Path | None:
    """The resolved ``--workdir``, created; None (and a message) when it lies inside the repository:
    benchmarks write large files and nothing of theirs may land in the project."""
    resolved = workdir.resolve()
    if resolved == REPO or REPO in resolved.parents:
        print(f"refusing --workdir inside the repository ({resolved}); use a temp dir", file=sys.stderr)
        return None
    resolved.mkdir(parents=True, exist_ok=True)
    return resolved


def verdict(passed: bool, text: str) -> None:
    """One PASS/FAIL line against a target (the benchmarks report, they never gate)."""
    print(f"{'PASS' if passed else 'FAIL'}: {text}")


def peak_verdict(label: str, peak_mb: float | None, target_mb: float) -> None:
    """The PASS/FAIL line of a peak-RSS target."""
    peak = peak_mb or 0.0
    verdict(peak < target_mb, f"{label} peak RSS {peak:.1f} MB (target < {target_mb:g} MB)")


def print_outputs(workdir: Path, names: tuple[str, ...]) -> None:
    """The size of each report a run wrote (bounded reports are a target too)."""
    for name in names:
        out = workdir / name
        if out.exists():
            print(f"output {name}: {out.stat().st_size / MIB:.1f} MiB")


def ready_meter(workdir: Path) -> Meter | None:
    """A meter for child runs in ``workdir``, or None (and why) when ``python -m trtdiag`` cannot run there."""
    env = child_env(workdir)
    available, why = probe_trtdiag(env, workdir)
    if not available:
        print(why)
        return None
    warm_up(env, workdir)
    return Meter(env, workdir)


#: A two-line build log for the warm-up run (compiles every module and template the timed runs use).
_WARM_UP_LOG = ("[12/01/2026-10:00:00] [I] [TRT] TensorRT version: 10.3.0\n"
                "[12/01/2026-10:00:00] [W] [TRT] Missing scale and zero-point for tensor x, expect fall back to "
                "non-int8 implementation for any layer consuming or producing given tensor\n")


def warm_up(env: dict[str, str], workdir: Path) -> None:
    """One untimed ``trtdiag analyze`` of a tiny log: byte-compiles the modules and caches the templates."""
    log = workdir / "warm_up.log"
    log.write_text(_WARM_UP_LOG)
    subprocess.run([sys.executable, "-m", "trtdiag", "analyze", str(log), "--json", str(workdir / "warm_up.json"),
                    "-o", str(workdir / "warm_up.html")], env=env, cwd=workdir, capture_output=True, timeout=300,
                   check=False)
