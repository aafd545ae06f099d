"""FP16 vs INT8 engines, layer by layer: precision and latency aligned on the ONNX nodes each layer covers.

Alignment: every engine layer is mapped to the ONNX nodes it covers (:mod:`trtdiag.engine.mapping`);
rows of the comparison are ONNX nodes, so differently fused engines line up. Without a model, the
names printed by TensorRT stand in for ONNX nodes; when those do not overlap either (an FP16 export
and a separately exported QAT model number their nodes differently) the compute layers are aligned
by structure (operation family and output shape, in engine order) and each row is a pair of layers.

This module is the pipeline only (load, map, align, run the rules, result); the formats live in
:mod:`trtdiag.engine.formats`, the per-engine result classes in :mod:`trtdiag.engine.summary`.

Latency attribution (stated rule): a layer's average time is shared among the nodes it covers in
proportion to their multiply-accumulates; a layer covering no MatMul/Gemm/Conv shares it equally.
Reformat and Q/DQ layers cover no node: their time is reported per engine and per block (the block
of the layer they feed).
"""

from __future__ import annotations

import csv
import difflib
import io
import json
import os
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from trtdiag.documents.comparison import UNIT_COLUMNS, comparison_document, unit_dict
from trtdiag.engine.artifacts import load_artifacts
from trtdiag.engine.comparison_data import ATTRIBUTION_RULE, Alignment, ComparisonData
from trtdiag.engine.mapping import LayerKind, LayerMapper, LayerMapping, NameMapper
from trtdiag.engine.model import EngineProfile
from trtdiag.engine.overlap import inputs_mismatch, sides_warning
from trtdiag.engine.qdq_fusion import names_qdq, unfused_layers
from trtdiag.engine.summary import BlockRow, EngineArtifacts, EngineSummary, LayerRow, UnitRow
from trtdiag.io.outputs import csv_safe
from trtdiag.lint.explicit import link_lint, lint_for_build
from trtdiag.lint.run import LintResult
from trtdiag.onnx.compute import ComputeProfile, compute_profile
from trtdiag.onnx.graph import GraphIndex, load_graph
from trtdiag.report.html import render_comparison
from trtdiag.rules.base import verdict_failures
from trtdiag.rules.registry import run_comparison_rules
from trtdiag.validate import check_shapes, check_threshold

__all__ = [
    "ATTRIBUTION_RULE", "Alignment", "BlockRow", "Comparison", "EngineArtifacts", "EngineSummary", "LayerRow",
    "UnitRow", "compare", "compare_artifacts", "load_artifacts", "summarize_engine",
]

# pandas is optional (the ``[pandas]`` extra): imported lazily by the ``*_df`` methods only.

