"""Benchmark ``trtdiag sensitivity`` on a BERT-base-sized encoder with random weights (CPU only).

Builds the model with ``onnx.helper`` in a temp dir (12 blocks, hidden 768, FFN 3072, 12 heads, vocab
30522, TorchScript-style node names and the ``finfo.min`` attention-mask path), then times the sweep and
prints wall time and peak RSS (the largest sum over this process and its worker processes, sampled every
0.2 s from /proc; a worker's ``ru_maxrss`` is useless here: it inherits the parent's at fork, before exec).
Targets: block/role sweep within 5 minutes on 2 cores, memory under 4 GB. ``--per-variant`` runs the former
way (the quantizer on a deep copy of the model for every variant) instead of the shared all-INT8 template,
for a before/after comparison. Nothing is written into the repository.

    python benchmarks/bench_sensitivity.py [--granularity block] [--layers 12] [--seq 128] [--workers 2] [--per-variant]
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from trtdiag.sensitivity import pipeline
from trtdiag.sensitivity.groups import Granularity
from trtdiag.sensitivity.pipeline import SensitivityOptions, run_sensitivity
from trtdiag.sensitivity.sweep import Runner

HIDDEN, FFN, HEADS, VOCAB = 768, 3072, 12, 30522


class _Builder:
    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []

    def init(self, name: str, arr: np.ndarray) -> str:
        self.inits.append(numpy_helper.from_array(arr, name))
        return name

    def weight(self, name: str, *shape: int) -> str:
        return self.init(name, (self.rng.standard_normal(shape) * 0.02).astype(np.float32))

    def node(self, op: str, name: str, inputs: list[str], **attrs: Any) -> str:
        out = f"{name}_output_0"
        self.nodes.append(helper.make_node(op, inputs, [out], name=name, **attrs))
        return out

    def linear(self, x: str, scope: str, param: str, n_in: int, n_out: int) -> str:
        y = self.node("MatMul", f"{scope}/MatMul", [x, self.weight(f"onnx::MatMul_{param}", n_in, n_out)])
        return self.node("Add", f"{scope}/Add", [self.init(f"{param}.bias", np.zeros(n_out, np.float32)), y])

    def layernorm(self, x: str, scope: str, param: str) -> str:
        return self.node("LayerNormalization", f"{scope}/LayerNormalization",
                         [x, self.init(f"{param}.weight", np.ones(HIDDEN, np.float32)),
                          self.init(f"{param}.bias", np.zeros(HIDDEN, np.float32))], axis=-1, epsilon=1e-12)


def _heads(b: _Builder, x: str, scope: str, seq: int, transpose: list[int]) -> str:
    shape = b.init(f"{scope}_shape", np.array([-1, seq, HEADS, HIDDEN // HEADS], np.int64))
    r = b.node("Reshape", f"{scope}/Reshape", [x, shape])
    return b.node("Transpose", f"{scope}/Transpose", [r], perm=transpose)


def _block(b: _Builder, x: str, mask: str, i: int, seq: int) -> str:
    s, p = f"/encoder/layer.{i}", f"encoder.layer.{i}"
    q = _heads(b, b.linear(x, f"{s}/attention/self/query", f"{p}.attention.self.query", HIDDEN, HIDDEN),
               f"{s}/attention/self/q", seq, [0, 2, 1, 3])
    k = _heads(b, b.linear(x, f"{s}/attention/self/key", f"{p}.attention.self.key", HIDDEN, HIDDEN),
               f"{s}/attention/self/k", seq, [0, 2, 3, 1])
    v = _heads(b, b.linear(x, f"{s}/attention/self/value", f"{p}.attention.self.value", HIDDEN, HIDDEN),
               f"{s}/attention/self/v", seq, [0, 2, 1, 3])
    scores = b.node("MatMul", f"{s}/attention/self/MatMul", [q, k])
    scaled = b.node("Div", f"{s}/attention/self/Div", [scores, b.init(f"{p}.scale", np.array(8.0, np.float32))])
    probs = b.node("Softmax", f"{s}/attention/self/Softmax",
                   [b.node("Add", f"{s}/attention/self/Add", [scaled, mask])], axis=-1)
    ctx = b.node("Transpose", f"{s}/attention/self/Transpose_3",
                 [b.node("MatMul", f"{s}/attention/self/MatMul_1", [probs, v])], perm=[0, 2, 1, 3])
    ctx = b.node("Reshape", f"{s}/attention/self/Reshape_3",
                 [ctx, b.init(f"{p}.ctx_shape", np.array([-1, seq, HIDDEN], np.int64))])
    att = b.linear(ctx, f"{s}/attention/output/dense", f"{p}.attention.output.dense", HIDDEN, HIDDEN)
    x = b.layernorm(b.node("Add", f"{s}/attention/output/Add", [att, x]), f"{s}/attention/output/LayerNorm",
                    f"{p}.attention.output.LayerNorm")
    h = b.linear(x, f"{s}/intermediate/dense", f"{p}.intermediate.dense", HIDDEN, FFN)
    h = b.node("Relu", f"{s}/intermediate/intermediate_act_fn/Relu", [h])
    out = b.linear(h, f"{s}/output/dense", f"{p}.output.dense", FFN, HIDDEN)
    return b.layernorm(b.node("Add", f"{s}/output/Add", [out, x]), f"{s}/output/LayerNorm", f"{p}.output.LayerNorm")


def build_model(path: Path, layers: int, seq: int, seed: int = 0) -> Path:
    b = _Builder(seed)
    emb = b.node("Gather", "/embeddings/word_embeddings/Gather",
                 [b.weight("embeddings.word_embeddings.weight", VOCAB, HIDDEN), "input_ids"])
    x = b.layernorm(emb, "/embeddings/LayerNorm", "embeddings.LayerNorm")
    m = b.node("Cast", "/Cast", ["attention_mask"], to=TensorProto.FLOAT)
    m = b.node("Sub", "/Sub", [b.init("one", np.array(1.0, np.float32)), m])
    m = b.node("Mul", "/Mul", [m, b.init("finfo_min", np.array(np.finfo(np.float32).min, np.float32))])
    mask = b.node("Unsqueeze", "/Unsqueeze", [m, b.init("axes", np.array([1, 2], np.int64))])
    for i in range(layers):
        x = _block(b, x, mask, i, seq)
    b.nodes.append(helper.make_node("Identity", [x], ["last_hidden_state"], name="/Identity"))
    ids = [helper.make_tensor_value_info(n, TensorProto.INT64, ["batch", seq]) for n in ("input_ids", "attention_mask")]
    out = helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, ["batch", seq, HIDDEN])
    graph = helper.make_graph(b.nodes, "bert_base_random", ids, [out], b.inits)
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), path)
    return path


class PerVariantRunner(Runner):
    """The former runner: no shared template, so every variant deep-copies and quantizes the model."""

    def __init__(self, *args: Any, nodes: Any = None, **kw: Any) -> None:
        super().__init__(*args, **kw)


def _tree_rss_mb() -> tuple[float, float]:
    """Resident memory (MB) of this process, and of all its descendants together (Linux /proc)."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry)] = int(fields[1])
        rss[int(entry)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
    tree, frontier = {os.getpid()}, [os.getpid()]
    while frontier:
        pid = frontier.pop()
        kids = [p for p, pp in parents.items() if pp == pid and p not in tree]
        tree.update(kids)
        frontier.extend(kids)
    me = os.getpid()
    return rss.get(me, 0) / 2**20, sum(rss.get(p, 0) for p in tree if p != me) / 2**20


class PeakSampler(threading.Thread):
    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak = self.main = self.workers = 0.0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.wait(0.2):
            main, workers = _tree_rss_mb()
            self.peak, self.main, self.workers = max(self.peak, main + workers), max(self.main, main), \
                max(self.workers, workers)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--granularity", choices=[g.value for g in Granularity], default="block")
    ap.add_argument("--layers", type=int, default=12)
    ap.add_argument("--seq", type=int, default=128)
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--workers", type=int, default=0)
    ap.add_argument("--per-variant", action="store_true", help="the former per-variant quantizer (baseline)")
    args = ap.parse_args()
    if args.per_variant:
        pipeline.Runner = PerVariantRunner  # type: ignore[misc]
    sampler = PeakSampler()
    with tempfile.TemporaryDirectory(prefix="trtdiag-bench-sens-") as tmp:
        model = build_model(Path(tmp) / "bert_base_random.onnx", args.layers, args.seq)
        shapes = f"input_ids:{args.batch}x{args.seq},attention_mask:{args.batch}x{args.seq}"
        start = time.monotonic()
        sampler.start()
        report = run_sensitivity(model, SensitivityOptions(shapes=shapes, granularity=Granularity(args.granularity),
                                                           workers=args.workers),
                                 lambda d, t: print(f"\r{d}/{t} variants", end="", file=sys.stderr, flush=True))
        seconds = time.monotonic() - start
        sampler.stop.set()
    self_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    load = os.getloadavg()[0]
    mode = "per-variant quantizer (former)" if args.per_variant else "shared template"
    print(f"\n{args.layers} layers x hidden {HIDDEN}, seq {args.seq}, batch {args.batch}, {args.granularity}, {mode}: "
          f"{report.result.variants} variants in {seconds:.1f} s (load average {load:.1f} on {os.cpu_count()} cores); "
          f"peak RSS of the process tree {sampler.peak:.0f} MB (main process {sampler.main:.0f} MB sampled, "
          f"{self_mb:.0f} MB ru_maxrss; workers together {sampler.workers:.0f} MB); "
          f"range finding: {report.ranges.finding is not None}; "
          f"top: {report.result.ranking[0].group.label}")
    print(f"targets: 300 s, 4096 MB -> {'PASS' if seconds < 300 and sampler.peak < 4096 else 'FAIL'}")


if __name__ == "__main__":
    main()
