#!/usr/bin/env python3
"""Memory and time of `trtdiag analyze` on inputs that expand: the "Limits and guarantees" of README.md.

Each case generates its input at run time under --workdir (default /tmp/trtdiag-bench; nothing is
written into the repository), runs `python -m trtdiag analyze ... --json --o` on it in a child process,
and prints wall time, peak RSS (GNU time %M), exit code, output sizes and PASS/FAIL against its target:

| case       | input                                                                 | target              |
|------------|-----------------------------------------------------------------------|---------------------|
| distinct   | a log of 1,000,000 distinct TensorRT 10 missing-scale warnings         | < 10 s, < 300 MB    |
| cache10m   | a 10,000,000-entry TensorRT calibration cache (`--calib-cache`)        | < 300 MB            |
| layers_gz  | a 500 MB layer-information JSON, gzipped (`--int8-layers x.json.gz`)   | < 300 MB            |
| longline   | a log with one 200 MB line                                             | < 300 MB            |
| gzline     | a .gz log holding one 2 GB line                                       | < 300 MB            |

Wall times depend on the machine and its load: the script prints the load average, the CPU time of each
run (user + system, which load does not inflate) and, as a baseline measured in the same run,
`grep -c 'Missing scale'` on the distinct-warnings log. The tests never assert times.

Usage:
    python benchmarks/bench_limits.py                      # every case at full size
    python benchmarks/bench_limits.py --scale 0.05         # every input at 5% of its size (quick)
    python benchmarks/bench_limits.py --only distinct --keep   # one case; keep inputs for the next run
"""

from __future__ import annotations

import argparse
import gzip
import os
import resource
import sys
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_measure import Meter, Run, child_env, warm_up

MIB = 1 << 20
PEAK_TARGET_MB = 300.0
WARNING = (b"[12/01/2026-10:00:01] [W] [TRT] Missing scale and zero-point for tensor T_%d, expect fall back to "
           b"non-int8 implementation for any layer consuming or producing given tensor\n")
HEADER = (b"[12/01/2026-10:00:00] [I] TensorRT version: 10.3.0\n"
          b"[12/01/2026-10:00:00] [I] Precision: FP32+INT8\n")


# -- inputs (each streamed: the generator's own memory stays small)


def write_distinct_log(path: Path, n: int) -> str:
    with open(path, "wb") as fh:
        fh.write(HEADER)
        for start in range(0, n, 10_000):
            fh.write(b"".join(WARNING % i for i in range(start, min(n, start + 10_000))))
    return f"{n:,} distinct warnings"


def write_small_log(path: Path) -> None:
    """A short INT8 build log: the companion of the cache and layer-JSON cases."""
    with open(path, "wb") as fh:
        fh.write(HEADER + b"".join(WARNING % i for i in range(20)))


def write_cache(path: Path, n: int) -> str:
    with open(path, "wb") as fh:
        fh.write(b"TRT-100300-EntropyCalibration2\n")
        for start in range(0, n, 50_000):
            fh.write(b"".join(b"T_%d: 3c%06x\n" % (i, i & 0xFFFFFF) for i in range(start, min(n, start + 50_000))))
    return f"{n:,} entries"


_LAYER = ('{"Name": "layer_%d + relu_%d", "LayerType": "CaskConvolution", "Inputs": [{"Name": "t_%d", '
          '"Dimensions": [1, 64, 56, 56], "Format/Datatype": "Int8 NC/32HW32"}], "Outputs": [{"Name": "t_%d", '
          '"Dimensions": [1, 64, 56, 56], "Format/Datatype": "Int8 NC/32HW32"}], "TacticName": '
          '"sm80_xmma_fprop_implicit_gemm_interleaved_i8i8_i8i32_f32_nchw_vect_c_32kcrs_vect_c_32_nchw_vect_c_32'
          '_tilesize128x128x64_stage3_warpsize2x2x1_g1_tensor16x8x32", '
          '"Metadata": "[ONNX Layer: /layer_%d/Conv]\\u001e[ONNX Layer: /layer_%d/Relu]"}')


def write_layers_gz(path: Path, size: int) -> str:
    """A layer-information JSON of ``size`` bytes before compression, gzip-compressed as it is written."""
    written = 0
    i = 0
    with gzip.open(path, "wb", compresslevel=6) as fh:
        fh.write(b'{"Layers": [\n')
        while written < size:
            block = ",\n".join(_LAYER % (k, k, k, k + 1, k, k) for k in range(i, i + 5_000)).encode()
            fh.write((b",\n" if i else b"") + block)
            written += len(block)
            i += 5_000
        fh.write(b'\n], "Bindings": ["t_0", "t_%d"]}\n' % i)
    return f"{written / MIB:,.0f} MiB of JSON ({i:,} layers), {path.stat().st_size / MIB:.1f} MiB gzipped"


