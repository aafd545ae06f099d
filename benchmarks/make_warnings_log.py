#!/usr/bin/env python3
"""Write a TensorRT INT8 build log holding N *distinct* "Missing scale and zero-point" warnings.

Why: a large model warns once per tensor, and a log of a million distinct tensor names is the
worst case for per-tensor state (names, counts, line numbers) in the reader and for every table
downstream. The log is a short trtexec header, the warnings (one tensor each, ``T_<i>`` with a
path-like prefix so names are realistic in length) and a footer that shows the engine was built.
It is streamed: the generator's memory does not grow with N.

Usage:
  python benchmarks/make_warnings_log.py OUT.log                 # 1,000,000 warnings
  python benchmarks/make_warnings_log.py OUT.log --count 100000 --repeat 2   # each tensor warned twice
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HEADER = (
    "&&&& RUNNING TensorRT.trtexec [TensorRT v100300] # trtexec --onnx=model.onnx --int8 --fp16 "
    "--saveEngine=model.plan\n"
    "[09/01/2025-10:00:00] [I] === Model Options ===\n"
    "[09/01/2025-10:00:00] [I] Precision: FP32+FP16+INT8\n"
    "[09/01/2025-10:00:00] [I] [TRT] [MemUsageChange] Init CUDA: CPU +2, GPU +0, now: CPU 30, GPU 1000 (MiB)\n"
    "[09/01/2025-10:00:01] [I] Start parsing network model.\n"
    "[09/01/2025-10:00:02] [I] Finished parsing network model.\n"
)
WARNING = ("[09/01/2025-10:00:03] [W] [TRT] Missing scale and zero-point for tensor "
           "/model/encoder/layer.{block}/op_{i}/T_{i}, expect fall back to non-int8 implementation "
           "for any layer consuming or producing given tensor\n")
FOOTER = (
    "[09/01/2025-10:05:00] [I] [TRT] Engine generation completed in 297.1 seconds.\n"
    "[09/01/2025-10:05:00] [I] Engine built in 297.2 sec.\n"
    "&&&& PASSED TensorRT.trtexec [TensorRT v100300] # trtexec --onnx=model.onnx --int8 --fp16 "
    "--saveEngine=model.plan\n"
)
BATCH = 10_000


def write_log(out: Path, count: int, repeat: int = 1) -> dict[str, int]:
    """Stream the log to ``out``; returns what was written (bytes, warnings, distinct tensors)."""
    written = 0
    with out.open("w", encoding="utf-8", newline="\n") as fh:
        fh.write(HEADER)
        written += len(HEADER)
        for _ in range(repeat):
            for lo in range(0, count, BATCH):
                block = "".join(WARNING.format(block=i // 1000, i=i) for i in range(lo, min(count, lo + BATCH)))
                fh.write(block)
                written += len(block)
        fh.write(FOOTER)
        written += len(FOOTER)
    return {"bytes": written, "warnings": count * repeat, "distinct_tensors": count}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--count", type=int, default=1_000_000, help="Distinct tensors (default 1,000,000).")
    ap.add_argument("--repeat", type=int, default=1, help="Warnings per tensor (default 1).")
    args = ap.parse_args(argv)
    summary = write_log(args.out, args.count, args.repeat)
    json.dump(summary, sys.stdout)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