@dataclass(frozen=True)
class Comparison(ComparisonData):
    """A comparison with its writers (JSON, HTML, CSV, pandas) and CI gates; the data is :class:`ComparisonData`."""

    def failures(self, fail_on: str = "never", min_speedup: float | None = None) -> list[str]:
        """Why this comparison fails a CI gate (empty: it passes)."""
        check_threshold("min_speedup", min_speedup, 0.0, 1e6)
        out = verdict_failures(self.findings, fail_on)
        if min_speedup is not None and (self.speedup is None or self.speedup + 1e-9 < min_speedup):
            out.append(f"speed-up below {min_speedup:.2f}x")
        return out

    def summary_line(self, report: str | None = None, failures: list[str] | None = None,
                     written: tuple[str, ...] = ()) -> str:
        """One line for CI logs: the speed-up with each engine's time named, the findings, every file written."""
        t16, t8, _ = self.totals()
        speed = (f"INT8 speed-up {t16 / t8:.2f}x (INT8 {t8:.3f} ms vs FP16 {t16:.3f} ms)" if t16 and t8
                 else "no timings")
        parts = [f"trtdiag: {'FAIL: ' if failures else ''}compare: {speed}", f"alignment: {self.alignment}",
                 "findings: " + (", ".join(f.id for f in self.findings) or "none")]
        if report:
            parts.append(f"open {report} in a browser")
        if written:
            parts.append("also wrote: " + ", ".join(written))
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
        """The per-node table as CSV: cells a spreadsheet would run as formulas are neutralised
        (OWASP), MACs stay integers."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(UNIT_COLUMNS)
        for u in self.units:
            row = unit_dict(u)
            writer.writerow(["" if row[c] is None else csv_safe(row[c]) for c in UNIT_COLUMNS])
        return out.getvalue()

    def to_dict(self, *, timestamp: bool = True) -> dict[str, Any]:
        return comparison_document(self, timestamp=timestamp)

    def to_json(self, *, timestamp: bool = True) -> str:
        return json.dumps(self.to_dict(timestamp=timestamp), indent=2, ensure_ascii=False, allow_nan=False) + "\n"

    def to_html(self, *, timestamp: bool = True) -> str:
        return render_comparison(self, timestamp=timestamp)


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


_UNALIGNED = (LayerKind.REFORMAT, LayerKind.QDQ)  # time counted apart, not in the precision totals
_NOT_COUNTED = (LayerKind.NOOP, LayerKind.CONSTANT)  # no precision of their own
_COMPUTING = (LayerKind.COMPUTE, LayerKind.MYELIN)


def _layer_rows(mappings: list[LayerMapping], times: dict[str, float], graph: GraphIndex | None) -> list[LayerRow]:
    by_name = {m.layer.name: m for m in mappings}
    rows: list[LayerRow] = []
    for m in mappings:
        # a reformat belongs to the block of the layer it feeds or drains
        nodes_for_block = by_name[m.target].nodes if not m.nodes and m.target in by_name else m.nodes
        rows.append(LayerRow(m.layer.name, m.kind, m.layer.layer_type, m.precision, m.output_precision, m.nodes,
                             m.method, times.get(m.layer.name), _block_label(graph, nodes_for_block), m.reason,
                             _integer_inputs(m)))
    return rows


_INTEGER_DTYPES = frozenset(("INT32", "INT64", "BOOL", "UINT8"))


def _integer_inputs(m: LayerMapping) -> bool:
    """Does the layer read only integer tensors (an attention mask or indices turned into floats)? Its
    FP32 output is a conversion, not a fallback."""
    dtypes = [t.dtype for t in m.layer.inputs if t.dtype is not None]
    return bool(dtypes) and all(d in _INTEGER_DTYPES for d in dtypes)


def _time_totals(rows: list[LayerRow]) -> dict[str, float]:
    """Summed layer time: all, reformat, qdq, and FP32/INT8 compute (reformat and Q/DQ excluded)."""
    totals = dict.fromkeys(("all", "reformat", "qdq", "fp32", "int8"), 0.0)
    for r in rows:
        t = r.average_ms
        if t is None:
            continue
        totals["all"] += t
        if r.kind is LayerKind.REFORMAT:
            totals["reformat"] += t
        elif r.kind is LayerKind.QDQ:
            totals["qdq"] += t
        elif r.precision in ("FP32", "INT8"):
            totals[r.precision.lower()] += t
    return totals


def _coverage(mappings: list[LayerMapping], graph: GraphIndex | None, compute: ComputeProfile | None
              ) -> tuple[float | None, float | None, float | None]:
    """(node coverage, MAC coverage, INT8 MAC share); None without a model (or without MACs)."""
    node_cov = mac_cov = int8_macs = None
    if graph is not None:
        considered = [n.name for n in graph.nodes if n.op_type != "Constant"]
        covered = {n for m in mappings for n in m.nodes}
        node_cov = len(covered & set(considered)) / len(considered) if considered else None
        if compute is not None and compute.total_macs:
            mac_cov = compute.share(list(covered))
            int8_nodes = [n for m in mappings if m.precision == "INT8" and m.kind is not LayerKind.REFORMAT
                          for n in m.nodes]
            int8_macs = compute.share(int8_nodes)
    return node_cov, mac_cov, int8_macs


def summarize_engine(art: EngineArtifacts, graph: GraphIndex | None, compute: ComputeProfile | None,
                     layer_owner: dict[str, str] | None = None) -> tuple[EngineSummary, list[LayerMapping]]:
    """Map one engine's layers and total its time by kind and precision."""
    layers = art.layers.layers if art.layers else ()
    mappings = (LayerMapper(graph, layer_owner).map_layers(layers) if graph is not None
                else NameMapper().map_layers(layers))
    rows = _layer_rows(mappings, _timings(art.profile), graph)
    totals = _time_totals(rows)
    node_cov, mac_cov, int8_macs = _coverage(mappings, graph, compute)
    perf = art.perf
    summary = EngineSummary(
        label=art.label,
        layers=tuple(rows),
        profile_total_ms=art.profile.total_ms if art.profile else None,
        gpu_compute_median_ms=(perf.gpu_compute_ms.get("median") or perf.gpu_compute_ms.get("mean")) if perf else None,
        latency_median_ms=(perf.latency_ms.get("median") or perf.latency_ms.get("mean")) if perf else None,
        throughput_qps=perf.throughput_qps if perf else None,
        reformat_ms=totals["reformat"], qdq_ms=totals["qdq"], fp32_ms=totals["fp32"], int8_ms=totals["int8"],
        precision_counts=dict(Counter(r.precision or "unknown" for r in rows if r.kind not in _NOT_COUNTED)),
        node_coverage=node_cov, mac_coverage=mac_cov, int8_mac_share=int8_macs,
        int8_time_share=(totals["int8"] / totals["all"]) if totals["all"] else None,
        unmapped=tuple((r.name, r.reason or "") for r in rows if not r.nodes and r.kind in _COMPUTING),
        sources=art.sources, notes=art.notes, explicit_quantization=names_qdq(layers),
    )
    return summary, mappings


