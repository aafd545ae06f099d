"""BERT-large as TorchScript exports it (opset 17): its ONNX-parser messages and engine layers."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from biglog.model import BertModel, BertShape, Dims, EngineBuilder, EngineLayer, OnnxParseLog, Scope


@dataclass
class _Build:
    """What every part of the graph shares: the parse log, the engine, the shape and the id counters."""

    p: OnnxParseLog
    eng: EngineBuilder
    sh: BertShape
    ids: Iterator[int] = field(default_factory=lambda: iter(range(1547, 10**6, 3)))  # TorchScript value ids
    const_k: Iterator[int] = field(default_factory=lambda: iter(range(57, 10**6, 2)))  # unscoped `Constant_<k>`

    @property
    def hid(self) -> Dims:
        return (-1, -1, self.sh.hidden)

    def onnx_const(self, kind: str, dims: Dims, dtype: str = "INT64") -> str:
        return self.p.constant(f"Constant_{next(self.const_k)}", f"onnx::{kind}_{next(self.ids)}", dims, dtype)


def _embedding_initializers(b: _Build) -> list[str]:
    """Graph inputs and the embedding initializers: [word, position, token type, LayerNorm w, b]."""
    p, sh, H = b.p, b.sh, b.sh.hidden
    for name in ("input_ids", "token_type_ids", "attention_mask"):
        p.graph_input(name, (-1, -1), "INT64")
        b.eng.tensor(name, "Int64", (-1, -1))
    return [
        p.initializer("embeddings.word_embeddings.weight", (sh.vocab, H)),
        p.initializer("embeddings.position_embeddings.weight", (sh.max_positions, H)),
        p.initializer("embeddings.token_type_embeddings.weight", (sh.type_vocab, H)),
        p.initializer("embeddings.LayerNorm.weight", (H,)),
        p.initializer("embeddings.LayerNorm.bias", (H,)),
    ]


def _encoder_initializers(b: _Build) -> tuple[list[dict[str, str]], str, str]:
    """Encoder parameters per layer (imported in state_dict order before any node), and the pooler's."""
    p, H, FF = b.p, b.sh.hidden, b.sh.intermediate
    enc_params: list[dict[str, str]] = []
    for i in range(b.sh.layers):
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
    for i in range(b.sh.layers):  # transposed Linear weights, folded by the exporter
        for key, dims in (("q_w", (H, H)), ("k_w", (H, H)), ("v_w", (H, H)), ("ao_w", (H, H)), ("it_w", (H, FF)),
                          ("o_w", (FF, H))):
            enc_params[i][key] = p.initializer(f"onnx::MatMul_{next(b.ids)}", dims)
    return enc_params, pool_w, pool_b


def _embeddings(b: _Build, weights: list[str]) -> str:
    w_word, w_pos, w_type, ln_w, ln_b = weights
    p, sh, hid = b.p, b.sh, b.hid
    e = Scope("/embeddings")
    pos_ids = b.onnx_const("Slice", (1, sh.max_positions))
    we = p.with_weights(e("word_embeddings/Gather"), "Gather", [w_word, "input_ids"], hid)
    te = p.with_weights(e("token_type_embeddings/Gather"), "Gather", [w_type, "token_type_ids"], hid)
    add = p.simple(e("Add"), "Add", [we, te], hid)
    shp = p.simple(e("Shape"), "Shape", ["input_ids"], (2,), "INT64")
    c0 = p.constant(e("Constant"), "/embeddings/Constant_output_0", (), "INT64")
    seq = p.with_weights(e("Gather"), "Gather", [shp, c0], (), "INT64")
    c1 = p.constant(e("Constant"), "/embeddings/Constant_1_output_0", (1,), "INT64")
    axes = b.onnx_const("Unsqueeze", (1,))
    unsq = p.shuffle_op(e("Unsqueeze"), "Unsqueeze", [seq, axes], (1,), "INT64")
    c2 = p.constant(e("Constant"), "/embeddings/Constant_2_output_0", (1,), "INT64")
    c3 = p.constant(e("Constant"), "/embeddings/Constant_3_output_0", (1,), "INT64")
    sl = p.with_weights(e("Slice"), "Slice", [pos_ids, c1, unsq, c2, c3], (1, -1), "INT64")
    pe = p.with_weights(e("position_embeddings/Gather"), "Gather", [w_pos, sl], (1, -1, sh.hidden))
    add1 = p.simple(e("Add"), "Add", [add, pe], hid)
    emb_ln, _, _ = p.layernorm(e("LayerNorm/LayerNormalization"), add1, ln_w, ln_b, hid)
    emb_nodes = ["/embeddings/word_embeddings/Gather", "/embeddings/LayerNorm/LayerNormalization"]
    b.eng.add(
        "{ForeignNode[/embeddings/word_embeddings/Gather.../embeddings/LayerNorm/LayerNormalization]}",
        "Myelin",
        "myelin",
        "Myelin",
        ["input_ids", "token_type_ids"],
        [(emb_ln, hid)],
        "Float",
        emb_nodes,
    )
    return emb_ln


