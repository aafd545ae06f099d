"""FP16 vs INT8 engines, layer by layer: precision and latency aligned on the ONNX nodes each layer covers.

Alignment: every engine layer is mapped to the ONNX nodes it covers (:mod:`trtdiag.engine.mapping`);
rows of the comparison are ONNX nodes, so differently fused engines line up. Without a model, the
names printed by TensorRT stand in for ONNX nodes; when those do not overlap either (an FP16 export
and a separately exported QAT model number their nodes differently) the compute layers are aligned
by structure (layer kind and output shape, in engine order) and each row is a pair of layers.

Latency attribution (stated rule): a layer's average time is shared among the nodes it covers in
proportion to their multiply-accumulates; a layer covering no MatMul/Gemm/Conv shares it equally.
Reformat and Q/DQ layers cover no node: their time is reported per engine and per block (the block
of the layer they feed).
"""

from __future__ import annotations

import difflib
import os
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trtdiag.documents.comparison import UNIT_COLUMNS, comparison_document, unit_dict
from trtdiag.engine.layers import read_engine_layers
from trtdiag.engine.mapping import LayerMapper, LayerMapping, layer_precision, split_fused
from trtdiag.engine.model import EngineLayer, EngineLayers, EngineProfile, InferenceTimes, PerfSummary
from trtdiag.engine.profile import classify_artifact, read_perf_summary, read_profile, read_times
from trtdiag.errors import InputError
from trtdiag.onnx.compute import ComputeProfile
from trtdiag.onnx.graph import GraphIndex

ATTRIBUTION_RULE = (
    "A fused layer's average time is shared among the ONNX nodes it covers in proportion to their MACs "
    "(equally when it covers no MatMul/Gemm/Conv); reformat and Q/DQ layers are counted separately."
)


@dataclass(frozen=True)
class EngineArtifacts:
    """Everything read for one engine. Any part may be missing."""

    label: str
    layers: EngineLayers | None
    profile: EngineProfile | None
    perf: PerfSummary | None
    times: InferenceTimes | None
    sources: tuple[str, ...]
    notes: tuple[str, ...] = ()


def load_artifacts(paths: list[str | os.PathLike[str]], label: str) -> EngineArtifacts:
    """Read an artifact set: files or folders of layer info, profiles, perf summaries, exportTimes, logs."""
    files: list[Path] = []
    for p in map(Path, paths):
        if not p.exists():
            raise InputError(f"{label} artifact not found: {p}")
        files.extend(sorted(f for f in p.iterdir() if f.is_file()) if p.is_dir() else [p])
    layers = profile = perf = times = None
    notes: list[str] = []
    # Dedicated JSON exports are more detailed than what a log prints (Metadata, formats): read them first.
    priority = {"layers-json": 0, "profile-json": 1, "times-json": 2, "trex-metadata": 3, "log": 4}
    classified = sorted(((classify_artifact(f), f) for f in files), key=lambda kf: priority.get(kf[0], 9))
    for kind, f in classified:
        try:
            if kind == "layers-json" and layers is None:
                layers = read_engine_layers(f)
            elif kind == "profile-json" and profile is None:
                profile = read_profile(f)
            elif kind == "times-json" and times is None:
                times = read_times(f)
            elif kind == "log":
                if layers is None:
                    layers = _try(read_engine_layers, f)
                if profile is None:
                    profile = _try(read_profile, f)
                if perf is None:
                    perf = _try(read_perf_summary, f)
            elif kind == "trex-metadata":
                if perf is None:
                    perf = _try(read_perf_summary, f)
            elif kind == "unknown":
                notes.append(f"{f.name}: not used (not a recognised artifact)")
        except InputError as exc:
            notes.append(f"{f.name}: {exc}")
    if layers is None and profile is None and perf is None and times is None:
        raise InputError(f"no engine layer information, profile or performance summary found in the {label} "
                         f"artifacts ({', '.join(str(f) for f in files)})")
    return EngineArtifacts(label, layers, profile, perf, times, tuple(str(f) for f in files), tuple(notes))


def _try(reader: Any, path: Path) -> Any:
    try:
        return reader(path)
    except InputError:
        return None


