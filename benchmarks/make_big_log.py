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
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import BinaryIO

GENERATOR_VERSION = 1
TRT_VERSION_TAG = "[TensorRT v101303] [b9]"
TRT_SO_VERSION = "10.13.3"
CALIB_ALGO_HEADER = "TRT-101303-EntropyCalibration2"
# Same width as a real "[MM/DD/YYYY-HH:MM:SS]" so substituting it never changes a block's size.
TS_PLACEHOLDER = b"[@@/@@/@@@@-@@:@@:@@]"
MISSING_SCALE = (
    "Missing scale and zero-point for tensor {}, expect fall back to non-int8 implementation "
    "for any layer consuming or producing given tensor"
)
START_TIME = datetime(2025, 9, 18, 14, 2, 11)
MIB = 1024 * 1024

Dims = tuple[int, ...]


# --------------------------------------------------------------------------------------------
# Model description
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BertShape:
    """BERT-large sizes; opt_* are the optimisation-profile opt shape used in format strings."""

    layers: int = 24
    hidden: int = 1024
    heads: int = 16
    intermediate: int = 4096
    vocab: int = 30522
    max_positions: int = 512
    type_vocab: int = 2
    opt_batch: int = 8
    opt_seq: int = 128


def fmt_dims(dims: Dims) -> str:
    """Parser style dims: `(-1, -1, 1024)`, scalars `()`."""
    return "(" + ", ".join(str(d) for d in dims) + ")"


def engine_dims(dims: Dims) -> str:
    """TRT 8.6/10.x Engine Layer Information style dims: `[-1,-1,1024]`."""
    return "[" + ",".join(str(d) for d in dims) + "]"


NUMPY_DTYPE = {"FLOAT": "float32", "INT64": "int64", "INT32": "int32"}


class Scope:
    """TorchScript node naming inside one module scope: `Op`, then `Op_1`, `Op_2`, ...

    Why: the exporter numbers repeats of an op type per scope, and the
    mapper in trtdiag (trtdiag/naming.py) relies on exactly that shape of name.
    """

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self._seen: dict[str, int] = {}

    def __call__(self, op: str) -> str:
        k = self._seen.get(op, 0)
        self._seen[op] = k + 1
        return f"{self.prefix}/{op}" if k == 0 else f"{self.prefix}/{op}_{k}"


class OnnxParseLog:
    """Renders TRT 10.x ONNX-parser verbose messages, one ONNX node at a time.

    Why a class: the parser's uniquifier (one counter shared by layer and tensor names,
    see trtdiag/naming.py), the set of constant layers already created (they are reused)
    and the registered-value table are state that each node import reads and updates.
    """

    def __init__(self) -> None:
        self.input_msgs: list[str] = []
        self.init_msgs: list[str] = []
        self.node_msgs: list[str] = []
        self.values: dict[str, tuple[Dims, str]] = {}
        self.node_registrations = 0
        self.nodes = 0
        self.layers_registered = 0
        self.weight_outputs: list[str] = []  # "<const>_output" FLOAT tensors
        self.broadcast_outputs: list[str] = []  # "ONNXTRT_Broadcast_N_output"
        self.const_broadcast_pairs: list[tuple[str, str]] = []
        self.shape_shuffles: list[str] = []
        self._used: set[str] = set()
        self._counter = 0
        self._const_layers: set[str] = set()

    # -- naming ------------------------------------------------------------------------
    def unique(self, base: str) -> str:
        """generateUniqueName: bare name first, then `<base>_<global counter>`."""
        if base not in self._used:
            self._used.add(base)
            return base
        while True:
            cand = f"{base}_{self._counter}"
            self._counter += 1
            if cand not in self._used:
                self._used.add(cand)
                return cand

    # -- graph inputs and initializers -----------------------------------------------------
    def graph_input(self, name: str, dims: Dims, dtype: str) -> str:
        self.values[name] = (dims, dtype)
        self._used.add(name)
        self.input_msgs.append(
            f"Adding network input: {name} with dtype: {NUMPY_DTYPE[dtype]}, dimensions: {fmt_dims(dims)}"
        )
        self.input_msgs.append(f"Registering tensor: {name} for ONNX tensor: {name}")
        return name

    def initializer(self, name: str, dims: Dims, dtype: str = "FLOAT") -> str:
        self.values[name] = (dims, dtype)
        self.init_msgs.append(f"Importing initializer: {name}")
        return name

    # -- registration helpers ----------------------------------------------------------------
    def _reg_node(self, layer: str, node: str) -> str:
        self._used.add(layer)
        self.node_registrations += 1
        self.layers_registered += 1
        return f"Registering layer: {layer} for ONNX node: {node}"

    def _reg_helper(self, base: str) -> tuple[str, str]:
        name = self.unique(base)
        self.layers_registered += 1
        return name, f"Registering layer: {name} required by ONNX-TRT"

    def _const(self, weights: str) -> list[str]:
        """convertToTensor(): one constant layer per weights name, reused afterwards."""
        if weights in self._const_layers:
            return []
        self._const_layers.add(weights)
        self._used.add(weights)
        self.layers_registered += 1
        if self.values[weights][1] == "FLOAT":
            self.weight_outputs.append(f"{weights}_output")
        return [f"Registering layer: {weights} required by ONNX-TRT"]

    def _broadcast(self, weights: str) -> tuple[str, list[str]]:
        """broadcastTensor(): addShuffle registers ONNXTRT_ShapeShuffle, then it is renamed."""
        shuffle, m1 = self._reg_helper("ONNXTRT_ShapeShuffle")
        bcast, m2 = self._reg_helper("ONNXTRT_Broadcast")
        self.shape_shuffles.append(shuffle)
        self.broadcast_outputs.append(f"{bcast}_output")
        self.const_broadcast_pairs.append((weights, bcast))
        return bcast, [m1, m2]

    # -- node emission ---------------------------------------------------------------------------
    def _emit(
        self,
        name: str,
        op: str,
        inputs: list[str],
        regs: list[str],
        outputs: list[tuple[str, Dims, str]],
        as_weights: bool = False,
    ) -> None:
        m = self.node_msgs
        self.nodes += 1
        m.append(f"Static check for parsing node: {name} [{op}]")
        m.append(f"Parsing node: {name} [{op}]")
        for t in inputs:
            m.append(f"Searching for input: {t}")
        ins = "".join(f"[{t} -> {fmt_dims(self.values[t][0])}[{self.values[t][1]}]], " for t in inputs)
        m.append(f"{name} [{op}] inputs: {ins}".rstrip())
        m.extend(regs)
        for t, dims, dtype in outputs:
            self.values[t] = (dims, dtype)
            if not as_weights:
                self._used.add(t)
                m.append(f"Registering tensor: {t} for ONNX tensor: {t}")
        outs = "".join(f"[{t} -> {fmt_dims(d)}[{dt}]], " for t, d, dt in outputs)
        m.append(f"{name} [{op}] outputs: {outs}".rstrip())

    # -- op importers ------------------------------------------------------------------------------
    def constant(self, node: str, out: str, dims: Dims, dtype: str) -> str:
        """Constant nodes import as weights: no layer, no `Registering tensor` line."""
        out = out or f"{node}_output_0"
        self._emit(node, "Constant", [], [], [(out, dims, dtype)], as_weights=True)
        return out

    def simple(
        self,
        node: str,
        op: str,
        inputs: list[str],
        dims: Dims,
        dtype: str = "FLOAT",
        out: str | None = None,
        extra_regs: list[str] | None = None,
    ) -> str:
        """Ops that create exactly the node-named layer (Shape, Transpose, Erf, Add of two tensors...)."""
        out = out or f"{node}_output_0"
        regs = [self._reg_node(node, node), *(extra_regs or [])]
        self._emit(node, op, inputs, regs, [(out, dims, dtype)])
        return out

    def with_weights(
        self, node: str, op: str, inputs: list[str], dims: Dims, dtype: str = "FLOAT", out: str | None = None
    ) -> str:
        """Ops whose weights inputs become constant layers without broadcast (Gather, Concat, Slice)."""
        out = out or f"{node}_output_0"
        regs: list[str] = []
        for t in inputs:
            if t not in self._used and t in self.values:
                regs += self._const(t)
        regs.append(self._reg_node(node, node))
        self._emit(node, op, inputs, regs, [(out, dims, dtype)])
        return out

    def broadcast_binary(
        self, node: str, op: str, inputs: list[str], weights: str, dims: Dims, out: str | None = None
    ) -> tuple[str, str]:
        """Binary op with a weights operand of lower rank: constant + ShapeShuffle + Broadcast."""
        out = out or f"{node}_output_0"
        regs = self._const(weights)
        bcast, bregs = self._broadcast(weights)
        regs += [*bregs, self._reg_node(node, node)]
        self._emit(node, op, inputs, regs, [(out, dims, "FLOAT")])
        return out, bcast

    def shuffle_op(self, node: str, op: str, inputs: list[str], dims: Dims, dtype: str) -> str:
        """Reshape/Unsqueeze: addShuffle registers ONNXTRT_ShapeShuffle, then the node name."""
        out = f"{node}_output_0"
        shuffle, msg = self._reg_helper("ONNXTRT_ShapeShuffle")
        self.shape_shuffles.append(shuffle)
        self._emit(node, op, inputs, [msg, self._reg_node(node, node)], [(out, dims, dtype)])
        return out

    def softmax(self, node: str, x: str, dims: Dims) -> str:
        out = f"{node}_output_0"
        _, msg = self._reg_helper("ONNXTRT_ShapeShuffle")
        self._emit(node, "Softmax", [x], [self._reg_node(node, node), msg], [(out, dims, "FLOAT")])
        return out

    def layernorm(
        self, node: str, x: str, weight: str, bias: str, dims: Dims, out: str | None = None
    ) -> tuple[str, str, str]:
        out = out or f"{node}_output_0"
        regs = self._const(weight)
        bw, r1 = self._broadcast(weight)
        regs += [*r1, *self._const(bias)]
        bb, r2 = self._broadcast(bias)
        regs += [*r2, self._reg_node(node, node)]
        self._emit(node, "LayerNormalization", [x, weight, bias], regs, [(out, dims, "FLOAT")])
        return out, bw, bb

    def gemm(self, node: str, x: str, weight: str, bias: str, dims: Dims) -> tuple[str, str]:
        """Gemm as in the real 10.16 log: weight constant, MatMul layer, bias broadcast, Add layer."""
        out = f"{node}_output_0"
        regs = [*self._const(weight), "Using opA: 0 opB: 1", self._reg_node(node, node), *self._const(bias)]
        bcast, bregs = self._broadcast(bias)
        regs += [*bregs, self._reg_node(self.unique(node), node)]
        self._emit(node, "Gemm", [x, weight, bias], regs, [(out, dims, "FLOAT")])
        return out, bcast

    def mark_outputs(self, names: list[str]) -> None:
        for n in names:
            self.node_msgs.append(f"Marking {n} as output: {n}")

    def messages(self) -> list[str]:
        return [*self.input_msgs, *self.init_msgs, *self.node_msgs]