NodeTimes = dict[str, tuple[float | None, str, str | None]]  # node -> (attributed ms, layer, precision)


def _node_times(mappings: list[LayerMapping], times: dict[str, float], compute: ComputeProfile | None
                ) -> NodeTimes:
    """node -> (attributed ms, layer name, layer precision), by the attribution rule."""
    out: NodeTimes = {}
    for m in mappings:
        if not m.nodes or m.kind is LayerKind.REFORMAT:
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


def _node_units(graph: GraphIndex, compute: ComputeProfile | None, n16: NodeTimes, n8: NodeTimes) -> list[UnitRow]:
    units: list[UnitRow] = []
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
    return units


def _name_units(n16: NodeTimes, n8: NodeTimes) -> list[UnitRow]:
    units: list[UnitRow] = []
    for name in list(dict.fromkeys([*n16, *n8])):
        a, b = n16.get(name), n8.get(name)
        units.append(UnitRow(name, None, "(no model)", None, None,
                             a[1] if a else None, a[2] if a else None, a[0] if a else None,
                             b[1] if b else None, b[2] if b else None, b[0] if b else None))
    return units


def compare(fp16: EngineArtifacts, int8: EngineArtifacts, graph: GraphIndex | None = None,
            compute: ComputeProfile | None = None, layer_owner: dict[str, str] | None = None,
            lint: LintResult | None = None) -> Comparison:
    """Align two engines of one model and compare them node by node and block by block. With a Q/DQ model the
    unfused layers of the INT8 engine are linked to the lint findings on their nodes (``lint``: reuse a lint run)."""
    s16, m16 = summarize_engine(fp16, graph, compute, layer_owner)
    s8, m8 = summarize_engine(int8, graph, compute, layer_owner)
    t16, t8 = _timings(fp16.profile), _timings(int8.profile)
    n16, n8 = _node_times(m16, t16, compute), _node_times(m8, t8, compute)
    notes: list[str] = []
    common = set(n16) & set(n8)
    if graph is not None:
        alignment = Alignment.ONNX_NODES
        units = _node_units(graph, compute, n16, n8)
    elif common and len(common) >= 0.5 * min(len(n16), len(n8)):
        alignment = Alignment.LAYER_NAMES
        units = _name_units(n16, n8)
    else:
        alignment = Alignment.STRUCTURE
        units = _structural_units(m16, m8, t16, t8)
        notes.append("The two engines share no ONNX node names (different exports, e.g. FP16 vs QAT) and no "
                     "model was given: compute layers were paired by kind and output shape, in engine order.")
    blocks = _blocks(s16, s8, graph, n16, n8)
    mismatch = inputs_mismatch(fp16, int8, (s16, s8), graph is not None)
    sides = sides_warning((s16, s8))
    for first in (sides[0] if sides else None, mismatch):
        if first:
            notes.insert(0, first)
    comp = Comparison(fp16=s16, int8=s8, alignment=alignment, units=tuple(units), blocks=tuple(blocks),
                      notes=tuple(notes), model=graph.path if graph else None)
    findings = run_comparison_rules(comp, graph, compute)
    unfused = unfused_layers(s8, graph)
    if unfused and lint is None:
        lint = lint_for_build(graph, compute)
    return Comparison(fp16=s16, int8=s8, alignment=alignment, units=tuple(units), blocks=tuple(blocks),
                      findings=findings, notes=tuple(notes), model=graph.path if graph else None,
                      linked_lint=link_lint(unfused, lint), mismatch=mismatch,
                      sides_warning=sides[0] if sides else None, swapped=bool(sides and sides[1]))