# --- per-engine view ---------------------------------------------------------------------------


@dataclass(frozen=True)
class LayerRow:
    name: str
    kind: str
    layer_type: str | None
    precision: str | None
    output_precision: str | None
    nodes: tuple[str, ...]
    method: str
    average_ms: float | None
    block: str
    reason: str | None = None


@dataclass(frozen=True)
class EngineSummary:
    label: str
    layers: tuple[LayerRow, ...]
    profile_total_ms: float | None
    gpu_compute_median_ms: float | None
    latency_median_ms: float | None
    throughput_qps: float | None
    reformat_ms: float
    qdq_ms: float
    fp32_ms: float
    int8_ms: float
    precision_counts: dict[str, int]
    node_coverage: float | None  # share of the model's (non-Constant) nodes covered by some layer
    mac_coverage: float | None
    int8_mac_share: float | None  # MACs of GEMM/Conv nodes whose layer runs INT8
    int8_time_share: float | None
    unmapped: tuple[tuple[str, str], ...]
    sources: tuple[str, ...]
    notes: tuple[str, ...] = ()

    @property
    def total_ms(self) -> float | None:
        """Engine time used for comparisons: the per-layer profile sum, else the GPU compute median."""
        return self.profile_total_ms if self.profile_total_ms is not None else self.gpu_compute_median_ms


@dataclass(frozen=True)
class UnitRow:
    """One row of the per-node table: an ONNX node (or, without common names, an aligned layer pair)."""

    unit: str
    op_type: str | None
    block: str
    submodule: str | None
    macs: int | None
    fp16_layer: str | None
    fp16_precision: str | None
    fp16_ms: float | None
    int8_layer: str | None
    int8_precision: str | None
    int8_ms: float | None

    @property
    def delta_ms(self) -> float | None:
        if self.fp16_ms is None or self.int8_ms is None:
            return None
        return self.int8_ms - self.fp16_ms


@dataclass(frozen=True)
class BlockRow:
    block: str
    fp16_ms: float
    int8_ms: float
    fp16_reformat_ms: float
    int8_reformat_ms: float
    fp16_precisions: dict[str, int]
    int8_precisions: dict[str, int]

    @property
    def delta_ms(self) -> float:
        return (self.int8_ms + self.int8_reformat_ms) - (self.fp16_ms + self.fp16_reformat_ms)