def _attention_mask(b: _Build) -> tuple[str, list[str]]:
    """The extended attention mask (root scope); also the warnings its tensors get."""
    p = b.p
    r = Scope("")
    a0 = b.onnx_const("Unsqueeze", (1,))
    u0 = p.shuffle_op(r("Unsqueeze"), "Unsqueeze", ["attention_mask", a0], (-1, 1, -1), "INT64")
    a1 = b.onnx_const("Unsqueeze", (1,))
    u1 = p.shuffle_op(r("Unsqueeze"), "Unsqueeze", [u0, a1], (-1, 1, 1, -1), "INT64")
    cast = p.simple(r("Cast"), "Cast", [u1], (-1, 1, 1, -1), "FLOAT", extra_regs=["Casting to type: float32"])
    one = p.constant(r("Constant"), "/Constant_output_0", (), "FLOAT")
    sub, bc_sub = p.broadcast_binary(r("Sub"), "Sub", [one, cast], one, (-1, 1, 1, -1))
    fmin = p.constant(r("Constant"), "/Constant_1_output_0", (), "FLOAT")
    mask, bc_mul = p.broadcast_binary(r("Mul"), "Mul", [sub, fmin], fmin, (-1, 1, 1, -1))
    b.eng.add("/Unsqueeze + /Unsqueeze_1", "NoOp", "shuffle", "Shuffle", ["attention_mask"], [(u1, (-1, 1, 1, -1))],
              None)
    b.eng.add(
        f"PWN(PWN(/Cast, PWN(/Constant_output_0 + {bc_sub}, /Sub)), PWN(/Constant_1_output_0 + {bc_mul}, /Mul))",
        "PointWiseV2",
        "pw",
        "PointWiseV2",
        [u1],
        [(mask, (-1, 1, 1, -1))],
        "Float",
    )
    return mask, ["attention_mask", "token_type_ids", cast, sub, mask]


@dataclass
class _Attention:
    """The tensors of one self-attention block the engine layers refer to."""

    S: str
    adds: list[str]
    heads: list[str]
    qk: str
    scale: str
    bc_div: str
    scores: str
    probs: str
    ctx: str
    ctx_r: str


def _batch_concat(b: _Build, s: Scope, batch: str, n_const: int) -> str:
    p = b.p
    ax = b.onnx_const("Unsqueeze", (1,))
    un = p.shuffle_op(s("Unsqueeze"), "Unsqueeze", [batch, ax], (1,), "INT64")
    consts = [p.constant(s("Constant"), "", (1,), "INT64") for _ in range(n_const)]
    return p.with_weights(s("Concat"), "Concat", [un, *consts], (n_const + 1,), "INT64")


def _self_attention(b: _Build, pre: str, prm: dict[str, str], h: str, mask: str) -> _Attention:
    p, hid, N = b.p, b.hid, b.sh.heads
    D = b.sh.hidden // N
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
        cat = _batch_concat(b, s, batch, 3)
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
    cat = _batch_concat(b, s, batch, 2)
    ctx_r = p.shuffle_op(s("Reshape"), "Reshape", [ctx_t, cat], hid, "FLOAT")
    return _Attention(S, adds, heads, qk, scale, bc_div, scores, probs, ctx, ctx_r)


@dataclass
class _Ffn:
    """The tensors after self-attention: attention output, intermediate (GELU) and output blocks."""

    res: str
    ln1: str
    x: str
    erf: str
    gelu: str
    res2: str
    ln2: str


