#!/usr/bin/env python3
"""Stream a synthetic verbose trtexec (TensorRT 10.13) INT8 build log of a BERT-large-like model.

Why this exists: the project's speed target ("`trtdiag analyze` within 3x of
`grep -c 'Missing scale'` on a >= 1 GB verbose BERT-large build log, under 300 MB peak
memory") needs a log that big, and no real one is public.  The line formats follow
real TRT 10.x verbose trtexec logs, as parsed by trtdiag/log/handlers/ and
trtdiag/engine/layers.py (trtexec prefixes, the TRT 10.x ONNX-parser block per
node, calibration progress, missing-scale warnings, tactic timing, per-strategy memory
report, un-prefixed `Layer(...)` lines after `Engine Layer Information:`).  Nothing is
copied from real logs; every line is produced from the templates below.

Layout of the file:
  header (trtexec options) -> ONNX parse of every node -> calibration -> a burst of
  missing-scale warnings -> N "backend strategy" passes of tactic timing over every engine
  layer (this is the padding that reaches the requested size; more missing-scale warnings
  are interleaved at random points) -> final warnings -> Engine Layer Information -> footer.

Memory is constant: the model, the parse section and a pool of pre-rendered timing blocks
(about 25 MB, independent of --size-mb; the process peaks near 80 MB) are built once; the
body is streamed by picking blocks from the pool and substituting the timestamp
placeholder.  Everything is bytes, so nothing is formatted or encoded per line, which is
what makes 1.1 GB take seconds.  Output is deterministic for a given (size, seed).

Usage:  python benchmarks/make_big_log.py OUT --size-mb 1100 [--seed 0]
Prints (and writes to OUT.summary.json) a JSON summary that includes the exact number of
`Missing scale` warning lines and of `Registering layer: ... for ONNX node:` lines written.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from biglog.bert import build_bert
from biglog.model import MIB, BertModel, BertShape
from biglog.sections import (
    _lines_block,
    strategy_tail,
    warning_set,
    write_calibration,
    write_footer,
    write_header,
    write_parse,
)
from biglog.timing import LayerPool, _t, _v, build_pools
from biglog.writer import LogWriter

#: Bump when the output for a given size and seed changes (bench_analyze.py reads it from this file).
GENERATOR_VERSION = 1


# --------------------------------------------------------------------------------------------
# Driver
# --------------------------------------------------------------------------------------------


def _strategies() -> Iterator[int]:
    """Backend strategies in the order real 10.14 logs show (4, 3, 2), then repeating for size."""
    while True:
        yield from (4, 3, 2)


@dataclass
class Plan:
    """Everything rendered before the file is written: the model, its warnings, the timing pools,
    the strategy tails and the footer's size (so the body can stop exactly at the target)."""

    model: BertModel
    warnings: list[str]
    pools: list[LayerPool]
    opt_block: bytes
    use_tail: bytes
    skip_tails: dict[int, bytes]
    final_warnings: list[str]
    footer_len: int

    @property
    def max_tail(self) -> int:
        return max(len(self.use_tail), *map(len, self.skip_tails.values()))

    @property
    def pool_bytes(self) -> int:
        return sum(len(p.head) + sum(map(len, p.combos)) + sum(map(len, p.reformats)) for p in self.pools)


def make_plan(sh: BertShape, rng: random.Random) -> Plan:
    model = build_bert(sh, rng)
    warnings = warning_set(model, rng)
    pools = build_pools(model, sh, rng)
    opt_block = _v(model.opt_messages)
    use_tail = _lines_block(strategy_tail(model, sh, rng, 4, first=True))
    skip_tails = {s: _lines_block(strategy_tail(model, sh, rng, s, first=False)) for s in (4, 3, 2)}
    final_warnings = rng.sample(warnings, min(24, len(warnings)))
    # The footer has a fixed size (timestamps keep their width), so measure it on a scratch writer.
    scratch = LogWriter(io.BytesIO())
    write_footer(scratch, model, sh, final_warnings)
    return Plan(model, warnings, pools, opt_block, use_tail, skip_tails, final_warnings, scratch.bytes)