@dataclass(frozen=True)
class Comparison:
    fp16: EngineSummary
    int8: EngineSummary
    alignment: str  # "onnx-nodes", "layer-names", "structure"
    units: tuple[UnitRow, ...]
    blocks: tuple[BlockRow, ...]
    findings: tuple[Any, ...] = ()
    notes: tuple[str, ...] = ()
    attribution_rule: str = ATTRIBUTION_RULE
    model: str | None = None
    report_path: str | None = None

    def totals(self) -> tuple[float | None, float | None, str]:
        """(FP16 ms, INT8 ms, basis) measured the same way for both engines: per-layer profile sums when
        both have profiles, else GPU compute medians from the performance summaries."""
        a, b = self.fp16, self.int8
        if a.profile_total_ms and b.profile_total_ms:
            return a.profile_total_ms, b.profile_total_ms, "sum of per-layer profile averages"
        if a.gpu_compute_median_ms and b.gpu_compute_median_ms:
            return a.gpu_compute_median_ms, b.gpu_compute_median_ms, "GPU compute median (performance summary)"
        return None, None, "no common timing for both engines"

    @property
    def speedup(self) -> float | None:
        t16, t8, _ = self.totals()
        return t16 / t8 if t16 and t8 else None

    def failures(self, fail_on: str = "never", min_speedup: float | None = None) -> list[str]:
        """Why this comparison fails a CI gate (empty: it passes)."""
        from trtdiag.rules.base import verdict_failures

        out = verdict_failures(self.findings, fail_on)
        if min_speedup is not None and (self.speedup is None or self.speedup + 1e-9 < min_speedup):
            out.append(f"speed-up below {min_speedup:.2f}x")
        return out

    def summary_line(self, report: str | None = None, failures: list[str] | None = None) -> str:
        t16, t8, _ = self.totals()
        speed = f"INT8 speed-up {t16 / t8:.2f}x ({t8:.3f} ms vs {t16:.3f} ms)" if t16 and t8 else "no timings"
        parts = [f"trtdiag: {'FAIL: ' if failures else ''}compare: {speed}", f"alignment: {self.alignment}",
                 "findings: " + (", ".join(f.id for f in self.findings) or "none")]
        if report:
            parts.append(f"report: {report}")
        if failures:
            parts.append("failed: " + "; ".join(failures))
        return " | ".join(parts)

    def nodes_df(self) -> Any:
        """Per-node table as a pandas DataFrame."""
        import pandas as pd

        return pd.DataFrame([unit_dict(u) for u in self.units], columns=list(UNIT_COLUMNS))

    def blocks_df(self) -> Any:
        import pandas as pd

        return pd.DataFrame([{"block": b.block, "fp16_ms": b.fp16_ms, "int8_ms": b.int8_ms,
                              "fp16_reformat_ms": b.fp16_reformat_ms, "int8_reformat_ms": b.int8_reformat_ms,
                              "delta_ms": b.delta_ms} for b in self.blocks],
                            columns=["block", "fp16_ms", "int8_ms", "fp16_reformat_ms", "int8_reformat_ms", "delta_ms"])

    def layers_df(self) -> Any:
        """Every engine layer of both engines: kind, precision, covered ONNX nodes, time, block."""
        import pandas as pd

        columns = ["engine", "name", "kind", "layer_type", "precision", "output_precision", "nodes", "method",
                   "average_ms", "block"]
        rows = [[s.label, r.name, r.kind, r.layer_type, r.precision, r.output_precision, ", ".join(r.nodes),
                 r.method, r.average_ms, r.block] for s in (self.fp16, self.int8) for r in s.layers]
        return pd.DataFrame(rows, columns=columns)

    def to_csv(self) -> str:
        return self.nodes_df().to_csv(index=False)

    def to_dict(self, *, timestamp: bool = True) -> dict[str, Any]:
        return comparison_document(self, timestamp=timestamp)

    def to_json(self, *, timestamp: bool = True) -> str:
        import json

        return json.dumps(self.to_dict(timestamp=timestamp), indent=2, ensure_ascii=False) + "\n"

    def to_html(self, *, timestamp: bool = True) -> str:
        from trtdiag.report.html import render_comparison

        return render_comparison(self, timestamp=timestamp)








class _NameGraphless:
    """Mapping without a model: TensorRT's own names (Metadata, fused atoms) stand in for ONNX nodes."""

    def map_layers(self, layers: tuple[EngineLayer, ...]) -> list[LayerMapping]:
        out = []
        for layer in layers:
            prec, outp = layer_precision(layer)
            name = layer.name
            ltype = (layer.layer_type or "").lower()
            if name.startswith("Reformatting CopyNode") or ltype == "reformat":
                kind = "qdq" if (layer.origin or "").upper() == "QDQ" else "reformat"
                target = name.split(" to ", 1)[1] if " to " in name else None
                out.append(LayerMapping(layer, (), "reformat", kind, prec, outp, target=target))
                continue
            if ltype in ("noop", "constant"):
                out.append(LayerMapping(layer, (), "none", ltype, prec, outp, reason=f"{ltype} layer"))
                continue
            kind = "myelin" if ltype in ("myelin", "kgen", "gemm", "fusion") or name.startswith("{ForeignNode") \
                else "compute"
            if layer.metadata:
                out.append(LayerMapping(layer, tuple(dict.fromkeys(layer.metadata)), "metadata", kind, prec, outp))
                continue
            atoms = [a for a in split_fused(name.removeprefix("{ForeignNode[").removesuffix("]}"))
                     if not re.search(r"(?:Quantize|Dequantize)Linear", a)]
            out.append(LayerMapping(layer, tuple(dict.fromkeys(atoms)), "fused-name", kind, prec, outp))
        return out


def _timings(profile: EngineProfile | None) -> dict[str, float]:
    if profile is None:
        return {}
    return {t.name: t.average_ms for t in profile.layers}