def _gelu(b: _Build, it: str, x: str) -> tuple[str, str]:
    """The exporter's erf-based GELU; returns (erf output, GELU output)."""
    p, idims = b.p, (-1, -1, b.sh.intermediate)
    act = Scope(f"{it}/intermediate_act_fn")
    c_sqrt2 = p.constant(act("Constant"), f"{it}/intermediate_act_fn/Constant_output_0", (), "FLOAT")
    gdiv, _ = p.broadcast_binary(act("Div"), "Div", [x, c_sqrt2], c_sqrt2, idims)
    erf = p.simple(act("Erf"), "Erf", [gdiv], idims)
    c_one = p.constant(act("Constant"), f"{it}/intermediate_act_fn/Constant_1_output_0", (), "FLOAT")
    gadd, _ = p.broadcast_binary(act("Add"), "Add", [erf, c_one], c_one, idims)
    gmul = p.simple(act("Mul"), "Mul", [x, gadd], idims)
    c_half = p.constant(act("Constant"), f"{it}/intermediate_act_fn/Constant_2_output_0", (), "FLOAT")
    gelu, _ = p.broadcast_binary(act("Mul"), "Mul", [gmul, c_half], c_half, idims)
    return erf, gelu


def _feed_forward(b: _Build, pre: str, prm: dict[str, str], h: str, ctx_r: str, last: bool) -> _Ffn:
    p, hid = b.p, b.hid
    ao = f"{pre}/attention/output"
    mm, _ = p.broadcast_binary(f"{ao}/dense/MatMul", "MatMul", [ctx_r, prm["ao_w"]], prm["ao_w"], hid)
    dense, _ = p.broadcast_binary(f"{ao}/dense/Add", "Add", [prm["ao_b"], mm], prm["ao_b"], hid)
    res = p.simple(f"{ao}/Add", "Add", [dense, h], hid)
    ln1, _, _ = p.layernorm(f"{ao}/LayerNorm/LayerNormalization", res, prm["ao_lw"], prm["ao_lb"], hid)
    it = f"{pre}/intermediate"
    idims: Dims = (-1, -1, b.sh.intermediate)
    mm, _ = p.broadcast_binary(f"{it}/dense/MatMul", "MatMul", [ln1, prm["it_w"]], prm["it_w"], idims)
    x, _ = p.broadcast_binary(f"{it}/dense/Add", "Add", [prm["it_b"], mm], prm["it_b"], idims)
    erf, gelu = _gelu(b, it, x)
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
    return _Ffn(res, ln1, x, erf, gelu, res2, ln2)


def _layer_adder(b: _Build, i: int, q8: str) -> Callable[..., None]:
    """``g(name, ins, outs, prec, ltype, kind, meta)``: adds one engine layer of encoder layer ``i``."""

    def g(
        name: str,
        ins: list[str],
        outs: list[tuple[str, Dims]],
        prec: str | None = q8,
        ltype: str = "CaskGemmConvolution",
        kind: str = "gemm",
        meta: list[str] | None = None,
    ) -> None:
        b.eng.add(name, ltype, kind, ltype if kind != "myelin" else "Myelin", ins, outs, prec, meta, i)

    return g


def _attention_engine_layers(b: _Build, g: Callable[..., None], h: str, mask: str, a: _Attention) -> None:
    hid, N = b.hid, b.sh.heads
    D = b.sh.hidden // N
    S = a.S
    for part, ad in zip(("query", "key", "value"), a.adds, strict=True):
        g(f"{S}/{part}/MatMul + {S}/{part}/Add", [h], [(ad, hid)])
    for j, (hd, part) in enumerate(zip(a.heads, ("", "_1", "_2"), strict=True)):
        g(f"{S}/Reshape{part} + {S}/Transpose{part}", [a.adds[j]], [(hd, b.p.values[hd][0])], None, "Shuffle",
          "shuffle")
    g(f"{S}/MatMul", a.heads[:2], [(a.qk, (-1, N, -1, -1))], ltype="CaskGemmMatrixMultiply", kind="mm")
    g(f"PWN(PWN({a.scale} + {a.bc_div}, {S}/Div), {S}/Add)", [a.qk, mask], [(a.scores, (-1, N, -1, -1))], "Float",
      "PointWiseV2", "pw")
    g(f"{S}/Softmax", [a.scores], [(a.probs, (-1, N, -1, -1))], "Float", "CaskSoftMaxV2", "softmax")
    g(f"{S}/MatMul_1", [a.probs, a.heads[2]], [(a.ctx, (-1, N, -1, D))], ltype="CaskGemmMatrixMultiply", kind="mm")
    g(f"{S}/Transpose_3 + {S}/Reshape_3", [a.ctx], [(a.ctx_r, hid)], None, "Shuffle", "shuffle")


