"""Benchmark `trtdiag lint` on a BERT-large-sized Q/DQ model against `onnx.load` of the same file.

Target (from the lint issue): a 1.3 GB BERT-large Q/DQ model is linted in under 2 s and 300 MB peak RSS.
The model is written under --workdir (24 encoder blocks, hidden 1024, FFN 4096, vocabulary 30522, a
ModelOpt-style placement: symmetric INT8, per-channel weight scales, both inputs of every GEMM quantized)
with its weights inline (the weight-free reader's worst case) or, with --external, in an external-data file.
Each measurement runs in a fresh process; peak RSS is that process's ru_maxrss.

    python benchmarks/bench_lint.py                 # inline weights, ~1.3 GB in /tmp/trtdiag-bench
    python benchmarks/bench_lint.py --external      # weights in model.onnx.data
    python benchmarks/bench_lint.py --layers 4      # quick smoke run

The script reports and does not gate (exit 0).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "fixtures"))

# Each script reports its import time, its work time and VmHWM (peak RSS of this process image only:
# ru_maxrss would also count the parent's pages at fork time).
_HWM = "int(next(x for x in open('/proc/self/status') if x.startswith('VmHWM')).split()[1]) / 1024"
LINT = f"""
import time, sys
t = time.perf_counter()
from trtdiag.lint.run import lint_model
import onnx  # imported lazily by the reader; a fixed cost, counted as import like the baseline's
t1 = time.perf_counter()
r = lint_model(sys.argv[1])
t2 = time.perf_counter()
print(f"{{t1 - t:.3f}} {{t2 - t1:.3f}} {{{_HWM}:.0f}} {{r.summary_line()}}")
"""
LOAD = f"""
import time, sys
t = time.perf_counter()
import onnx
t1 = time.perf_counter()
m = onnx.load(sys.argv[1])
t2 = time.perf_counter()
print(f"{{t1 - t:.3f}} {{t2 - t1:.3f}} {{{_HWM}:.0f}} {{len(m.graph.node)}} nodes")
"""


def build(path: Path, layers: int, external: bool) -> None:
    """A BERT-large-sized encoder with ModelOpt-style Q/DQ (built block by block with fixtures' builder)."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper

    hidden, ffn, vocab = 1024, 4096, 30522
    nodes, inits = [], []

    def init(name: str, array: np.ndarray) -> str:
        inits.append(onnx.numpy_helper.from_array(array, name))
        return name

    def node(op: str, name: str, ins: list[str], **attrs: object) -> str:
        nodes.append(helper.make_node(op, ins, [f"{name}_output_0"], name=name, **attrs))
        return f"{name}_output_0"

    def qdq(t: str, axis: int | None = None, n: int = 1) -> str:
        s = init(f"{t}_scale", np.full(n, 0.01, np.float32) if axis is not None else np.array(0.05, np.float32))
        z = init(f"{t}_zero_point", np.zeros(n, np.int8) if axis is not None else np.array(0, np.int8))
        attrs = {"axis": axis} if axis is not None else {}
        q = node("QuantizeLinear", f"{t}_QuantizeLinear", [t, s, z], **attrs)
        return node("DequantizeLinear", f"{t}_DequantizeLinear", [q, s, z], **attrs)

    def linear(i: int, sub: str, x: str, n_in: int, n_out: int) -> str:
        prefix, path = f"encoder.layer.{i}.{sub}", f"/encoder/layer.{i}/{sub.replace('.', '/')}"
        w = init(f"{prefix}.weight", np.full((n_in, n_out), 0.01, np.float32))
        mm = node("MatMul", f"{path}/MatMul", [qdq(x), qdq(w, 1, n_out)])
        return node("Add", f"{path}/Add", [init(f"{prefix}.bias", np.zeros(n_out, np.float32)), mm])

    def layernorm(path: str, x: str) -> str:
        g = init(f"{path}.weight", np.ones(hidden, np.float32))
        return node("LayerNormalization", path, [x, g, init(f"{path}.bias", np.zeros(hidden, np.float32))], axis=-1)

    emb = init("embeddings.word_embeddings.weight", np.full((vocab, hidden), 0.01, np.float32))
    x = node("Gather", "/embeddings/word_embeddings/Gather", [emb, "input_ids"])
    for i in range(layers):
        p = f"/encoder/layer.{i}"
        q, k, v = (linear(i, f"attention.self.{n}", x, hidden, hidden) for n in ("query", "key", "value"))
        kt = node("Transpose", f"{p}/attention/self/Transpose", [k], perm=[0, 2, 1])
        scores = node("MatMul", f"{p}/attention/self/MatMul", [qdq(q), qdq(kt)])
        probs = node("Softmax", f"{p}/attention/self/Softmax", [scores], axis=-1)
        ctx = node("MatMul", f"{p}/attention/self/MatMul_1", [qdq(probs), qdq(v)])
        res = node("Add", f"{p}/attention/output/Add", [linear(i, "attention.output.dense", ctx, hidden, hidden), x])
        res = layernorm(f"{p}/attention/output/LayerNorm", res)
        up = node("Relu", f"{p}/intermediate/act/Relu", [linear(i, "intermediate.dense", res, hidden, ffn)])
        out = node("Add", f"{p}/output/Add", [linear(i, "output.dense", up, ffn, hidden), res])
        x = layernorm(f"{p}/output/LayerNorm", out)
    graph = helper.make_graph(nodes, "bert_large_qdq",
                              [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "seq"])],
                              [helper.make_tensor_value_info(x, TensorProto.FLOAT, None)], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    if external:
        onnx.save(model, path, save_as_external_data=True, all_tensors_to_one_file=True,
                  location=path.name + ".data", size_threshold=4096)
    else:
        path.write_bytes(model.SerializeToString())


def measure(script: str, path: Path) -> tuple[float, str]:
    """Wall seconds and the last stdout line of ``script`` run in a fresh process."""
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    t = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", script, str(path)], stdout=subprocess.PIPE, env=env, text=True)
    out, _ = proc.communicate()
    return time.perf_counter() - t, out.strip().splitlines()[-1] if out.strip() else "0 0 0 (no output)"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/trtdiag-bench"))
    ap.add_argument("--layers", type=int, default=24)
    ap.add_argument("--external", action="store_true", help="weights in an external-data file")
    ap.add_argument("--keep", action="store_true", help="keep the model for the next run")
    args = ap.parse_args()
    if ROOT in args.workdir.resolve().parents:
        ap.error("--workdir must be outside the repository")
    args.workdir.mkdir(parents=True, exist_ok=True)
    path = args.workdir / f"bert_large_qdq_{args.layers}{'_ext' if args.external else ''}.onnx"
    if not path.exists():
        t = time.perf_counter()
        build(path, args.layers, args.external)
        print(f"built {path} in {time.perf_counter() - t:.1f} s")
    size = sum(p.stat().st_size for p in args.workdir.glob(path.name + "*"))
    print(f"model: {size / 1e9:.2f} GB ({'external data' if args.external else 'inline weights'})")
    for label, script in (("onnx.load", LOAD), ("trtdiag lint", LINT)):
        wall, line = measure(script, path)
        imp, work, hwm, rest = line.split(" ", 3)
        print(f"{label:13s} process {wall:6.2f} s = import {float(imp):5.2f} s + work {float(work):5.2f} s; "
              f"peak RSS {float(hwm):6.0f} MB | {rest}")
    if not args.keep:
        for p in args.workdir.glob(path.name + "*"):
            p.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main())