def _block_label(graph: GraphIndex | None, nodes: tuple[str, ...]) -> str:
    if graph is None:
        return "(no model)"
    for n in nodes:
        m = graph.module_of_node(n)
        if m is not None:
            return "outside blocks" if m.block is None else f"block {m.block}"
    return "outside blocks"


def summarize_engine(art: EngineArtifacts, graph: GraphIndex | None, compute: ComputeProfile | None,
                     layer_owner: dict[str, str] | None = None) -> tuple[EngineSummary, list[LayerMapping]]:
    """Map one engine's layers and total its time by kind and precision."""
    layers = art.layers.layers if art.layers else ()
    mappings = (LayerMapper(graph, layer_owner).map_layers(layers) if graph is not None
                else _NameGraphless().map_layers(layers))
    times = _timings(art.profile)
    by_name = {m.layer.name: m for m in mappings}
    rows: list[LayerRow] = []
    reformat = qdq = fp32 = int8 = 0.0
    total_layer_time = 0.0
    for m in mappings:
        t = times.get(m.layer.name)
        nodes = m.nodes
        # a reformat belongs to the block of the layer it feeds or drains
        nodes_for_block = by_name[m.target].nodes if not nodes and m.target in by_name else nodes
        rows.append(LayerRow(m.layer.name, m.kind, m.layer.layer_type, m.precision, m.output_precision, nodes,
                             m.method, t, _block_label(graph, nodes_for_block), m.reason))
        if t is None:
            continue
        total_layer_time += t
        if m.kind == "reformat":
            reformat += t
        elif m.kind == "qdq":
            qdq += t
        if m.kind not in ("reformat", "qdq"):
            if m.precision == "FP32":
                fp32 += t
            elif m.precision == "INT8":
                int8 += t
    node_cov = mac_cov = int8_macs = None
    if graph is not None:
        considered = [n.name for n in graph.nodes if n.op_type != "Constant"]
        covered = {n for m in mappings for n in m.nodes}
        node_cov = len(covered & set(considered)) / len(considered) if considered else None
        if compute is not None and compute.total_macs:
            mac_cov = compute.share(list(covered))
            int8_nodes = [n for m in mappings if m.precision == "INT8" and m.kind != "reformat" for n in m.nodes]
            int8_macs = compute.share(int8_nodes)
    perf = art.perf
    profile_total = art.profile.total_ms if art.profile else None
    summary = EngineSummary(
        label=art.label,
        layers=tuple(rows),
        profile_total_ms=profile_total,
        gpu_compute_median_ms=(perf.gpu_compute_ms.get("median") or perf.gpu_compute_ms.get("mean")) if perf else None,
        latency_median_ms=(perf.latency_ms.get("median") or perf.latency_ms.get("mean")) if perf else None,
        throughput_qps=perf.throughput_qps if perf else None,
        reformat_ms=reformat, qdq_ms=qdq, fp32_ms=fp32, int8_ms=int8,
        precision_counts=dict(Counter(r.precision or "unknown" for r in rows if r.kind not in ("noop", "constant"))),
        node_coverage=node_cov, mac_coverage=mac_cov, int8_mac_share=int8_macs,
        int8_time_share=(int8 / total_layer_time) if total_layer_time else None,
        unmapped=tuple((r.name, r.reason or "") for r in rows if not r.nodes and r.kind in ("compute", "myelin")),
        sources=art.sources, notes=art.notes,
    )
    return summary, mappings


def _node_times(mappings: list[LayerMapping], times: dict[str, float], compute: ComputeProfile | None
                ) -> dict[str, tuple[float | None, str, str | None]]:
    """node -> (attributed ms, layer name, layer precision), by the attribution rule."""
    out: dict[str, tuple[float | None, str, str | None]] = {}
    for m in mappings:
        if not m.nodes or m.kind in ("reformat",):
            continue
        t = times.get(m.layer.name)
        weights = [(compute.macs.get(n, 0) if compute else 0) for n in m.nodes]
        total = sum(weights)
        for n, w in zip(m.nodes, weights, strict=True):
            share = None if t is None else (t * w / total if total else t / len(m.nodes))
            prev = out.get(n)
            if prev is not None and prev[0] is not None and share is not None:
                share += prev[0]  # a node split over several layers (e.g. Myelin sub-kernels)
            out[n] = (share, m.layer.name if prev is None else prev[1], m.precision)
    return out