def _ffn_engine_layers(b: _Build, g: Callable[..., None], pre: str, h: str, a: _Attention, f: _Ffn) -> None:
    hid, idims = b.hid, (-1, -1, b.sh.intermediate)
    ao, it, o = f"{pre}/attention/output", f"{pre}/intermediate", f"{pre}/output"
    g(f"{ao}/dense/MatMul + {ao}/dense/Add + {ao}/Add", [a.ctx_r, h], [(f.res, hid)])
    g(f"{{ForeignNode[{ao}/LayerNorm/LayerNormalization]}}", [f.res], [(f.ln1, hid)], "Float", "Myelin", "myelin",
      [f"{ao}/LayerNorm/LayerNormalization"])
    g(f"{it}/dense/MatMul + {it}/dense/Add", [f.ln1], [(f.x, idims)])
    act = f"{it}/intermediate_act_fn"
    g(f"PWN(PWN(PWN({act}/Div, {act}/Erf), {act}/Add), PWN({act}/Mul, {act}/Mul_1))", [f.x], [(f.gelu, idims)],
      ltype="PointWiseV2", kind="pw")
    g(f"{o}/dense/MatMul + {o}/dense/Add + {o}/Add", [f.gelu, f.ln1], [(f.res2, hid)])
    g(f"{{ForeignNode[{o}/LayerNorm/LayerNormalization]}}", [f.res2], [(f.ln2, hid)], "Float", "Myelin", "myelin",
      [f"{o}/LayerNorm/LayerNormalization"])


def _pooler(b: _Build, h: str, pool_w: str, pool_b: str) -> None:
    p, H = b.p, b.sh.hidden
    pc = p.constant("/pooler/Constant", "/pooler/Constant_output_0", (), "INT64")
    first = p.with_weights("/pooler/Gather", "Gather", [h, pc], (-1, H))
    dense, _ = p.gemm("/pooler/dense/Gemm", first, pool_w, pool_b, (-1, H))
    pooled = p.simple("/pooler/activation/Tanh", "Tanh", [dense], (-1, H), out="pooler_output")
    b.eng.add(
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


def build_bert(sh: BertShape, rng: random.Random) -> BertModel:
    """Parse log + engine for a TorchScript-exported (opset 17, eager attention) BERT-large."""
    b = _Build(OnnxParseLog(), EngineBuilder(rng), sh)
    emb_weights = _embedding_initializers(b)
    enc_params, pool_w, pool_b = _encoder_initializers(b)
    h = _embeddings(b, emb_weights)
    mask, input_warnings = _attention_mask(b)
    fallback = sorted(rng.sample(range(sh.layers), max(1, sh.layers // 3)))
    activation_warnings: list[str] = []
    for i in range(sh.layers):
        pre = f"/encoder/layer.{i}"
        att = _self_attention(b, pre, enc_params[i], h, mask)
        ffn = _feed_forward(b, pre, enc_params[i], h, att.ctx_r, i == sh.layers - 1)
        g = _layer_adder(b, i, "Float" if i in fallback else "Int8")
        _attention_engine_layers(b, g, h, mask, att)
        _ffn_engine_layers(b, g, pre, h, att, ffn)
        if i in fallback:
            activation_warnings += [att.probs.replace("_output_0", "_output"), ffn.res, ffn.x, ffn.erf, ffn.res2]
        h = ffn.ln2
    _pooler(b, h, pool_w, pool_b)
    p = b.p
    return BertModel(
        parse_messages=p.messages(),
        node_registrations=p.node_registrations,
        onnx_nodes=p.nodes,
        layers_registered=p.layers_registered,
        weight_outputs=p.weight_outputs,
        broadcast_outputs=p.broadcast_outputs,
        activation_warnings=activation_warnings,
        input_warnings=input_warnings,
        engine=b.eng.layers,
        opt_messages=_optimizer_messages(p, b.eng.layers, rng),
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
