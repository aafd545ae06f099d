"""Benchmark: a BERT-base-sized encoder with random weights compared layer-wise by ``trtdiag accuracy``.

Target (from the accuracy work item): within 2 minutes and 2 GB peak memory on 2 cores. The model (12
blocks, hidden 768, 12 heads, FFN 3072, vocabulary 30522, about 110 M parameters, ~440 MB) is built with
``onnx.helper`` under ``--workdir`` (nothing is downloaded), with TorchScript-style node names so that
blocks and sub-modules map. The candidate is the same model with one LayerNorm's gain changed in block
``--break-block``, run by ONNX Runtime in a child process (so its memory is not counted) and saved as a
Polygraphy RunResults JSON with the default marked tensors. The timed part is what a user runs:

    trtdiag accuracy model.onnx --candidate candidate.json --inputs inputs.npz

i.e. the CPU reference run with marked tensors plus the layer-wise comparison. Prints time, peak RSS of
the timed process and the first divergence found; exits 1 when the target or the expected divergence is
missed.
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from trtdiag.accuracy.pipeline import accuracy_from_files
from trtdiag.accuracy.reference import run_reference, select_tensors
from trtdiag.onnx.graph import load_graph

HIDDEN, HEADS, FFN, LAYERS, VOCAB, MAX_POS = 768, 12, 3072, 12, 30522, 512


class _Builder:
    def __init__(self, seed: int) -> None:
        self.nodes: list = []
        self.inits: list = []
        self.rng = np.random.default_rng(seed)

    def weight(self, name: str, shape: tuple[int, ...], scale: float = 0.02, fill: float | None = None) -> str:
        from onnx import numpy_helper

        data = np.full(shape, fill, np.float32) if fill is not None else (
            self.rng.standard_normal(shape, dtype=np.float32) * scale)
        self.inits.append(numpy_helper.from_array(data, name))
        return name

    def const(self, name: str, value: np.ndarray) -> str:
        from onnx import numpy_helper

        self.inits.append(numpy_helper.from_array(value, name))
        return name

    def op(self, op_type: str, name: str, inputs: list[str], **attrs: Any) -> str:
        from onnx import helper

        out = f"{name}_output_0"
        self.nodes.append(helper.make_node(op_type, inputs, [out], name=name, **attrs))
        return out

    def linear(self, prefix: str, x: str, n_in: int, n_out: int) -> str:
        mm = self.op("MatMul", f"{prefix}/MatMul", [x, self.weight(f"{prefix}.weight", (n_in, n_out))])
        return self.op("Add", f"{prefix}/Add", [mm, self.weight(f"{prefix}.bias", (n_out,), fill=0.0)])

    def layernorm(self, prefix: str, x: str, dotted: str) -> str:
        return self.op("LayerNormalization", f"{prefix}/LayerNormalization",
                       [x, self.weight(f"{dotted}.weight", (HIDDEN,), fill=1.0),
                        self.weight(f"{dotted}.bias", (HIDDEN,), fill=0.0)], axis=-1, epsilon=1e-12)


def _attention(b: _Builder, i: int, x: str, mask: str) -> str:
    p = f"/encoder/layer.{i}/attention"
    heads = b.const(f"heads_shape_{i}", np.array([0, 0, HEADS, HIDDEN // HEADS], np.int64))
    q, k, v = (b.op("Transpose", f"{p}/self/Transpose_{n}",
                    [b.op("Reshape", f"{p}/self/Reshape_{n}", [b.linear(f"{p}/self/{n}", x, HIDDEN, HIDDEN), heads])],
                    perm=[0, 2, 3, 1] if n == "key" else [0, 2, 1, 3]) for n in ("query", "key", "value"))
    scores = b.op("MatMul", f"{p}/self/MatMul", [q, k])
    scaled = b.op("Div", f"{p}/self/Div", [scores, b.const(f"sqrt_d_{i}", np.array(8.0, np.float32))])
    probs = b.op("Softmax", f"{p}/self/Softmax", [b.op("Add", f"{p}/self/Add", [scaled, mask])], axis=-1)
    ctx = b.op("Transpose", f"{p}/self/Transpose_3", [b.op("MatMul", f"{p}/self/MatMul_1", [probs, v])],
               perm=[0, 2, 1, 3])
    flat = b.op("Reshape", f"{p}/self/Reshape_3", [ctx, b.const(f"flat_{i}", np.array([0, 0, HIDDEN], np.int64))])
    out = b.linear(f"{p}/output/dense", flat, HIDDEN, HIDDEN)
    res = b.op("Add", f"{p}/output/Add", [out, x])
    return b.layernorm(f"{p}/output/LayerNorm", res, f"encoder.layer.{i}.attention.output.LayerNorm")


def _ffn(b: _Builder, i: int, x: str) -> str:
    p = f"/encoder/layer.{i}"
    h = b.linear(f"{p}/intermediate/dense", x, HIDDEN, FFN)
    erf = b.op("Erf", f"{p}/intermediate/intermediate_act_fn/Erf",
               [b.op("Div", f"{p}/intermediate/intermediate_act_fn/Div", [h, b.const(f"sqrt2_{i}", np.array(
                   1.4142135, np.float32))])])
    one = b.const(f"one_{i}", np.array(1.0, np.float32))
    half = b.const(f"half_{i}", np.array(0.5, np.float32))
    gelu = b.op("Mul", f"{p}/intermediate/intermediate_act_fn/Mul_1", [b.op(
        "Mul", f"{p}/intermediate/intermediate_act_fn/Mul", [h, b.op(
            "Add", f"{p}/intermediate/intermediate_act_fn/Add", [erf, one])]), half])
    out = b.linear(f"{p}/output/dense", gelu, FFN, HIDDEN)
    res = b.op("Add", f"{p}/output/Add", [out, x])
    return b.layernorm(f"{p}/output/LayerNorm", res, f"encoder.layer.{i}.output.LayerNorm")


def build_model(path: Path, seed: int = 0) -> None:
    """Write the random-weight BERT-base-sized encoder (inputs ``input_ids``, ``attention_mask``)."""
    import onnx
    from onnx import TensorProto, helper

    b = _Builder(seed)
    emb = b.op("Gather", "/embeddings/word_embeddings/Gather",
               [b.weight("embeddings.word_embeddings.weight", (VOCAB, HIDDEN)), "input_ids"])
    pos = b.weight("embeddings.position_embeddings.weight", (MAX_POS, HIDDEN))
    seq = b.op("Gather", "/embeddings/Gather_pos", [b.op("Shape", "/embeddings/Shape", ["input_ids"]),
                                                    b.const("one_idx", np.array(1, np.int64))])
    pos_ids = b.op("Range", "/embeddings/Range", [b.const("zero", np.array(0, np.int64)), seq,
                                                  b.const("step", np.array(1, np.int64))])
    x = b.op("Add", "/embeddings/Add", [emb, b.op("Gather", "/embeddings/position_embeddings/Gather", [pos, pos_ids])])
    x = b.layernorm("/embeddings/LayerNorm", x, "embeddings.LayerNorm")
    m = b.op("Cast", "/Cast", [b.op("Unsqueeze", "/Unsqueeze", ["attention_mask", b.const(
        "axes", np.array([1, 2], np.int64))])], to=TensorProto.FLOAT)
    inv = b.op("Sub", "/Sub", [b.const("one_f", np.array(1.0, np.float32)), m])
    mask = b.op("Mul", "/Mul", [inv, b.const("finfo_min", np.array(np.finfo(np.float32).min, np.float32))])
    for i in range(LAYERS):
        x = _ffn(b, i, _attention(b, i, x, mask))
    last = b.op("Identity", "/last_hidden_state", [x])
    graph = helper.make_graph(
        b.nodes, "bert_base_random",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "seq"]),
         helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "seq"])],
        [helper.make_tensor_value_info(last, TensorProto.FLOAT, ["batch", "seq", HIDDEN])], b.inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="bench_accuracy")
    model.ir_version = 8
    onnx.save(model, str(path))


def make_candidate(model: Path, inputs: Path, out: Path, block: int) -> None:
    """Child process: the model with one LayerNorm gain changed, run with the default marks, saved."""
    import onnx
    from onnx import numpy_helper
    from polygraphy.comparator import RunResults  # type: ignore[import-untyped]

    m = onnx.load(str(model))
    target = f"encoder.layer.{block}.attention.output.LayerNorm.weight"
    init = next(t for t in m.graph.initializer if t.name == target)
    init.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(init) * 1.5, target))
    broken = model.with_name("broken.onnx")
    onnx.save(m, str(broken))
    del m
    feeds = [dict(np.load(inputs))]
    run = run_reference(broken, feeds, select_tensors(load_graph(model)))
    runs = RunResults()
    runs.add([dict(it) for it in run.iterations], runner_name="trt-runner-N6-bench")
    runs.save(str(out))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/trtdiag-bench-accuracy"))
    ap.add_argument("--seq", type=int, default=128)
    ap.add_argument("--break-block", type=int, default=5)
    ap.add_argument("--max-seconds", type=float, default=120.0)
    ap.add_argument("--max-mb", type=float, default=2048.0)
    args = ap.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    model, inputs, cand = args.workdir / "bert_base.onnx", args.workdir / "inputs.npz", args.workdir / "cand.json"
    t0 = time.perf_counter()
    ctx = multiprocessing.get_context("spawn")
    for target, targs in ((build_model, (model,)), (make_candidate, (model, inputs, cand, args.break_block))):
        if target is make_candidate:
            rng = np.random.default_rng(1)
            np.savez(inputs, input_ids=rng.integers(0, VOCAB, (1, args.seq)), attention_mask=np.ones((1, args.seq),
                                                                                                       np.int64))
        proc = ctx.Process(target=target, args=targs)
        proc.start()
        proc.join()
        if proc.exitcode:
            print(f"setup step {target.__name__} failed", file=sys.stderr)
            return 2
    print(f"setup (build model {model.stat().st_size >> 20} MiB, candidate run): {time.perf_counter() - t0:.1f} s")
    return _timed(model, inputs, cand, args)


def _timed(model: Path, inputs: Path, cand: Path, args: argparse.Namespace) -> int:
    t0 = time.perf_counter()
    result = accuracy_from_files([cand], model=model, inputs=inputs)
    seconds = time.perf_counter() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    c = result.candidates[0]
    div = result.first_divergence
    n = len(c.layerwise.tensors) if c.layerwise else 0
    print(f"trtdiag accuracy (CPU reference + layer-wise, {n} tensors): {seconds:.1f} s, peak RSS {peak_mb:.0f} MB")
    print(f"class {c.accuracy_class}; first divergence: {div.place.tensor if div else None} "
          f"(block {div.place.block if div else None}, {div.place.submodule if div else None})")
    ok_div = div is not None and div.place.block == args.break_block
    ok = seconds <= args.max_seconds and peak_mb <= args.max_mb and ok_div
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