def write_long_line_log(path: Path, size: int) -> str:
    with open(path, "wb") as fh:
        fh.write(HEADER + WARNING % 1)
        fh.write(b"[12/01/2026-10:00:02] [W] [TRT] ")
        chunk = b"Missing scale and zero-point for tensor x, " * (MIB // 43)
        left = size
        while left > 0:
            fh.write(chunk[:left])
            left -= len(chunk)
        fh.write(b"\n" + WARNING % 2)
    return f"one line of {size / MIB:,.0f} MiB"


def write_gz_line(path: Path, size: int) -> str:
    """A .gz log whose second line is ``size`` bytes: compressed as it is written (zlib, raw level 9)."""
    comp = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: gzip container
    block = b"A" * (8 * MIB)
    with open(path, "wb") as fh:
        fh.write(comp.compress(HEADER + WARNING % 1))
        left = size
        while left > 0:
            fh.write(comp.compress(block[:left]))
            left -= len(block)
        fh.write(comp.compress(b"\n" + WARNING % 2))
        fh.write(comp.flush())
    return f"one line of {size / MIB:,.0f} MiB in {path.stat().st_size / MIB:.1f} MiB of gzip"


# -- cases


@dataclass(frozen=True)
class Case:
    name: str
    input_name: str
    make: Callable[[Path, float], str]  # (path, scale) -> description
    extra: Callable[[Path, Path], list[str]]  # (input, small log) -> analyze arguments
    max_seconds: float | None = None


CASES = (
    Case("distinct", "distinct.log", lambda p, s: write_distinct_log(p, int(1_000_000 * s)),
         lambda inp, small: [str(inp)], max_seconds=10.0),
    Case("cache10m", "big.cache", lambda p, s: write_cache(p, int(10_000_000 * s)),
         lambda inp, small: [str(small), "--calib-cache", str(inp)]),
    Case("layers_gz", "layers.json.gz", lambda p, s: write_layers_gz(p, int(500 * MIB * s)),
         lambda inp, small: [str(small), "--int8-layers", str(inp)]),
    Case("longline", "longline.log", lambda p, s: write_long_line_log(p, int(200 * MIB * s)),
         lambda inp, small: [str(inp)]),
    Case("gzline", "gzline.log.gz", lambda p, s: write_gz_line(p, int(2048 * MIB * s)),
         lambda inp, small: [str(inp)]),
)


def _children_cpu() -> float:
    """User + system CPU seconds of the finished children: the figure a loaded machine does not inflate."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _verdict(case: Case, run: Run) -> str:
    peak_mb = run.peak_kb / 1024
    ok = run.rc in (0, 1) and 0 < peak_mb < PEAK_TARGET_MB
    if case.max_seconds is not None:
        ok = ok and run.wall_s < case.max_seconds
    return "PASS" if ok else "FAIL"


def _input(case: Case, workdir: Path, scale: float, keep: bool) -> tuple[Path, str]:
    path = workdir / f"{scale:g}-{case.input_name}"
    if keep and path.exists():
        return path, "reused"
    t0 = time.perf_counter()
    desc = case.make(path, scale)
    return path, f"{desc}; generated in {time.perf_counter() - t0:.1f} s"


def run_case(case: Case, meter: Meter, workdir: Path, scale: float, keep: bool, timeout: float) -> bool:
    inp, desc = _input(case, workdir, scale, keep)
    small = workdir / "small.log"
    write_small_log(small)
    out_json, out_html = workdir / f"{case.name}.json", workdir / f"{case.name}.html"
    cmd = [sys.executable, "-m", "trtdiag", "analyze", *case.extra(inp, small), "--json", str(out_json),
           "-o", str(out_html), "--no-progress"]
    before = _children_cpu()
    run = meter.run(cmd, timeout)
    cpu = _children_cpu() - before
    sizes = ", ".join(f"{p.suffix[1:]} {p.stat().st_size / MIB:.1f} MiB" for p in (out_json, out_html) if p.exists())
    target = f"< {PEAK_TARGET_MB:.0f} MB" + (f", < {case.max_seconds:.0f} s" if case.max_seconds else "")
    verdict = _verdict(case, run)
    print(f"{case.name:10} {verdict}  wall {run.wall_s:7.2f} s  cpu {cpu:7.2f} s  peak {run.peak_kb / 1024:7.1f} MB"
          f"  exit {run.rc}"
          f"  target {target}\n           input: {inp.name} ({desc})\n           outputs: {sizes or 'none'}")
    if run.rc not in (0, 1) and run.stderr_tail.strip():
        print("           stderr: " + run.stderr_tail.strip().splitlines()[-1])
    for p in (out_json, out_html):
        p.unlink(missing_ok=True)
    if not keep:
        inp.unlink(missing_ok=True)
    return verdict == "PASS"


def _grep_baseline(meter: Meter, workdir: Path, scale: float) -> None:
    log = workdir / f"{scale:g}-distinct.log"
    if log.exists():
        run = meter.run(["grep", "-c", "Missing scale", str(log)], 600)
        print(f"baseline   grep -c 'Missing scale' on {log.name}: {run.wall_s:.2f} s")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/trtdiag-bench"))
    ap.add_argument("--scale", type=float, default=1.0, help="input sizes as a fraction of the targets' (default 1)")
    ap.add_argument("--only", nargs="*", choices=[c.name for c in CASES], help="cases to run (default: all)")
    ap.add_argument("--keep", action="store_true", help="keep (and reuse) the generated inputs")
    ap.add_argument("--timeout", type=float, default=600.0, help="seconds per run before it is killed")
    args = ap.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    env = child_env(args.workdir)
    warm_up(env, args.workdir)
    meter = Meter(env, args.workdir)
    print(f"trtdiag limits benchmark: scale {args.scale:g}, load average {os.getloadavg()[0]:.2f} on "
          f"{os.cpu_count()} CPUs, peak RSS by {meter.method}")
    ok = True
    for case in CASES:
        if args.only and case.name not in args.only:
            continue
        keep = args.keep or case.name == "distinct"  # the grep baseline reads it afterwards
        ok = run_case(case, meter, args.workdir, args.scale, keep, args.timeout) and ok
        if case.name == "distinct":
            _grep_baseline(meter, args.workdir, args.scale)
            if not args.keep:
                (args.workdir / f"{args.scale:g}-distinct.log").unlink(missing_ok=True)
    print("all PASS" if ok else "some FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