#: Operation family of a compute layer, from its type and name: what structural alignment pairs on
#: (with the output shape). Not a :class:`LayerKind`: every layer paired here is compute or Myelin.
_OP_FAMILY = (
    ("conv", re.compile(r"(?i)conv")),
    ("gemm", re.compile(r"(?i)gemm|matmul|matrixmultiply|fullyconnected")),
    ("pool", re.compile(r"(?i)pool")),
    ("elementwise", re.compile(r"(?i)elementwise|pointwise|eltwise")),
    ("softmax", re.compile(r"(?i)softmax")),
    ("myelin", re.compile(r"(?i)myelin|foreign")),
)


def _signature(m: LayerMapping) -> tuple[str, tuple[int, ...] | None]:
    """(operation family, first output's dims): two engines' layers pair when these are equal."""
    text = f"{m.layer.layer_type or ''} {m.layer.name}"
    family = next((k for k, rx in _OP_FAMILY if rx.search(text)), "other")
    dims = m.layer.outputs[0].dims if m.layer.outputs else None
    return family, dims


def _structural_units(m16: list[LayerMapping], m8: list[LayerMapping], t16: dict[str, float],
                      t8: dict[str, float]) -> list[UnitRow]:
    a = [m for m in m16 if m.kind in _COMPUTING]
    b = [m for m in m8 if m.kind in _COMPUTING]
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
            n16: NodeTimes, n8: NodeTimes) -> list[BlockRow]:
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
            if r.kind is LayerKind.REFORMAT:
                reformat[key] = reformat.get(key, 0.0) + (r.average_ms or 0.0)
            elif graph is None and r.kind in (*_COMPUTING, LayerKind.QDQ, LayerKind.COPY):
                precisions.setdefault(key, Counter())[r.precision or "unknown"] += 1
            if graph is None and r.kind in (LayerKind.QDQ, LayerKind.COPY) and not r.nodes:
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
    def as_list(x: Any) -> list[Any]:
        return list(x) if isinstance(x, list | tuple) else [x]

    graph = load_graph(model) if model is not None else None
    compute = compute_profile(graph.structure, graph.inputs, check_shapes(shapes)) \
        if graph is not None else None
    a16 = load_artifacts(as_list(fp16), "FP16")
    a8 = load_artifacts(as_list(int8), "INT8")
    return compare(a16, a8, graph, compute)
