"""Tactic-timing templates: the pre-rendered per-layer blocks that pad the log to its size."""

from __future__ import annotations

import random
from dataclasses import dataclass

from biglog.model import TS_PLACEHOLDER, BertModel, BertShape, Dims, EngineLayer

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