@dataclass
class EngineLayer:
    """One layer of the built engine, with what the timing templates need to know."""

    name: str
    ltype: str  # the word in `Layer(<ltype>)`
    kind: str  # timing template: gemm, mm, pw, shuffle, softmax, myelin, reformat
    runner: str  # runner type in `Timing Runner: name (<runner>[0x...])`
    inputs: list[tuple[str, str, Dims]]  # tensor, engine dtype, dims
    outputs: list[tuple[str, str, Dims]]
    tactic: str
    metadata: list[str] = field(default_factory=list)  # ONNX nodes, for Myelin metadata lines
    encoder_layer: int = -1


@dataclass
class BertModel:
    """Everything the writer needs: parse messages, warning candidates and the engine."""

    parse_messages: list[str]
    node_registrations: int
    onnx_nodes: int
    layers_registered: int
    weight_outputs: list[str]
    broadcast_outputs: list[str]
    activation_warnings: list[str]
    input_warnings: list[str]
    engine: list[EngineLayer]
    opt_messages: list[str]
    fallback_layers: list[int]


class EngineBuilder:
    """Builds the engine-layer list, inserting Reformat layers where precisions meet.

    Why: the Engine Layer Information of a half-failed INT8 build shows Int8 GEMMs next to
    Float fallbacks joined by `Reformatting CopyNode ...` layers; trtdiag has to read those.
    """

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.layers: list[EngineLayer] = []
        self.dtype: dict[str, str] = {}
        self.dims: dict[str, Dims] = {}

    def tensor(self, name: str, dtype: str, dims: Dims) -> None:
        self.dtype[name] = dtype
        self.dims[name] = dims

    def add(
        self,
        name: str,
        ltype: str,
        kind: str,
        runner: str,
        inputs: list[str],
        outputs: list[tuple[str, Dims]],
        prec: str | None,
        metadata: list[str] | None = None,
        encoder_layer: int = -1,
    ) -> None:
        """prec None = pass-through (shuffles keep the input's type)."""
        ins: list[tuple[str, str, Dims]] = []
        for k, t in enumerate(inputs):
            dt = self.dtype[t]
            if prec is not None and dt != prec and dt in ("Int8", "Float"):
                rname = f"Reformatting CopyNode for Input Tensor {k} to {name}"
                rout = f"Reformatted Input Tensor {k} to {name}"
                self.layers.append(
                    EngineLayer(
                        rname,
                        "Reformat",
                        "reformat",
                        "Reformat",
                        [(t, dt, self.dims[t])],
                        [(rout, prec, self.dims[t])],
                        self._tactic("reformat"),
                        encoder_layer=encoder_layer,
                    )
                )
                self.tensor(rout, prec, self.dims[t])
                t, dt = rout, prec
            ins.append((t, dt, self.dims[t]))
        out_dt = prec if prec is not None else ins[0][1]
        outs = []
        for t, d in outputs:
            self.tensor(t, out_dt, d)
            outs.append((t, out_dt, d))
        self.layers.append(
            EngineLayer(name, ltype, kind, runner, ins, outs, self._tactic(kind), metadata or [], encoder_layer)
        )

    def _tactic(self, kind: str) -> str:
        if kind in ("myelin", "shuffle"):
            return "0x0000000000000000"
        if kind == "reformat":
            return self.rng.choice(["0x0000000000000000", "0x00000000000003e8"])
        if kind == "pw":
            return f"0x{self.rng.randrange(32):016x}"
        return f"0x{self.rng.getrandbits(64):016x}"