def compare(fp16: EngineArtifacts, int8: EngineArtifacts, graph: GraphIndex | None = None,
            compute: ComputeProfile | None = None, layer_owner: dict[str, str] | None = None) -> Comparison:
    """Align two engines of one model and compare them node by node and block by block."""
    from trtdiag.rules.registry import run_comparison_rules

    s16, m16 = summarize_engine(fp16, graph, compute, layer_owner)
    s8, m8 = summarize_engine(int8, graph, compute, layer_owner)
    t16, t8 = _timings(fp16.profile), _timings(int8.profile)
    n16, n8 = _node_times(m16, t16, compute), _node_times(m8, t8, compute)
    notes: list[str] = []
    units: list[UnitRow] = []
    if graph is not None:
        alignment = "onnx-nodes"
        for node in graph.nodes:
            a, b = n16.get(node.name), n8.get(node.name)
            if a is None and b is None:
                continue
            mod = graph.module_of_node(node.name)
            units.append(UnitRow(
                unit=node.name, op_type=node.op_type,
                block=_block_label(graph, (node.name,)), submodule=mod.submodule if mod else None,
                macs=compute.macs.get(node.name) if compute else None,
                fp16_layer=a[1] if a else None, fp16_precision=a[2] if a else None, fp16_ms=a[0] if a else None,
                int8_layer=b[1] if b else None, int8_precision=b[2] if b else None, int8_ms=b[0] if b else None,
            ))
    else:
        common = set(n16) & set(n8)
        if common and len(common) >= 0.5 * min(len(n16), len(n8)):
            alignment = "layer-names"
            for name in list(dict.fromkeys([*n16, *n8])):
                a, b = n16.get(name), n8.get(name)
                units.append(UnitRow(name, None, "(no model)", None, None,
                                     a[1] if a else None, a[2] if a else None, a[0] if a else None,
                                     b[1] if b else None, b[2] if b else None, b[0] if b else None))
        else:
            alignment = "structure"
            units = _structural_units(m16, m8, t16, t8)
            notes.append("The two engines share no ONNX node names (different exports, e.g. FP16 vs QAT) and no "
                         "model was given: compute layers were paired by kind and output shape, in engine order.")
    blocks = _blocks(s16, s8, graph, n16, n8)
    comp = Comparison(fp16=s16, int8=s8, alignment=alignment, units=tuple(units), blocks=tuple(blocks),
                      notes=tuple(notes), model=graph.path if graph else None)
    findings = run_comparison_rules(comp, graph, compute)
    return Comparison(fp16=s16, int8=s8, alignment=alignment, units=tuple(units), blocks=tuple(blocks),
                      findings=findings, notes=tuple(notes), model=graph.path if graph else None)


_KIND_OF_TYPE = (
    ("conv", re.compile(r"(?i)conv")),
    ("gemm", re.compile(r"(?i)gemm|matmul|matrixmultiply|fullyconnected")),
    ("pool", re.compile(r"(?i)pool")),
    ("elementwise", re.compile(r"(?i)elementwise|pointwise|eltwise")),
    ("softmax", re.compile(r"(?i)softmax")),
    ("myelin", re.compile(r"(?i)myelin|foreign")),
)


def _signature(m: LayerMapping) -> tuple[str, tuple[int, ...] | None]:
    text = f"{m.layer.layer_type or ''} {m.layer.name}"
    kind = next((k for k, rx in _KIND_OF_TYPE if rx.search(text)), "other")
    dims = m.layer.outputs[0].dims if m.layer.outputs else None
    return kind, dims