def write_pass(w: LogWriter, plan: Plan, rng: random.Random, strategy: int, passes: int, stop_at: int) -> bool:
    """One backend-strategy pass of tactic timing; True when the target size is reached."""
    w.v(f"Building graph using backend strategy {strategy}")
    w.msg("I", "Global timing cache in use. Profiling results in this builder pass will be stored.")
    w.v("Constructing optimization profile number 0 [1/1].")
    w.block(plan.opt_block)
    done = False
    for pool in plan.pools:
        w.tick(rng.random() * 0.8)
        w.block(pool.head)
        for combo in pool.combos:
            if rng.random() < 0.75:
                w.block(combo)
        if pool.reformats:
            w.block(pool.reformats[0 if passes == 0 or rng.random() < 0.3 else 1])
        if rng.random() < 0.008:
            for t in rng.sample(plan.warnings, rng.randrange(1, 4)):
                w.warn_missing_scale(t)
        if w.bytes >= stop_at:
            done = True
            break
    if done and passes > 0:
        # the last pass is cut short; a few warnings land at its end, as in real builds
        for t in rng.sample(plan.warnings, 3):
            w.warn_missing_scale(t)
    w.block(plan.use_tail if passes == 0 else plan.skip_tails[strategy])
    return done


def write_log(w: LogWriter, plan: Plan, sh: BertShape, rng: random.Random, target: int) -> int:
    """Header, parse, calibration, warnings, strategy passes up to the target size, footer; returns the passes."""
    model = plan.model
    write_header(w, sh)
    write_parse(w, model, sh)
    write_calibration(w, model, rng)
    w.tick(2)
    for t in plan.warnings:
        w.warn_missing_scale(t)
    w.v(f"Original: {model.layers_registered} layers")
    w.v(f"After dead-layer removal: {model.layers_registered} layers")
    w.v(f"Graph construction completed in {_t(rng, 0.2, 0.9)} seconds.")
    passes = 0
    stop_at = target - plan.footer_len - plan.max_tail
    done = w.bytes >= stop_at
    for strategy in _strategies():
        if done:
            break
        done = write_pass(w, plan, rng, strategy, passes, stop_at)
        passes += 1
    write_footer(w, model, sh, plan.final_warnings)
    w.flush()
    return passes


def generate(out: Path, size_mb: float, seed: int = 0, sh: BertShape | None = None) -> dict[str, object]:
    """Write the log to `out` and return the summary (also written to `<out>.summary.json`)."""
    t0 = time.perf_counter()
    sh = sh or BertShape()
    rng = random.Random(seed)
    plan = make_plan(sh, rng)
    with out.open("wb", buffering=0) as fh:
        w = LogWriter(fh)
        passes = write_log(w, plan, sh, rng, int(size_mb * MIB))
    model = plan.model
    summary: dict[str, object] = {
        "generator": "benchmarks/make_big_log.py",
        "generator_version": GENERATOR_VERSION,
        "path": str(out),
        "size_mb_requested": size_mb,
        "seed": seed,
        "bytes": w.bytes,
        "lines": w.lines,
        "missing_scale_warnings": w.missing_scale,
        "missing_scale_unique_tensors": len(w.missing_scale_tensors),
        "registering_layer_for_onnx_node": model.node_registrations,
        "onnx_nodes_parsed": model.onnx_nodes,
        "engine_layers": len(model.engine),
        "encoder_layers_falling_back": model.fallback_layers,
        "strategy_passes": passes,
        "timing_pool_mb": round(plan.pool_bytes / MIB, 1),
        "seconds": round(time.perf_counter() - t0, 2),
    }
    Path(f"{out}.summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    return summary


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", type=Path, help="log file to write")
    ap.add_argument("--size-mb", type=float, default=1100.0, help="minimum size in MiB (default 1100)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    summary = generate(args.out, args.size_mb, args.seed)
    json.dump(summary, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