def build_bert(sh: BertShape, rng: random.Random) -> BertModel:
    """Parse log + engine for a TorchScript-exported (opset 17, eager attention) BERT-large."""
    p = OnnxParseLog()
    eng = EngineBuilder(rng)
    H, N, FF = sh.hidden, sh.heads, sh.intermediate
    D = H // N
    hid: Dims = (-1, -1, H)
    ids = iter(range(1547, 10**6, 3))  # TorchScript value ids, increasing
    const_k = iter(range(57, 10**6, 2))  # unscoped `Constant_<k>` nodes

    def onnx_const(kind: str, dims: Dims, dtype: str = "INT64") -> str:
        return p.constant(f"Constant_{next(const_k)}", f"onnx::{kind}_{next(ids)}", dims, dtype)

    # ---- graph inputs, embeddings initializers ---------------------------------------------------
    for name in ("input_ids", "token_type_ids", "attention_mask"):
        p.graph_input(name, (-1, -1), "INT64")
        eng.tensor(name, "Int64", (-1, -1))
    w_word = p.initializer("embeddings.word_embeddings.weight", (sh.vocab, H))
    w_pos = p.initializer("embeddings.position_embeddings.weight", (sh.max_positions, H))
    w_type = p.initializer("embeddings.token_type_embeddings.weight", (sh.type_vocab, H))
    ln_w = p.initializer("embeddings.LayerNorm.weight", (H,))
    ln_b = p.initializer("embeddings.LayerNorm.bias", (H,))
    # encoder initializers are imported in state_dict order before any node is parsed
    enc_params: list[dict[str, str]] = []
    for i in range(sh.layers):
        w = f"encoder.layer.{i}"
        enc_params.append(
            {
                "q_b": p.initializer(f"{w}.attention.self.query.bias", (H,)),
                "k_b": p.initializer(f"{w}.attention.self.key.bias", (H,)),
                "v_b": p.initializer(f"{w}.attention.self.value.bias", (H,)),
                "ao_b": p.initializer(f"{w}.attention.output.dense.bias", (H,)),
                "ao_lw": p.initializer(f"{w}.attention.output.LayerNorm.weight", (H,)),
                "ao_lb": p.initializer(f"{w}.attention.output.LayerNorm.bias", (H,)),
                "it_b": p.initializer(f"{w}.intermediate.dense.bias", (FF,)),
                "o_b": p.initializer(f"{w}.output.dense.bias", (H,)),
                "o_lw": p.initializer(f"{w}.output.LayerNorm.weight", (H,)),
                "o_lb": p.initializer(f"{w}.output.LayerNorm.bias", (H,)),
            }
        )
    pool_w = p.initializer("pooler.dense.weight", (H, H))
    pool_b = p.initializer("pooler.dense.bias", (H,))
    for i in range(sh.layers):  # transposed Linear weights, folded by the exporter
        enc_params[i]["q_w"] = p.initializer(f"onnx::MatMul_{next(ids)}", (H, H))
        enc_params[i]["k_w"] = p.initializer(f"onnx::MatMul_{next(ids)}", (H, H))
        enc_params[i]["v_w"] = p.initializer(f"onnx::MatMul_{next(ids)}", (H, H))
        enc_params[i]["ao_w"] = p.initializer(f"onnx::MatMul_{next(ids)}", (H, H))
        enc_params[i]["it_w"] = p.initializer(f"onnx::MatMul_{next(ids)}", (H, FF))
        enc_params[i]["o_w"] = p.initializer(f"onnx::MatMul_{next(ids)}", (FF, H))

    # ---- embeddings ---------------------------------------------------------------------------------
    e = Scope("/embeddings")
    pos_ids = onnx_const("Slice", (1, sh.max_positions))
    we = p.with_weights(e("word_embeddings/Gather"), "Gather", [w_word, "input_ids"], hid)
    te = p.with_weights(e("token_type_embeddings/Gather"), "Gather", [w_type, "token_type_ids"], hid)
    add = p.simple(e("Add"), "Add", [we, te], hid)
    shp = p.simple(e("Shape"), "Shape", ["input_ids"], (2,), "INT64")
    c0 = p.constant(e("Constant"), "/embeddings/Constant_output_0", (), "INT64")
    seq = p.with_weights(e("Gather"), "Gather", [shp, c0], (), "INT64")
    c1 = p.constant(e("Constant"), "/embeddings/Constant_1_output_0", (1,), "INT64")
    axes = onnx_const("Unsqueeze", (1,))
    unsq = p.shuffle_op(e("Unsqueeze"), "Unsqueeze", [seq, axes], (1,), "INT64")
    c2 = p.constant(e("Constant"), "/embeddings/Constant_2_output_0", (1,), "INT64")
    c3 = p.constant(e("Constant"), "/embeddings/Constant_3_output_0", (1,), "INT64")
    sl = p.with_weights(e("Slice"), "Slice", [pos_ids, c1, unsq, c2, c3], (1, -1), "INT64")
    pe = p.with_weights(e("position_embeddings/Gather"), "Gather", [w_pos, sl], (1, -1, H))
    add1 = p.simple(e("Add"), "Add", [add, pe], hid)
    emb_ln, _, _ = p.layernorm(e("LayerNorm/LayerNormalization"), add1, ln_w, ln_b, hid)
    emb_nodes = ["/embeddings/word_embeddings/Gather", "/embeddings/LayerNorm/LayerNormalization"]
    eng.add(
        "{ForeignNode[/embeddings/word_embeddings/Gather.../embeddings/LayerNorm/LayerNormalization]}",
        "Myelin",
        "myelin",
        "Myelin",
        ["input_ids", "token_type_ids"],
        [(emb_ln, hid)],
        "Float",
        emb_nodes,
    )

    # ---- extended attention mask (root scope) ---------------------------------------------------
    r = Scope("")
    a0 = onnx_const("Unsqueeze", (1,))
    u0 = p.shuffle_op(r("Unsqueeze"), "Unsqueeze", ["attention_mask", a0], (-1, 1, -1), "INT64")
    a1 = onnx_const("Unsqueeze", (1,))
    u1 = p.shuffle_op(r("Unsqueeze"), "Unsqueeze", [u0, a1], (-1, 1, 1, -1), "INT64")
    cast = p.simple(r("Cast"), "Cast", [u1], (-1, 1, 1, -1), "FLOAT", extra_regs=["Casting to type: float32"])
    one = p.constant(r("Constant"), "/Constant_output_0", (), "FLOAT")
    sub, bc_sub = p.broadcast_binary(r("Sub"), "Sub", [one, cast], one, (-1, 1, 1, -1))
    fmin = p.constant(r("Constant"), "/Constant_1_output_0", (), "FLOAT")
    mask, bc_mul = p.broadcast_binary(r("Mul"), "Mul", [sub, fmin], fmin, (-1, 1, 1, -1))
    eng.add("/Unsqueeze + /Unsqueeze_1", "NoOp", "shuffle", "Shuffle", ["attention_mask"], [(u1, (-1, 1, 1, -1))], None)
    eng.add(
        f"PWN(PWN(/Cast, PWN(/Constant_output_0 + {bc_sub}, /Sub)), PWN(/Constant_1_output_0 + {bc_mul}, /Mul))",
        "PointWiseV2",
        "pw",
        "PointWiseV2",
        [u1],
        [(mask, (-1, 1, 1, -1))],
        "Float",
    )
    input_warnings = ["attention_mask", "token_type_ids", cast, sub, mask]

    # ---- encoder layers --------------------------------------------------------------------------
    n_fallback = max(1, sh.layers // 3)
    fallback = sorted(rng.sample(range(sh.layers), n_fallback))
    activation_warnings: list[str] = []
    h = emb_ln
    for i in range(sh.layers):
        prm = enc_params[i]
        last = i == sh.layers - 1
        q8 = "Float" if i in fallback else "Int8"
        pre = f"/encoder/layer.{i}"
        s = Scope(f"{pre}/attention/self")
        S = f"{pre}/attention/self"
        shp = p.simple(s("Shape"), "Shape", [h], (3,), "INT64")
        c = p.constant(s("Constant"), f"{S}/Constant_output_0", (), "INT64")
        batch = p.with_weights(s("Gather"), "Gather", [shp, c], (), "INT64")
        heads: list[str] = []
        adds: list[str] = []
        for part, wk, bk in (("query", "q_w", "q_b"), ("key", "k_w", "k_b"), ("value", "v_w", "v_b")):
            mm, _ = p.broadcast_binary(f"{S}/{part}/MatMul", "MatMul", [h, prm[wk]], prm[wk], hid)
            ad, _ = p.broadcast_binary(f"{S}/{part}/Add", "Add", [prm[bk], mm], prm[bk], hid)
            adds.append(ad)
            ax = onnx_const("Unsqueeze", (1,))
            un = p.shuffle_op(s("Unsqueeze"), "Unsqueeze", [batch, ax], (1,), "INT64")
            ca = p.constant(s("Constant"), "", (1,), "INT64")
            cb = p.constant(s("Constant"), "", (1,), "INT64")
            cc = p.constant(s("Constant"), "", (1,), "INT64")
            cat = p.with_weights(s("Concat"), "Concat", [un, ca, cb, cc], (4,), "INT64")
            rs = p.shuffle_op(s("Reshape"), "Reshape", [ad, cat], (-1, -1, N, D), "FLOAT")
            tdims: Dims = (-1, N, D, -1) if part == "key" else (-1, N, -1, D)
            heads.append(p.simple(s("Transpose"), "Transpose", [rs], tdims))
        qk = p.simple(s("MatMul"), "MatMul", heads[:2], (-1, N, -1, -1))
        scale = p.constant(s("Constant"), "", (), "FLOAT")
        div, bc_div = p.broadcast_binary(s("Div"), "Div", [qk, scale], scale, (-1, N, -1, -1))
        scores = p.simple(s("Add"), "Add", [div, mask], (-1, N, -1, -1))
        probs = p.softmax(s("Softmax"), scores, (-1, N, -1, -1))
        ctx = p.simple(s("MatMul"), "MatMul", [probs, heads[2]], (-1, N, -1, D))
        ctx_t = p.simple(s("Transpose"), "Transpose", [ctx], (-1, -1, N, D))
        ax = onnx_const("Unsqueeze", (1,))
        un = p.shuffle_op(s("Unsqueeze"), "Unsqueeze", [batch, ax], (1,), "INT64")
        ca = p.constant(s("Constant"), "", (1,), "INT64")
        cb = p.constant(s("Constant"), "", (1,), "INT64")
        cat = p.with_weights(s("Concat"), "Concat", [un, ca, cb], (3,), "INT64")
        ctx_r = p.shuffle_op(s("Reshape"), "Reshape", [ctx_t, cat], hid, "FLOAT")

        ao = f"{pre}/attention/output"
        mm, _ = p.broadcast_binary(f"{ao}/dense/MatMul", "MatMul", [ctx_r, prm["ao_w"]], prm["ao_w"], hid)
        dense, _ = p.broadcast_binary(f"{ao}/dense/Add", "Add", [prm["ao_b"], mm], prm["ao_b"], hid)
        res = p.simple(f"{ao}/Add", "Add", [dense, h], hid)
        ln1, _, _ = p.layernorm(f"{ao}/LayerNorm/LayerNormalization", res, prm["ao_lw"], prm["ao_lb"], hid)

        it = f"{pre}/intermediate"
        idims: Dims = (-1, -1, FF)
        mm, _ = p.broadcast_binary(f"{it}/dense/MatMul", "MatMul", [ln1, prm["it_w"]], prm["it_w"], idims)
        x, _ = p.broadcast_binary(f"{it}/dense/Add", "Add", [prm["it_b"], mm], prm["it_b"], idims)
        act = Scope(f"{it}/intermediate_act_fn")
        c_sqrt2 = p.constant(act("Constant"), f"{it}/intermediate_act_fn/Constant_output_0", (), "FLOAT")
        gdiv, _ = p.broadcast_binary(act("Div"), "Div", [x, c_sqrt2], c_sqrt2, idims)
        erf = p.simple(act("Erf"), "Erf", [gdiv], idims)
        c_one = p.constant(act("Constant"), f"{it}/intermediate_act_fn/Constant_1_output_0", (), "FLOAT")
        gadd, _ = p.broadcast_binary(act("Add"), "Add", [erf, c_one], c_one, idims)
        gmul = p.simple(act("Mul"), "Mul", [x, gadd], idims)
        c_half = p.constant(act("Constant"), f"{it}/intermediate_act_fn/Constant_2_output_0", (), "FLOAT")
        gelu, _ = p.broadcast_binary(act("Mul"), "Mul", [gmul, c_half], c_half, idims)

        o = f"{pre}/output"
        mm, _ = p.broadcast_binary(f"{o}/dense/MatMul", "MatMul", [gelu, prm["o_w"]], prm["o_w"], hid)
        dense2, _ = p.broadcast_binary(f"{o}/dense/Add", "Add", [prm["o_b"], mm], prm["o_b"], hid)
        res2 = p.simple(f"{o}/Add", "Add", [dense2, ln1], hid)
        ln2, _, _ = p.layernorm(
            f"{o}/LayerNorm/LayerNormalization",
            res2,
            prm["o_lw"],
            prm["o_lb"],
            hid,
            out="last_hidden_state" if last else None,
        )

        # engine layers of this encoder layer
        def g(
            name: str,
            ins: list[str],
            outs: list[tuple[str, Dims]],
            prec: str | None = q8,
            ltype: str = "CaskGemmConvolution",
            kind: str = "gemm",
            meta: list[str] | None = None,
            li: int = i,
        ) -> None:
            eng.add(name, ltype, kind, ltype if kind != "myelin" else "Myelin", ins, outs, prec, meta, li)

        for part, ad in zip(("query", "key", "value"), adds, strict=True):
            g(f"{S}/{part}/MatMul + {S}/{part}/Add", [h], [(ad, hid)])
        for j, (hd, part) in enumerate(zip(heads, ("", "_1", "_2"), strict=True)):
            g(
                f"{S}/Reshape{part} + {S}/Transpose{part}",
                [adds[j]],
                [(hd, p.values[hd][0])],
                None,
                "Shuffle",
                "shuffle",
            )
        g(f"{S}/MatMul", heads[:2], [(qk, (-1, N, -1, -1))], ltype="CaskGemmMatrixMultiply", kind="mm")
        g(
            f"PWN(PWN({scale} + {bc_div}, {S}/Div), {S}/Add)",
            [qk, mask],
            [(scores, (-1, N, -1, -1))],
            "Float",
            "PointWiseV2",
            "pw",
        )
        g(f"{S}/Softmax", [scores], [(probs, (-1, N, -1, -1))], "Float", "CaskSoftMaxV2", "softmax")
        g(f"{S}/MatMul_1", [probs, heads[2]], [(ctx, (-1, N, -1, D))], ltype="CaskGemmMatrixMultiply", kind="mm")
        g(f"{S}/Transpose_3 + {S}/Reshape_3", [ctx], [(ctx_r, hid)], None, "Shuffle", "shuffle")
        g(f"{ao}/dense/MatMul + {ao}/dense/Add + {ao}/Add", [ctx_r, h], [(res, hid)])
        g(
            f"{{ForeignNode[{ao}/LayerNorm/LayerNormalization]}}",
            [res],
            [(ln1, hid)],
            "Float",
            "Myelin",
            "myelin",
            [f"{ao}/LayerNorm/LayerNormalization"],
        )
        g(f"{it}/dense/MatMul + {it}/dense/Add", [ln1], [(x, idims)])
        a = f"{it}/intermediate_act_fn"
        g(
            f"PWN(PWN(PWN({a}/Div, {a}/Erf), {a}/Add), PWN({a}/Mul, {a}/Mul_1))",
            [x],
            [(gelu, idims)],
            ltype="PointWiseV2",
            kind="pw",
        )
        g(f"{o}/dense/MatMul + {o}/dense/Add + {o}/Add", [gelu, ln1], [(res2, hid)])
        g(
            f"{{ForeignNode[{o}/LayerNorm/LayerNormalization]}}",
            [res2],
            [(ln2, hid)],
            "Float",
            "Myelin",
            "myelin",
            [f"{o}/LayerNorm/LayerNormalization"],
        )
        if i in fallback:
            activation_warnings += [probs.replace("_output_0", "_output"), res, x, erf, res2]
        h = ln2

    # ---- pooler ------------------------------------------------------------------------------------
    pc = p.constant("/pooler/Constant", "/pooler/Constant_output_0", (), "INT64")
    first = p.with_weights("/pooler/Gather", "Gather", [h, pc], (-1, H))
    dense, _ = p.gemm("/pooler/dense/Gemm", first, pool_w, pool_b, (-1, H))
    pooled = p.simple("/pooler/activation/Tanh", "Tanh", [dense], (-1, H), out="pooler_output")
    eng.add(
        "{ForeignNode[/pooler/Gather.../pooler/activation/Tanh]}",
        "Myelin",
        "myelin",
        "Myelin",
        [h],
        [(pooled, (-1, H))],
        "Float",
        ["/pooler/Gather", "/pooler/dense/Gemm", "/pooler/activation/Tanh"],
    )
    p.mark_outputs(["last_hidden_state", "pooler_output"])

    return BertModel(
        parse_messages=p.messages(),
        node_registrations=p.node_registrations,
        onnx_nodes=p.nodes,
        layers_registered=p.layers_registered,
        weight_outputs=p.weight_outputs,
        broadcast_outputs=p.broadcast_outputs,
        activation_warnings=activation_warnings,
        input_warnings=input_warnings,
        engine=eng.layers,
        opt_messages=_optimizer_messages(p, eng.layers, rng),
        fallback_layers=fallback,
    )


def _optimizer_messages(p: OnnxParseLog, engine: list[EngineLayer], rng: random.Random) -> list[str]:
    """The 'Applying generic optimizations' block printed at the start of every strategy pass."""
    n = p.layers_registered
    msgs = ["Applying generic optimizations to the graph for inference.", f"After adding DebugOutput nodes: {n} layers"]
    for w, b in p.const_broadcast_pairs:
        msgs += [f"Running: ConstShuffleFusion on {w}", f"ConstShuffleFusion: Fusing {w} with {b}"]
    for s in p.shape_shuffles[::3]:
        msgs += [f"Running: ShuffleErasure on {s}", f"Removing {s}"]
    n2 = n - len(p.const_broadcast_pairs) - len(p.shape_shuffles[::3])
    msgs += [
        f"After Myelin optimization: {n2} layers",
        "Applying ScaleNodes fusions.",
        f"After scale fusion: {n2} layers",
    ]
    for layer in engine:
        if " + " in layer.name and layer.kind == "gemm":
            a, b = layer.name.split(" + ", 1)
            msgs += [f"Running: MatMulAddFusion on {a}", f"MatMulAddFusion: Fusing {a} with {b}"]
        elif layer.kind == "pw":
            msgs += [f"Running: PointWiseFusion on {layer.name}", f"PointWiseFusion: Fusing {layer.name}"]
    m = len(engine)
    for step in (
        "dupe layer removal",
        "final dead-layer removal",
        "tensor merging",
        "vertical fusions",
        "dupe layer removal",
        "final dead-layer removal",
        "tensor merging",
        "slice removal",
        "concat removal",
    ):
        msgs.append(f"After {step}: {m} layers")
    msgs += [
        "Trying to split Reshape and strided tensor",
        f"Graph optimization time: {rng.uniform(0.4, 1.9):.6g} seconds.",
        "Reserving memory for host IO tensors. Host: 0 bytes",
    ]
    return msgs


# --------------------------------------------------------------------------------------------
# Timing templates
# --------------------------------------------------------------------------------------------

V_PREFIX = TS_PLACEHOLDER + b" [V] [TRT] "
RUNNER_ID = {
    "CaskGemmConvolution": "0x8000002e",
    "CaskFlattenConvolution": "0x80000036",
    "CaskGemmMatrixMultiply": "0x8000001c",
    "PointWiseV2": "0x80000028",
    "Shuffle": "0x8000000d",
    "CaskSoftMaxV2": "0x80000032",
    "Myelin": "0x80000023",
    "Reformat": "0x80000006",
}
TILES = [
    "256x128x64",
    "128x256x64",
    "128x128x64",
    "256x64x64",
    "64x256x64",
    "128x64x64",
    "64x128x64",
    "64x64x64",
    "32x64x64",
    "64x32x64",
    "128x32x64",
    "32x128x64",
]
FTILES = ["128x128x8", "128x64x8", "64x128x8", "64x64x8", "32x32x8", "128x32x8", "256x128x8", "128x16x8"]
WARPS = ["2x2x1", "4x2x1", "2x4x1", "1x4x1", "4x1x1", "1x2x1", "2x1x1"]


def _v(msgs: list[str]) -> bytes:
    """Verbose TRT lines with the timestamp placeholder."""
    return b"".join(V_PREFIX + m.encode() + b"\n" for m in msgs)


def _t(rng: random.Random, lo: float, hi: float) -> str:
    return f"{rng.uniform(lo, hi):.6g}"


def _hex(rng: random.Random) -> str:
    return f"0x{rng.getrandbits(64):016x}"


def _fmt(dt: str, dims: Dims, sh: BertShape, vec: int = 0) -> str:
    """A TRT format string (strides at the opt shape), e.g. Int8(131072,1024,1) or Int8(131072,1:32,1024)."""
    opt = [sh.opt_batch if k == 0 else (sh.opt_seq if d == -1 else d) for k, d in enumerate(dims)]
    strides = []
    acc = 1
    for d in reversed(opt):
        strides.append(acc)
        acc *= max(d, 1)
    strides.reverse()
    parts = [str(s) for s in strides]
    if vec and len(parts) >= 2:
        parts[1] = f"1:{vec}"
    return f"{dt}({','.join(parts)})"


def _kernel(rng: random.Random, kind: str, dt: str) -> str:
    arch = rng.choice(["sm80", "sm80", "sm86", "sm75"])
    w = rng.choice(WARPS)
    st = rng.randrange(2, 7) if arch != "sm75" else 1
    if dt == "Int8":
        t = rng.choice(TILES)
        if kind == "gemm":
            return (
                f"{arch}_xmma_gemm_as_conv1x1_i8i8_i8i32_f32_nhwckrsc_nhwc_tilesize{t}_stage{st}"
                f"_warpsize{w}_g1_tensor16x8x32_t1r1s1"
            )
        layout = rng.choice(["tn", "nn"])
        return f"{arch}_xmma_gemm_i8i8_i8i32_f32_{layout}_n_tilesize{t}_stage{st}_warpsize{w}_tensor16x8x32"
    t = rng.choice(FTILES)
    tf32 = rng.random() < 0.5
    ab = "tf32f32_tf32f32_f32" if tf32 else "f32f32_f32f32_f32"
    tail = "tensor16x8x8" if tf32 else "ffma_aligna4_alignc4"
    if kind == "gemm":
        return f"{arch}_xmma_gemm_as_conv1x1_{ab}_nhwckrsc_nhwc_tilesize{t}_stage{st}_warpsize{w}_g1_{tail}"
    return f"{arch}_xmma_gemm_{ab}_{rng.choice(['nn', 'tn'])}_n_tilesize{t}_stage{st}_warpsize{w}_{tail}"


def _runner_block(
    rng: random.Random, layer: EngineLayer, runner: str, lines: list[str], times: list[tuple[str, float]]
) -> list[str]:
    """`Timing Runner` header, the tactic lines, and the `profiling completed` summary."""
    rid = RUNNER_ID[runner]
    best_tac, best_t = min(times, key=lambda x: x[1])
    return [
        f"--------------- Timing Runner: {layer.name} ({runner}[{rid}])",
        *lines,
        f"{layer.name} ({runner}[{rid}]) profiling completed in {_t(rng, 0.002, 1.5)} seconds. "
        f"Fastest Tactic: {best_tac} Time: {best_t:.6g}",
    ]


def _gemm_combo(rng: random.Random, layer: EngineLayer, fin: str, fout: str, dt: str, ntac: int) -> list[str]:
    runner = layer.runner
    msgs = [f"*************** Autotuning format combination: {fin} -> {fout} ***************"]
    if ntac == 0:
        msgs.append(f"Skipping {runner}: No valid tactics for {layer.name}")
        if runner == "CaskGemmConvolution":
            msgs.append(f"Skipping CaskFlattenConvolution: No valid tactics for {layer.name}")
        return msgs
    base = rng.uniform(0.01, 0.09) if dt == "Int8" else rng.uniform(0.05, 0.4)
    lines: list[str] = []
    times: list[tuple[str, float]] = []
    for _ in range(ntac):
        tac = _hex(rng)
        if rng.random() < 0.03:
            lines.append(
                f"Tactic: {tac} skipped. Scratch requested: {rng.randrange(1, 64) * 4194304}, available: 8589934592"
            )
            continue
        tm = base * rng.uniform(1.0, 3.5)
        times.append((tac, tm))
        lines.append(f"Tactic Name: {_kernel(rng, layer.kind, dt)} Tactic: {tac} Time: {tm:.6g}")
    if not times:
        times.append((_hex(rng), base))
    msgs += _runner_block(rng, layer, runner, lines, times)
    if runner == "CaskGemmConvolution":
        msgs += [
            f"--------------- Timing Runner: {layer.name} (CaskFlattenConvolution[0x80000036])",
            "CaskFlattenConvolution has no valid tactics for this config, skipping",
        ]
    best = min(times, key=lambda x: x[1])[0]
    msgs.append(f">>>>>>>>>>>>>>> Chose Runner Type: {runner} Tactic: {best}")
    return msgs


def _simple_combo(rng: random.Random, layer: EngineLayer, fin: str, fout: str, tactics: list[str]) -> list[str]:
    msgs = [f"*************** Autotuning format combination: {fin} -> {fout} ***************"]
    lines: list[str] = []
    times: list[tuple[str, float]] = []
    base = rng.uniform(0.003, 0.05)
    for tac in tactics:
        tm = base * rng.uniform(1.0, 2.5)
        times.append((tac, tm))
        lines.append(f"Tactic: {tac} Time: {tm:.6g}")
    msgs += _runner_block(rng, layer, layer.runner, lines, times)
    best = min(times, key=lambda x: x[1])[0]
    msgs.append(f">>>>>>>>>>>>>>> Chose Runner Type: {layer.runner} Tactic: {best}")
    return msgs


def _myelin_combo(rng: random.Random, layer: EngineLayer, fin: str, fout: str) -> list[str]:
    msgs = [
        f"*************** Autotuning format combination: {fin} -> {fout} ***************",
        f"--------------- Timing Runner: {layer.name} (Myelin[0x80000023])",
        " (foreignNode) Set user's cuda kernel library",
    ]
    for node in layer.metadata:
        if node.endswith(("Gemm", "MatMul")):
            msgs += [
                f" (foreignNode) Autotuning op {node}: [ONNX Layer: {node}]",
                " (foreignNode) Sorted table of all evaluated tactics:",
                " (foreignNode) tactic_id, cost(in ms), cost/fastest_cost, prediction_correlation, "
                "kernel_name, tactic_hash, tunable_parameter",
            ]
            best = rng.uniform(0.01, 0.05)
            rows = sorted(best * rng.uniform(1, 2.5) for _ in range(rng.randrange(20, 60)))
            for k, cost in enumerate(rows):
                msgs.append(
                    f" (foreignNode) {rng.randrange(64):4d}, {cost:.7f}, {cost / rows[0]:.5f}, "
                    f"{rng.uniform(0.5, 1):.5f}, {_kernel(rng, 'mm', 'Float')}, "
                    f"0x{rng.getrandbits(52):013x},"
                )
                if k > 70:
                    break
    tm = rng.uniform(0.01, 0.2)
    msgs += [
        f"Subgraph compilation completed in {_t(rng, 0.02, 2.5)} seconds.",
        f"Tactic: 0x0000000000000000 Time: {tm:.6g}",
        f"{layer.name} (Myelin[0x80000023]) profiling completed in {_t(rng, 0.05, 4)} seconds. "
        f"Fastest Tactic: 0x0000000000000000 Time: {tm:.6g}",
        ">>>>>>>>>>>>>>> Chose Runner Type: Myelin Tactic: 0x0000000000000000",
    ]
    return msgs


def _combos(rng: random.Random, layer: EngineLayer, sh: BertShape) -> list[bytes]:
    """Every format combination TRT would try for this layer, each pre-rendered as one block."""
    ind, outd = layer.inputs[0][2], layer.outputs[0][2]
    blocks: list[list[str]] = []
    if layer.kind in ("gemm", "mm"):
        combos: list[tuple[str, int, str, int]] = []
        if layer.outputs[0][1] == "Int8":
            combos += [
                ("Int8", 0, "Int8", 0),
                ("Int8", 4, "Int8", 4),
                ("Int8", 32, "Int8", 32),
                ("Int8", 32, "Float", 0),
                ("Int8", 0, "Float", 0),
                ("Int8", 4, "Float", 4),
            ]
        combos += [("Float", 0, "Float", 0), ("Float", 4, "Float", 4), ("Float", 0, "Float", 4)]
        for dti, vi, dto, vo in combos:
            fin = ", ".join(_fmt(dti, d, sh, vi) for _, _, d in layer.inputs)
            # (min, max) tactics per combination: INT8 GEMMs have by far the most kernels
            lo, hi = {
                ("Int8", "gemm"): (60, 260),
                ("Int8", "mm"): (40, 160),
                ("Float", "gemm"): (24, 130),
                ("Float", "mm"): (16, 80),
            }[(dti, layer.kind)]
            ntac = 0 if rng.random() < 0.2 else rng.randrange(lo, hi)
            blocks.append(_gemm_combo(rng, layer, fin, _fmt(dto, outd, sh, vo), dti, ntac))
    elif layer.kind == "myelin":
        blocks.append(_myelin_combo(rng, layer, _fmt("Float", ind, sh), _fmt("Float", outd, sh)))
        if rng.random() < 0.5:
            blocks.append(_myelin_combo(rng, layer, _fmt("Float", ind, sh, 4), _fmt("Float", outd, sh)))
    else:
        dts = ["Float"] if layer.outputs[0][1] == "Float" else ["Int8", "Float"]
        if layer.kind == "shuffle":
            dts = [layer.outputs[0][1]] if layer.outputs[0][1] in ("Int8", "Float") else ["Float"]
        for dt in dts:
            for vec in (0, 4, 32) if dt == "Int8" else (0, 4):
                fin = ", ".join(_fmt(dt if d_t != "Int64" else "Int64", d, sh, vec) for _, d_t, d in layer.inputs)
                fout = _fmt(dt, outd, sh, vec)
                if layer.kind == "pw":
                    tacs = [f"0x{k:016x}" for k in range(rng.randrange(8, 32))]
                elif layer.kind == "shuffle":
                    tacs = ["0x0000000000000000", "0x0000000000000001"]
                else:  # softmax
                    tacs = [f"0x{k:016x}" for k in (0x3E8, 0x3E9, 0x3EA, 0x3EB)[: rng.randrange(2, 5)]]
                blocks.append(_simple_combo(rng, layer, fin, fout, tacs))
    return [_v(b) for b in blocks]


def _reformat_blocks(rng: random.Random, tensor: str, dims: Dims, sh: BertShape) -> list[bytes]:
    """`Computing reformatting costs` entries for one tensor: timed (first pass) and cached forms."""
    pairs = [
        ("Int8", 0, "Float", 0),
        ("Float", 0, "Int8", 0),
        ("Int8", 32, "Float", 0),
        ("Float", 0, "Int8", 32),
        ("Int8", 4, "Int8", 32),
        ("Float", 0, "Float", 4),
    ]
    timed: list[str] = []
    cached: list[str] = []
    for a, va, b, vb in rng.sample(pairs, rng.randrange(2, len(pairs) + 1)):
        fa, fb = _fmt(a, dims, sh, va), _fmt(b, dims, sh, vb)
        times = [
            (t, rng.uniform(0.004, 0.09)) for t in ("0x00000000000003e8", "0x00000000000003ea", "0x0000000000000000")
        ]
        best = min(times, key=lambda x: x[1])
        timed += [
            f"*************** Autotuning Reformat: {fa} -> {fb} ***************",
            f"--------------- Timing Runner: Optimizer Reformat({tensor} -> <out>) (Reformat[0x80000006])",
            *(f"Tactic: {t} Time: {tm:.6g}" for t, tm in times),
            f"Optimizer Reformat({tensor} -> <out>) (Reformat[0x80000006]) profiling completed in "
            f"{_t(rng, 0.004, 0.05)} seconds. Fastest Tactic: {best[0]} Time: {best[1]:.6g}",
        ]
        cached.append(
            f"Optimizer Reformat({tensor} -> <out>) [{fa} -> {fb}] got cached result: Reformat, "
            f"tactic {best[0]}, {best[1]:.6g} ms"
        )
    head = [
        "=============== Computing reformatting costs for available format set",
        "=============== Computing reformatting costs:",
    ]
    return [_v(head + timed), _v(head + cached)]


@dataclass
class LayerPool:
    """Pre-rendered timing text of one engine layer; a pass writes `head` then a subset of `combos`."""

    head: bytes
    combos: list[bytes]
    reformats: list[bytes]  # [timed, cached] for this layer's output tensor, if it gets reformatted


def build_pools(model: BertModel, sh: BertShape, rng: random.Random) -> list[LayerPool]:
    reformatted = {lay.inputs[0][0] for lay in model.engine if lay.kind == "reformat"}
    pools: list[LayerPool] = []
    for layer in model.engine:
        if layer.kind == "reformat":
            continue
        head = [f"=============== Computing costs for {layer.name}"]
        if layer.kind == "myelin":
            meta = "".join(f"[ONNX Layer: {n}]" for n in layer.metadata)
            head.append(f"ForeignNode {layer.name} metadata: {meta}")
        out_t, _, out_d = layer.outputs[0]
        refs = _reformat_blocks(rng, out_t, out_d, sh) if out_t in reformatted else []
        pools.append(LayerPool(_v(head), _combos(rng, layer, sh), refs))
    return pools


# --------------------------------------------------------------------------------------------
# Writer
# --------------------------------------------------------------------------------------------


class LogWriter:
    """Buffered byte writer that tracks size, line count, the clock and the counters we report.

    Why: the summary must state exactly how many missing-scale lines were written, and the
    body loop needs the running size to stop at the requested size.
    """

    FLUSH_AT = 8 * MIB

    def __init__(self, fh: BinaryIO) -> None:
        self.fh = fh
        self.buf: list[bytes] = []
        self.buffered = 0
        self.bytes = 0
        self.lines = 0
        self.missing_scale = 0
        self.missing_scale_tensors: dict[str, int] = {}
        self.now = START_TIME
        self._ts = self._fmt_ts()

    def _fmt_ts(self) -> bytes:
        return self.now.strftime("[%m/%d/%Y-%H:%M:%S]").encode()

    def tick(self, seconds: float) -> None:
        if seconds > 0:
            self.now += timedelta(seconds=seconds)
            self._ts = self._fmt_ts()

    def _put(self, data: bytes, nlines: int) -> None:
        self.buf.append(data)
        self.buffered += len(data)
        self.bytes += len(data)
        self.lines += nlines
        if self.buffered >= self.FLUSH_AT:
            self.flush()

    def flush(self) -> None:
        if self.buf:
            self.fh.write(b"".join(self.buf))
            self.buf.clear()
            self.buffered = 0

    def block(self, tmpl: bytes) -> None:
        """A pre-rendered block; the placeholder has the real timestamp's width."""
        self._put(tmpl.replace(TS_PLACEHOLDER, self._ts), tmpl.count(b"\n"))

    def raw(self, text: str) -> None:
        self._put(text.encode() + b"\n", 1 + text.count("\n"))

    def msg(self, level: str, text: str, trt: bool = True) -> None:
        tag = b" [TRT] " if trt else b" "
        line = self._ts + b" [" + level.encode() + b"]" + tag + text.encode()
        self._put(line.rstrip(b" ") + b"\n", 1)

    def v(self, text: str) -> None:
        self.msg("V", text)

    def warn_missing_scale(self, tensor: str) -> None:
        self.msg("W", MISSING_SCALE.format(tensor))
        self.missing_scale += 1
        self.missing_scale_tensors[tensor] = self.missing_scale_tensors.get(tensor, 0) + 1


# --------------------------------------------------------------------------------------------
# Sections
# --------------------------------------------------------------------------------------------


def _shape_spec(sh: BertShape, b: int, s: int) -> str:
    return ",".join(f"{n}:{b}x{s}" for n in ("input_ids", "token_type_ids", "attention_mask"))


def trtexec_command(sh: BertShape) -> str:
    return (
        "trtexec --onnx=bert_large.onnx --int8 --calib=bert_large_int8.calib "
        f"--minShapes={_shape_spec(sh, 1, 16)} --optShapes={_shape_spec(sh, sh.opt_batch, sh.opt_seq)} "
        f"--maxShapes={_shape_spec(sh, 32, sh.max_positions)} --memPoolSize=workspace:8192MiB "
        "--builderOptimizationLevel=5 --timingCacheFile=bert_large.TimingCache "
        "--saveEngine=bert_large_int8.plan --skipInference --verbose"
    )


def write_header(w: LogWriter, sh: BertShape) -> None:
    cmd = trtexec_command(sh)
    w.raw(f"&&&& RUNNING TensorRT.trtexec {TRT_VERSION_TAG} # {cmd}")
    info = [
        "=== Model Options ===",
        "Format: ONNX",
        "Model: bert_large.onnx",
        "Output:",
        "=== Build Options ===",
        "Memory Pools: workspace: 8192 MiB, dlaSRAM: default, dlaLocalDRAM: default, dlaGlobalDRAM: default, "
        "tacticSharedMem: default",
        "avgTiming: 8",
        "Precision: FP32+INT8",
        "LayerPrecisions: ",
        "Layer Device Types: ",
        "Decomposable Attentions: ",
        "Calibration: bert_large_int8.calib",
        "Refit: Disabled",
        "Strip weights: Disabled",
        "Version Compatible: Disabled",
        "ONNX Plugin InstanceNorm: Disabled",
        "TensorRT runtime: full",
        "Lean DLL Path: ",
        "Tempfile Controls: { in_memory: allow, temporary: allow }",
        "Exclude Lean Runtime: Disabled",
        "Sparsity: Disabled",
        "Safe mode: Disabled",
        "Build DLA standalone loadable: Disabled",
        "Allow GPU fallback for DLA: Disabled",
        "DirectIO mode: Disabled",
        "Restricted mode: Disabled",
        "Skip inference: Enabled",
        "Save engine: bert_large_int8.plan",
        "Load engine: ",
        "Profiling verbosity: 0",
        "Tactic sources: Using default tactic sources",
        "timingCacheMode: global",
        "timingCacheFile: bert_large.TimingCache",
        "Enable Compilation Cache: Enabled",
        "errorOnTimingCacheMiss: Disabled",
        "Preview Features: Use default preview flags.",
        "MaxAuxStreams: -1",
        "BuilderOptimizationLevel: 5",
        "MaxTactics: -1",
        "Calibration Profile Index: 0",
        "Weight Streaming: Disabled",
        "Runtime Platform: Same As Build",
        "Debug Tensors: ",
        "Input(s)s format: fp32:CHW",
        "Output(s)s format: fp32:CHW",
        "Input build shape (profile 0): "
        + ",".join(
            f"{n}=1x16+{sh.opt_batch}x{sh.opt_seq}+32x{sh.max_positions}"
            for n in ("input_ids", "token_type_ids", "attention_mask")
        ),
        "Input calibration shapes: model",
        "=== System Options ===",
        "Device: 0",
        "DLACore: ",
        "Loaded static plugins:",
        "setPluginsToSerialize:",
        "dynamicPlugins:",
        "ignoreParsedPluginLibs: 0",
        "",
        "=== Inference Options ===",
        "Batch: Explicit",
        f"Input inference shape : input_ids={sh.opt_batch}x{sh.opt_seq}",
        "Iterations: 10",
        "Duration: 3s (+ 200ms warm up)",
        "Sleep time: 0ms",
        "Idle time: 0ms",
        "Inference Streams: 1",
        "ExposeDMA: Disabled",
        "Data transfers: Enabled",
        "Spin-wait: Disabled",
        "Multithreading: Disabled",
        "CUDA Graph: Disabled",
        "Separate profiling: Disabled",
        "Time Deserialize: Disabled",
        "Time Refit: Disabled",
        "NVTX verbosity: 0",
        "Persistent Cache Ratio: 0",
        "Optimization Profile Index: 0",
        "Weight Streaming Budget: 100.000000%",
        "Inputs:",
        "=== Reporting Options ===",
        "Verbose: Enabled",
        "Averages: 10 inferences",
        "Percentiles: 90,95,99",
        "Dump refittable layers:Disabled",
        "Dump output: Disabled",
        "Profile: Disabled",
        "Export timing to JSON file: ",
        "Export output to JSON file: ",
        "Export profile to JSON file: ",
        "",
        "=== Device Information ===",
        "Available Devices: ",
        '  Device 0: "NVIDIA A100-SXM4-80GB" UUID: GPU-5d3f0c2e-8a41-6b7d-91e2-0f4c7a9b1e63',
        "Selected Device: NVIDIA A100-SXM4-80GB",
        "Selected Device ID: 0",
        "Selected Device UUID: GPU-5d3f0c2e-8a41-6b7d-91e2-0f4c7a9b1e63",
        "Compute Capability: 8.0",
        "SMs: 108",
        "Device Global Memory: 81037 MiB",
        "Shared Memory per SM: 164 KiB",
        "Memory Bus Width: 5120 bits (ECC enabled)",
        "Application Compute Clock Rate: 1.41 GHz",
        "Application Memory Clock Rate: 1.593 GHz",
        "",
        "Note: The application clock rates do not reflect the actual clock rates that the GPU is currently running at.",
        "",
        f"TensorRT version: {TRT_SO_VERSION}",
        "Loading standard plugins",
    ]
    for m in info:
        w.msg("I", m.rstrip(), trt=False)
    for plug in (
        "BatchedNMSDynamic_TRT",
        "BatchedNMS_TRT",
        "BatchTilePlugin_TRT",
        "Clip_TRT",
        "CoordConvAC",
        "CropAndResizeDynamic",
        "CropAndResize",
        "DecodeBbox3DPlugin",
        "DetectionLayer_TRT",
        "EfficientNMS_Explicit_TF_TRT",
        "EfficientNMS_Implicit_TF_TRT",
        "EfficientNMS_ONNX_TRT",
        "EfficientNMS_TRT",
        "FlattenConcat_TRT",
        "GenerateDetection_TRT",
        "GridAnchor_TRT",
        "GridAnchorRect_TRT",
        "GroupNorm",
        "InstanceNormalization_TRT",
        "LReLU_TRT",
        "ModulatedDeformConv2d",
        "MultilevelCropAndResize_TRT",
        "MultilevelProposeROI_TRT",
        "MultiscaleDeformableAttnPlugin_TRT",
        "NMSDynamic_TRT",
        "NMS_TRT",
        "Normalize_TRT",
        "PillarScatterPlugin",
        "PriorBox_TRT",
        "ProposalDynamic",
        "ProposalLayer_TRT",
        "Proposal",
        "PyramidROIAlign_TRT",
        "Region_TRT",
        "Reorg_TRT",
        "ResizeNearest_TRT",
        "ROIAlign_TRT",
        "RPROI_TRT",
        "ScatterElements",
        "ScatterND",
        "SpecialSlice_TRT",
        "Split",
        "VoxelGeneratorPlugin",
    ):
        w.v(f"Registered plugin creator - ::{plug} version 1")
    w.msg("I", "[MemUsageChange] Init CUDA: CPU +2, GPU +0, now: CPU 31, GPU 1157 (MiB)")
    w.v(f"Trying to load shared library libnvinfer_builder_resource_sm80.so.{TRT_SO_VERSION}")
    w.v(f"Loaded shared library libnvinfer_builder_resource_sm80.so.{TRT_SO_VERSION}")
    w.v("CUDA lazy loading is enabled.")


def write_parse(w: LogWriter, model: BertModel, sh: BertShape) -> None:
    w.msg("I", "Start parsing network model.", trt=False)
    for m in (
        "----------------------------------------------------------------",
        "Input filename:   bert_large.onnx",
        "ONNX IR version:  0.0.8",
        "Opset version:    17",
        "Producer name:    pytorch",
        "Producer version: 2.4.1",
        "Domain:",
        "Model version:    0",
        "Doc string:",
        "----------------------------------------------------------------",
    ):
        w.msg("I", m)
    for k, m in enumerate(model.parse_messages):
        if k % 400 == 399:
            w.tick(1)
        w.v(m)
    w.msg("I", "Finished parsing network model. Parse time: 1.84562", trt=False)
    for n in ("input_ids", "token_type_ids", "attention_mask"):
        w.msg(
            "I",
            f"Set shape of input tensor {n} for optimization profile 0 to: MIN=1x16 "
            f"OPT={sh.opt_batch}x{sh.opt_seq} MAX=32x{sh.max_positions}",
            trt=False,
        )
    w.msg(
        "I",
        "FP32 and INT8 precisions have been specified - more performance might be enabled by "
        "additionally specifying --fp16 or --best",
        trt=False,
    )
    w.v("Trying to set exclusive file lock bert_large.TimingCache.lock")
    w.raw("")
    w.msg("W", "Could not read cache from: bert_large.TimingCache. A new cache will be generated and written.")
    w.msg("I", "[MemUsageChange] Init builder kernel library: CPU +1622, GPU +286, now: CPU 3114, GPU 1445 (MiB)")


def write_calibration(w: LogWriter, model: BertModel, rng: random.Random) -> None:
    n = len(model.engine)
    w.msg("I", "Perform graph optimization on calibration graph.")
    w.msg("I", "Local timing cache in use. Profiling results in this builder pass will not be stored.")
    w.v(f"Original: {model.layers_registered} layers")
    w.v(f"After dead-layer removal: {model.layers_registered} layers")
    w.v(f"Graph construction completed in {_t(rng, 0.05, 0.3)} seconds.")
    w.msg("I", "Compiler backend is used during engine build.")
    w.tick(41)
    w.msg("I", f"Detected 3 inputs and {n} output network tensors.")
    w.msg("I", "Total Host Persistent Memory: 412160 bytes")
    w.msg("I", "Total Device Persistent Memory: 0 bytes")
    w.msg("I", "Max Scratch Memory: 100663296 bytes")
    w.msg("I", f"Engine generation completed in {_t(rng, 30, 60)} seconds.")
    w.msg("I", "Starting Calibration.")
    for b in range(64):
        w.tick(1 if rng.random() < 0.5 else 0)
        w.msg("I", f"  Calibrated batch {b} in {_t(rng, 0.18, 0.45)} seconds.")
    w.tick(9)
    w.msg("I", f"  Post Processing Calibration data in {_t(rng, 6, 14)} seconds.")
    w.msg("I", f"Calibration completed in {_t(rng, 70, 95)} seconds.")
    w.msg("I", f"Writing Calibration Cache for calibrator: {CALIB_ALGO_HEADER}")


def warning_set(model: BertModel, rng: random.Random) -> list[str]:
    """The tensors the builder warns about, in a realistic non-network order (#4058)."""
    weights = list(model.weight_outputs)
    bcasts = list(model.broadcast_outputs)
    # not every constant is warned about in every build: keep most, drop a few
    weights = [t for t in weights if not t.startswith("onnx::MatMul_") or rng.random() < 0.5]
    chosen = [*weights, *bcasts, *model.activation_warnings, *model.input_warnings]
    # chunks keep neighbours together, chunk order is scrambled
    chunks: list[list[str]] = []
    k = 0
    while k < len(chosen):
        n = rng.randrange(3, 12)
        chunks.append(chosen[k : k + n])
        k += n
    rng.shuffle(chunks)
    seen: set[str] = set()
    out: list[str] = []
    for c in chunks:
        for t in c:
            if t not in seen:
                seen.add(t)
                out.append(t)
    return out


def strategy_tail(
    model: BertModel, sh: BertShape, rng: random.Random, strategy: int, first: bool
) -> list[tuple[str, str]]:
    """The end of a strategy pass: reformat layers, memory report, finalize, strategy verdict."""
    out: list[tuple[str, str]] = [("V", "=============== Computing reformatting costs for available format set")]
    for lay in model.engine:
        if lay.kind == "reformat":
            t, dt, d = lay.inputs[0]
            out.append(
                (
                    "V",
                    f"Adding reformat layer: {lay.outputs[0][0]} ({t}) from "
                    f"{_fmt(dt, d, sh)} to {_fmt(lay.outputs[0][1], d, sh)}",
                )
            )
    n = len(model.engine)
    out += [
        ("V", f"Formats and tactics selection completed in {_t(rng, 600, 1800)} seconds."),
        ("V", f"After reformat layers: {n} layers"),
        ("V", f"Total number of blocks in pre-optimized block assignment: {n - 7}"),
        ("I", "Detected 3 inputs and 2 output network tensors."),
    ]
    skipped = 0
    total_host = 0
    for lay in model.engine:
        if lay.kind in ("shuffle", "reformat"):
            skipped += 1
            continue
        host = rng.choice([80, 496, 2144, 3456, 4160, 5664, 7136])
        total_host += host
        scratch = rng.choice([0, 0, 512, 1048576, 4194304, 16777216])
        out.append(
            (
                "V",
                f"Layer: {lay.name} Host Persistent: {host} bytes Device Persistent: 0 bytes "
                f"Scratch Memory: {scratch} bytes",
            )
        )
    out += [
        (
            "V",
            f"Skipped printing memory information for {skipped} layers with 0 memory size i.e. "
            "Host Persistent + Device Persistent + Scratch Memory == 0.",
        ),
        ("I", f"Total Host Persistent Memory: {total_host} bytes"),
        ("I", "Total Device Persistent Memory: 0 bytes"),
        ("I", "Max Scratch Memory: 16777216 bytes"),
        ("I", f"[BlockAssignment] Started assigning block shifts. This will take {n} steps to complete."),
        (
            "I",
            f"[BlockAssignment] Algorithm ShiftNTopDown took {_t(rng, 1, 9)}ms to assign 9 blocks to "
            f"{n} nodes requiring 1207959552 bytes.",
        ),
        ("V", "Total number of blocks in optimized block assignment: 9"),
        ("I", "Total Activation Memory: 1207959552 bytes"),
        ("I", "Total Weights Memory: 335827968 bytes"),
    ]
    k = 0
    for lay in model.engine:
        if lay.kind in ("gemm", "mm", "pw", "softmax"):
            out.append(("V", f"Finalize: {lay.name} Set kernel index: {k}"))
            k += 1
    out.append(("V", f"Total number of generated kernels selected for the engine: {k}"))
    for j in range(k):
        out.append(("V", f"Kernel: {j} CASK_STATIC"))
    est = rng.uniform(2.4, 3.1)
    out += [
        ("I", "Compiler backend is used during engine execution."),
        ("V", "Disabling unused tactic source: JIT_CONVOLUTIONS"),
        ("I", f"Engine generation completed in {_t(rng, 900, 2400)} seconds."),
        ("V", "Total per-runner device persistent memory is 0"),
        ("V", f"Total per-runner host persistent memory is {total_host}"),
        ("V", "Allocated device scratch memory of size 1207959552"),
        ("V", "- Runner scratch: 1207959552 bytes"),
        (
            "I",
            "[MemUsageChange] TensorRT-managed allocation in IExecutionContext creation: CPU +0, "
            "GPU +1152, now: CPU 0, GPU 1472 (MiB)",
        ),
        ("V", "CUDA lazy loading is enabled."),
    ]
    if first:
        out.append(
            ("V", f"Use backend strategy {strategy} with estimated inference time ({est:.6g}) as the initial choice.")
        )
    else:
        out.append(
            (
                "V",
                f"Skip backend strategy {strategy}since its estimated inference time ({est:.6g}) is "
                "not faster than the previous engine with estimated inference time (2.38912).",
            )
        )
    return out


def _lines_block(pairs: list[tuple[str, str]]) -> bytes:
    return b"".join(TS_PLACEHOLDER + f" [{lvl}] [TRT] {m}\n".encode() for lvl, m in pairs)


def engine_info_lines(model: BertModel) -> list[str]:
    lines = []
    for lay in model.engine:
        ins = ", ".join(f"{t} ({dt}{engine_dims(d)})" for t, dt, d in lay.inputs)
        outs = ", ".join(f"{t} ({dt}{engine_dims(d)})" for t, dt, d in lay.outputs)
        lines.append(f"Layer({lay.ltype}): {lay.name}, Tactic: {lay.tactic}, {ins} -> {outs}")
    return lines


def write_footer(w: LogWriter, model: BertModel, sh: BertShape, final_warnings: list[str]) -> None:
    for t in final_warnings[: len(final_warnings) // 2]:
        w.warn_missing_scale(t)
    w.msg("I", "[MS] Multi stream is disabled as cannot find an opportunity to leverage it")
    for t in final_warnings[len(final_warnings) // 2 :]:
        w.warn_missing_scale(t)
    w.v("Engine Layer Information:")
    for line in engine_info_lines(model):
        w.raw(line)
    w.msg("I", "[MemUsageStats] Peak memory usage of TRT CPU/GPU memory allocators: CPU 1290 MiB, GPU 6350 MiB")
    w.v("Adding 1 engine(s) to plan file.")
    w.v("Adding 1 engine weights(s) to plan file.")
    w.msg("I", "Created engine with size: 324.812 MiB", trt=False)
    w.msg("I", "Engine built in 14326.9 sec.", trt=False)
    w.v("Trying to set exclusive file lock bert_large.TimingCache.lock")
    w.raw("")
    w.v("Serializing timing cache. UUID = GPU-5d3f0c2e-8a41-6b7d-91e2-0f4c7a9b1e63, commit ID = 9c1f4e27a08b3d55")
    w.msg("I", "Serialized 58231 bytes of code generator cache.")
    w.msg("I", "Serialized 1876123 bytes of compilation cache.")
    w.msg("I", "Serialized 3641 timing cache entries")
    w.v("Trying to set exclusive file lock bert_large.TimingCache.lock")
    w.raw("")
    w.msg("I", "Saved 2281642 bytes of timing cache to bert_large.TimingCache")
    w.msg("I", "Loaded engine size: 324 MiB")
    w.v("Deserialization required 201113 microseconds.")
    w.msg("I", "Engine deserialized in 0.354113 sec.", trt=False)
    w.msg("I", "Skipped inference phase since --skipInference is added.", trt=False)
    w.raw(f"&&&& PASSED TensorRT.trtexec {TRT_VERSION_TAG} # {trtexec_command(sh)}")


# --------------------------------------------------------------------------------------------
# Driver
# --------------------------------------------------------------------------------------------


def _strategies() -> Iterator[int]:
    """Backend strategies in the order real 10.14 logs show (4, 3, 2), then repeating for size."""
    while True:
        yield from (4, 3, 2)


def generate(out: Path, size_mb: float, seed: int = 0, sh: BertShape | None = None) -> dict[str, object]:
    """Write the log to `out` and return the summary (also written to `<out>.summary.json`)."""
    t0 = time.perf_counter()
    sh = sh or BertShape()
    rng = random.Random(seed)
    model = build_bert(sh, rng)
    warnings = warning_set(model, rng)
    pools = build_pools(model, sh, rng)
    opt_block = _v(model.opt_messages)
    use_tail = _lines_block(strategy_tail(model, sh, rng, 4, first=True))
    skip_tails = {s: _lines_block(strategy_tail(model, sh, rng, s, first=False)) for s in (4, 3, 2)}
    max_tail = max(len(use_tail), *map(len, skip_tails.values()))
    final_warnings = rng.sample(warnings, min(24, len(warnings)))
    # The footer has a fixed size (timestamps keep their width), so measure it on a scratch
    # writer; then the body can stop exactly when body + tail + footer reaches the target.
    scratch = LogWriter(io.BytesIO())
    write_footer(scratch, model, sh, final_warnings)
    footer_len = scratch.bytes
    target = int(size_mb * MIB)
    pool_bytes = sum(len(p.head) + sum(map(len, p.combos)) + sum(map(len, p.reformats)) for p in pools)

    with out.open("wb", buffering=0) as fh:
        w = LogWriter(fh)
        write_header(w, sh)
        write_parse(w, model, sh)
        write_calibration(w, model, rng)
        w.tick(2)
        for t in warnings:
            w.warn_missing_scale(t)
        w.v(f"Original: {model.layers_registered} layers")
        w.v(f"After dead-layer removal: {model.layers_registered} layers")
        w.v(f"Graph construction completed in {_t(rng, 0.2, 0.9)} seconds.")
        passes = 0
        stop_at = target - footer_len - max_tail
        done = w.bytes >= stop_at
        for strategy in _strategies():
            if done:
                break
            w.v(f"Building graph using backend strategy {strategy}")
            w.msg("I", "Global timing cache in use. Profiling results in this builder pass will be stored.")
            w.v("Constructing optimization profile number 0 [1/1].")
            w.block(opt_block)
            for pool in pools:
                w.tick(rng.random() * 0.8)
                w.block(pool.head)
                for combo in pool.combos:
                    if rng.random() < 0.75:
                        w.block(combo)
                if pool.reformats:
                    w.block(pool.reformats[0 if passes == 0 or rng.random() < 0.3 else 1])
                if rng.random() < 0.008:
                    for t in rng.sample(warnings, rng.randrange(1, 4)):
                        w.warn_missing_scale(t)
                if w.bytes >= stop_at:
                    done = True
                    break
            if done and passes > 0:
                # the last pass is cut short; a few warnings land at its end, as in real builds
                for t in rng.sample(warnings, 3):
                    w.warn_missing_scale(t)
            w.block(use_tail if passes == 0 else skip_tails[strategy])
            passes += 1
        write_footer(w, model, sh, final_warnings)
        w.flush()
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
        "timing_pool_mb": round(pool_bytes / MIB, 1),
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