def _structural_units(m16: list[LayerMapping], m8: list[LayerMapping], t16: dict[str, float],
                      t8: dict[str, float]) -> list[UnitRow]:
    a = [m for m in m16 if m.kind in ("compute", "myelin")]
    b = [m for m in m8 if m.kind in ("compute", "myelin")]
    sm = difflib.SequenceMatcher(a=[_signature(m) for m in a], b=[_signature(m) for m in b], autojunk=False)
    units: list[UnitRow] = []
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag == "equal":
            for x, y in zip(a[i1:i2], b[j1:j2], strict=True):
                units.append(UnitRow(f"{x.layer.name} <> {y.layer.name}", _signature(x)[0], "(no model)", None, None,
                                     x.layer.name, x.precision, t16.get(x.layer.name),
                                     y.layer.name, y.precision, t8.get(y.layer.name)))
        else:
            for x in a[i1:i2]:
                units.append(UnitRow(x.layer.name, _signature(x)[0], "(no model)", None, None, x.layer.name,
                                     x.precision, t16.get(x.layer.name), None, None, None))
            for y in b[j1:j2]:
                units.append(UnitRow(y.layer.name, _signature(y)[0], "(no model)", None, None, None, None, None,
                                     y.layer.name, y.precision, t8.get(y.layer.name)))
    return units


def _blocks(s16: EngineSummary, s8: EngineSummary, graph: GraphIndex | None,
            n16: dict[str, tuple[float | None, str, str | None]],
            n8: dict[str, tuple[float | None, str, str | None]]) -> list[BlockRow]:
    """Per-block latency and precision. With a model, compute time is summed from the per-node
    attribution, so a Myelin region spanning several blocks is split across them; reformats count in
    the block of the layer they serve. Without a model there is one "(no model)" row."""
    def node_block(node: str) -> str:
        return _block_label(graph, (node,))

    compute_ms: dict[tuple[str, str], float] = {}
    precisions: dict[tuple[str, str], Counter[str]] = {}
    for label, times in (("FP16", n16), ("INT8", n8)):
        for node, (ms, _layer, prec) in times.items():
            key = (label, node_block(node) if graph is not None else "(no model)")
            compute_ms[key] = compute_ms.get(key, 0.0) + (ms or 0.0)
            if graph is not None:
                precisions.setdefault(key, Counter())[prec or "unknown"] += 1
    reformat: dict[tuple[str, str], float] = {}
    for s in (s16, s8):
        for r in s.layers:
            key = (s.label, r.block)
            if r.kind == "reformat":
                reformat[key] = reformat.get(key, 0.0) + (r.average_ms or 0.0)
            elif graph is None and r.kind in ("compute", "myelin", "qdq", "copy"):
                precisions.setdefault(key, Counter())[r.precision or "unknown"] += 1
            if graph is None and r.kind in ("qdq", "copy") and not r.nodes:
                compute_ms[key] = compute_ms.get(key, 0.0) + (r.average_ms or 0.0)
    labels = {k[1] for k in (*compute_ms, *reformat, *precisions)}

    def order(label: str) -> tuple[int, int]:
        m = re.match(r"block (\d+)$", label)
        return (1, int(m.group(1))) if m else (0 if label == "outside blocks" else 2, 0)

    return [
        BlockRow(
            block=label,
            fp16_ms=compute_ms.get(("FP16", label), 0.0),
            int8_ms=compute_ms.get(("INT8", label), 0.0),
            fp16_reformat_ms=reformat.get(("FP16", label), 0.0),
            int8_reformat_ms=reformat.get(("INT8", label), 0.0),
            fp16_precisions=dict(precisions.get(("FP16", label), Counter())),
            int8_precisions=dict(precisions.get(("INT8", label), Counter())),
        )
        for label in sorted(labels, key=order)
    ]








def compare_artifacts(fp16: list[str | os.PathLike[str]] | str | os.PathLike[str],
                      int8: list[str | os.PathLike[str]] | str | os.PathLike[str],
                      model: str | os.PathLike[str] | None = None, shapes: str | None = None) -> Comparison:
    """Library entry point: read both artifact sets (files or folders) and compare them."""
    from trtdiag.onnx.compute import compute_profile, parse_shapes
    from trtdiag.onnx.graph import load_graph

    def as_list(x: Any) -> list[Any]:
        return list(x) if isinstance(x, list | tuple) else [x]

    graph = load_graph(model) if model is not None else None
    compute = compute_profile(graph.structure, graph.inputs, parse_shapes(shapes) if shapes else None) \
        if graph is not None else None
    a16 = load_artifacts(as_list(fp16), "FP16")
    a8 = load_artifacts(as_list(int8), "INT8")
    return compare(a16, a8, graph, compute)
