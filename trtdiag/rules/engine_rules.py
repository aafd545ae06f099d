"""Rules on an FP16-vs-INT8 comparison: why the INT8 engine is not faster.

Same shape as :mod:`trtdiag.rules.build_rules`: one function per cause with a stable id, evidence and a fix,
listed in :data:`COMPARISON_RULES`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from trtdiag.findings import Evidence, Finding
from trtdiag.onnx.compute import GEMM_OPS, ComputeProfile
from trtdiag.onnx.graph import GraphIndex

if TYPE_CHECKING:
    from trtdiag.comparison import Comparison, EngineSummary, LayerRow

REFORMAT_SHARE = 0.10  # reformats above 10% of the INT8 engine's layer time are worth a finding


def _ms(v: float) -> str:
    return f"{v:.3f} ms"


def _gemm_layers(s: EngineSummary, graph: GraphIndex | None) -> list[LayerRow]:
    if graph is None:
        return [r for r in s.layers if r.kind in ("compute", "myelin")
                and any(k in (r.layer_type or "") + r.name for k in ("Conv", "Gemm", "MatMul", "MatrixMultiply",
                                                                     "gemm", "Myelin", "ForeignNode"))]
    gemms = {n.name for n in graph.nodes if n.op_type in GEMM_OPS}
    return [r for r in s.layers if r.kind in ("compute", "myelin") and set(r.nodes) & gemms]


def int8_slower_than_fp16(c: Comparison, graph: GraphIndex | None, compute: ComputeProfile | None) -> Finding | None:
    t16, t8, basis = c.totals()
    if t16 is None or t8 is None or t8 <= t16:
        return None
    parts: list[tuple[str, float]] = []
    parts.append(("reformat layers", c.int8.reformat_ms - c.fp16.reformat_ms))
    parts.append(("layers running in FP32", c.int8.fp32_ms - c.fp16.fp32_ms))
    parts.append(("unfused Q/DQ layers", c.int8.qdq_ms))
    gemm8 = _gemm_layers(c.int8, graph)
    not_int8 = [r for r in gemm8 if r.precision not in ("INT8",) and r.average_ms]
    parts.append(("GEMM/Conv layers whose tactics are not INT8", sum(r.average_ms or 0 for r in not_int8)))
    attention = _attention_unfused(c, graph)
    if attention:
        parts.append(("attention not fused (separate MatMul/Softmax layers)",
                      sum(r.average_ms or 0 for r in attention)))
    lines = [f"{name}: {_ms(v)}" for name, v in parts if v > 0]
    gemm_nodes = [n for r in not_int8 for n in r.nodes if graph is None or _is_gemm(graph, n)]
    return Finding(
        id="int8-slower-than-fp16", severity="error",
        title=f"The INT8 engine is slower than the FP16 engine ({_ms(t8)} vs {_ms(t16)}, "
              f"{(t8 / t16 - 1) * 100:+.0f}%, {basis})",
        explanation=("The per-layer profiles put the extra time in: " + ("; ".join(lines) or "no single cause") + ". "
                     "INT8 only pays off when the GEMMs run INT8 tactics and the engine does not convert "
                     "between formats around them."),
        evidence=Evidence(nodes=tuple(gemm_nodes[:25]), notes=tuple(lines), total_nodes=len(gemm_nodes)),
        fix="Quantize explicitly (ModelOpt Q/DQ) so TensorRT can fuse Q/DQ into INT8 GEMMs, build with FP16 "
            "enabled so non-INT8 layers run FP16, and keep attention fusable (ModelOpt's MHA Q/DQ placement).",
        commands=("python -m modelopt.onnx.quantization --onnx_path model.onnx --quantize_mode int8 "
                  "--calibration_data_path calib.npz --high_precision_dtype fp16 --output_path model.int8.onnx",
                  "trtexec --onnx=model.int8.onnx --stronglyTyped --dumpProfile --separateProfileRun"),
        gemm_nodes=tuple(gemm_nodes),
        mac_share=compute.share(gemm_nodes) if compute and compute.total_macs and gemm_nodes else None,
    )


def _is_gemm(graph: GraphIndex, name: str) -> bool:
    node = graph.node(name)
    return node is not None and node.op_type in GEMM_OPS


def _attention_unfused(c: Comparison, graph: GraphIndex | None) -> list[LayerRow]:
    """INT8 layers computing a Softmax on their own while the FP16 engine fused it into a Myelin region."""
    if graph is None:
        return []
    softmax = set(graph.transformer.softmax_nodes)
    fused16 = any(r.kind == "myelin" and set(r.nodes) & softmax for r in c.fp16.layers)
    alone8 = [r for r in c.int8.layers if r.kind == "compute" and set(r.nodes) & softmax]
    return alone8 if fused16 else []


def _covers_gemm(r: LayerRow, graph: GraphIndex | None) -> bool:
    """Does a Myelin layer compute a GEMM? With a model: one of its nodes is a MatMul/Gemm/Conv; without,
    its type or its (ONNX or TensorRT) names say so - a LayerNorm or GELU kernel does not count."""
    if graph is not None:
        return any(_is_gemm(graph, n) for n in r.nodes)
    text = " ".join((r.layer_type or "", r.name, *r.nodes))
    return (r.layer_type or "").lower() in ("gemm", "myelin") or any(
        k in text for k in ("MatMul", "Gemm", "gemm", "matmul", "ForeignNode"))


def foreign_node_not_int8(c: Comparison, graph: GraphIndex | None, compute: ComputeProfile | None) -> Finding | None:
    regions = [r for r in c.int8.layers if r.kind == "myelin" and r.precision in ("FP16", "FP32", "BF16")
               and _covers_gemm(r, graph)]
    if not regions:
        return None
    nodes = [n for r in regions for n in r.nodes if graph is None or _is_gemm(graph, n)]
    ms = sum(r.average_ms or 0 for r in regions)
    return Finding(
        id="foreign-node-not-int8", severity="error",
        title=f"{len(regions)} Myelin region(s) covering the attention/FFN GEMMs stayed "
              f"{'/'.join(sorted({r.precision or '?' for r in regions}))} in the INT8 engine",
        explanation=("TensorRT handed these regions ({ForeignNode[...]} / Myelin kernels) to Myelin, which does not "
                     "apply implicit INT8 scales: every GEMM inside runs in FP16/FP32. "
                     f"They take {_ms(ms)} of the INT8 engine's layer time."),
        evidence=Evidence(nodes=tuple(nodes[:25]), notes=tuple(r.name[:200] for r in regions[:5]),
                          total_nodes=len(nodes)),
        fix="Use explicit quantization (Q/DQ inside the region lets Myelin pick INT8 GEMMs), built with FP16.",
        gemm_nodes=tuple(n for n in nodes if graph is not None),
        mac_share=compute.share(nodes) if compute and compute.total_macs and graph is not None else None,
    )


def reformat_overhead(c: Comparison, graph: GraphIndex | None, compute: ComputeProfile | None) -> Finding | None:
    total = sum(r.average_ms or 0 for r in c.int8.layers)
    if not total or c.int8.reformat_ms / total < REFORMAT_SHARE:
        return None
    worst = sorted((r for r in c.int8.layers if r.kind == "reformat"), key=lambda r: -(r.average_ms or 0))[:10]
    return Finding(
        id="reformat-overhead", severity="warning",
        title=f"Reformat layers take {c.int8.reformat_ms / total * 100:.0f}% of the INT8 engine's time "
              f"({_ms(c.int8.reformat_ms)} vs {_ms(c.fp16.reformat_ms)} in FP16)",
        explanation=("TensorRT inserts reformat (copy) layers where neighbouring layers run in different precisions "
                     "or layouts - typically at every boundary between INT8 and FP16/FP32 layers. Many small INT8 "
                     "islands cost more in conversions than INT8 saves."),
        evidence=Evidence(notes=tuple(f"{r.name} {_ms(r.average_ms or 0)}" for r in worst)),
        fix="Make INT8 regions contiguous (Q/DQ placement from ModelOpt) or keep the islands in FP16; enable FP16 "
            "so fallbacks do not force FP32 formats.",
    )


def fp32_fallback_layers(c: Comparison, graph: GraphIndex | None, compute: ComputeProfile | None) -> Finding | None:
    rows = [r for r in c.int8.layers if r.kind in ("compute", "myelin") and r.precision == "FP32"]
    if not rows:
        return None
    ms = sum(r.average_ms or 0 for r in rows)
    nodes = [n for r in rows for n in r.nodes]
    gemms = [n for n in nodes if graph is not None and _is_gemm(graph, n)]
    return Finding(
        id="fp32-fallback-layers", severity="warning" if ms == 0 else "error",
        title=f"{len(rows)} layer{'s' if len(rows) != 1 else ''} of the INT8 engine run{'' if len(rows) != 1 else 's'} "
              f"in FP32 ({_ms(ms)})",
        explanation=("These layers consume FP32 tensors: INT8 was enabled without FP16 (fallbacks go to FP32) or "
                     "their inputs had no scale. FP32 is the slowest path on tensor-core GPUs."),
        evidence=Evidence(nodes=tuple(nodes[:25]), notes=tuple(r.name[:160] for r in rows[:10]),
                          total_nodes=len(nodes)),
        fix="Build with --fp16 (or BuilderFlag.FP16) in addition to INT8.",
        commands=("trtexec --onnx=model.onnx --int8 --fp16 ...",),
        gemm_nodes=tuple(gemms),
        mac_share=compute.share(gemms) if compute and compute.total_macs and gemms else None,
    )


COMPARISON_RULES: tuple[Callable[[Comparison, GraphIndex | None, ComputeProfile | None], Finding | None], ...] = (
    int8_slower_than_fp16,
    foreign_node_not_int8,
    fp32_fallback_layers,
    reformat_overhead,
)
_RANK = {"error": 0, "warning": 1, "info": 2}


def run_comparison_rules(c: Comparison, graph: GraphIndex | None, compute: ComputeProfile | None
                         ) -> tuple[Finding, ...]:
    found = [f for rule in COMPARISON_RULES if (f := rule(c, graph, compute)) is not None]
    return tuple(sorted(found, key=lambda f: _RANK[f.severity]))
