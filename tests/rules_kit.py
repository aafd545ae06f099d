"""In-memory builders for rule contexts: log facts, mapped tensors, a tiny graph, engine summaries.

Rule unit tests build exactly the situation a rule looks for, without reading a log, a model or an
engine file, so each runs in milliseconds.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from trtdiag.comparison import Comparison, EngineSummary, LayerRow
from trtdiag.io.scan import ReadStats
from trtdiag.log.facts import BuildConfig, CalibrationSummary, Event, LogFacts
from trtdiag.naming import ACTIVATION, BY_EXACT, MappedTensor, MappingSummary
from trtdiag.onnx.compute import ComputeProfile
from trtdiag.onnx.graph import GraphIndex, Module, NodeInfo, TransformerInfo
from trtdiag.rules.cache_check import CacheCheck
from trtdiag.rules.context import BuildContext, EngineContext

_READ = ReadStats(path="b.log", size_bytes=0, compressed=False, lines=0, candidate_lines=0, crlf=False,
                  undecodable_lines=0, ends_with_newline=True, truncated_stream=False, scanner="test")


def event(kind: str, line: int = 1, text: str = "") -> Event:
    return Event(kind, line, text or kind)


def facts(*, calibration_events: tuple[Event, ...] = (), calibration_started: int | None = None,
          trt11: tuple[Event, ...] = (), deprecations: tuple[Event, ...] = (), plugins: tuple[Event, ...] = (),
          **build: Any) -> LogFacts:
    """Log facts with the given :class:`BuildConfig` fields and events; no warnings of its own."""
    calibration = CalibrationSummary(calibration_started, None, 0, 0.0, None, None, calibration_events)
    return LogFacts(read=_READ, build=BuildConfig(**build), missing_scale=(), warning_order=(), no_int8_impl=(),
                    calibration=calibration, parsed_nodes=(), registrations=(), tensor_registrations=(),
                    network_inputs=(), network_outputs=(), trt11=trt11, deprecations=deprecations,
                    plugins=plugins, layer_info_lines=0, truncated=False, truncation_reason=None)


def tensor(name: str, *, cls: str = ACTIVATION, node: str | None = None, consumers: tuple[str, ...] = (),
           block: int | None = None, integer: bool = False, weight: bool = False, line: int = 10) -> MappedTensor:
    """A warned tensor as the name mapper would have produced it."""
    return MappedTensor(tensor=name, count=1, first_line=line, lines=(line,), wording="scale-and-zero-point",
                        cls=cls, onnx_tensor=name, onnx_node=node, op_type=None, onnx_consumers=consumers,
                        block=block, submodule=None, mapped_by=BY_EXACT, dtype="INT64" if integer else "FLOAT",
                        is_integer=integer, weight_path=weight, reason=None)


def mapping(*tensors: MappedTensor, mismatch_reason: str | None = None) -> MappingSummary:
    return MappingSummary(tensors=tensors, nameable=len(tensors), found=len(tensors), registrations_checked=0,
                          registrations_found=0, mismatch=mismatch_reason is not None, mismatch_reason=mismatch_reason)


def graph(nodes: list[tuple[str, str, tuple[str, ...], tuple[str, ...]]], *, blocks: dict[str, int] | None = None,
          domains: dict[str, str] | None = None, initializers: tuple[str, ...] = (),
          inputs: dict[str, str] | None = None, softmax_blocks: int = 0, qdq: int = 0) -> GraphIndex:
    """A graph of ``(name, op_type, inputs, outputs)`` nodes; ``blocks`` puts nodes in encoder blocks, and
    ``softmax_blocks`` > 0 marks it as a transformer with that many attention blocks."""
    infos = tuple(NodeInfo(n, op, i, ins, outs, (domains or {}).get(n, ""))
                  for i, (n, op, ins, outs) in enumerate(nodes))
    producer = {t: n.index for n in infos for t in n.outputs}
    consumers: dict[str, list[int]] = {}
    for n in infos:
        for t in n.inputs:
            consumers.setdefault(t, []).append(n.index)
    graph_inputs = {k: (v, (1, 8)) for k, v in (inputs or {"x": "FLOAT"}).items()}
    softmax = tuple(n.name for n in infos if n.op_type == "Softmax")
    return GraphIndex(
        path="m.onnx", producer_name="test", producer_version="0", opset=17, ir_version=8, nodes=infos,
        node_by_name={n.name: n.index for n in infos}, producer=producer,
        consumers={k: tuple(v) for k, v in consumers.items()},
        initializers={w: ("FLOAT", (8, 8)) for w in initializers}, external_initializers=0, constant_outputs={},
        inputs=graph_inputs, outputs=(infos[-1].outputs[0],) if infos else (),
        dtypes={**{k: v[0] for k, v in graph_inputs.items()}, **{t: "FLOAT" for t in producer}},
        modules={n: Module(b, "attention", "name") for n, b in (blocks or {}).items()},
        op_counts={}, transformer=TransformerInfo(softmax_blocks > 0, softmax_blocks, softmax_blocks,
                                                  softmax_blocks, softmax if softmax_blocks else ()),
        qdq_nodes=qdq, structure=None,  # rules never read the model proto
    )


def encoder() -> GraphIndex:
    """One attention block: x -> query MatMul -> Softmax -> context MatMul -> LayerNorm -> y."""
    return graph(
        [("q", "MatMul", ("x", "w_q"), ("q_out",)), ("sm", "Softmax", ("q_out",), ("p",)),
         ("ctx", "MatMul", ("p", "v"), ("c",)), ("ln", "LayerNormalization", ("c", "g", "b"), ("y",))],
        blocks={"q": 0, "sm": 0, "ctx": 0, "ln": 0}, initializers=("w_q", "v", "g", "b"), softmax_blocks=1,
        inputs={"x": "FLOAT", "input_ids": "INT64"},
    )


def compute(macs: dict[str, int]) -> ComputeProfile:
    return ComputeProfile({}, "defaults", macs, (), sum(macs.values()), ())


def build_ctx(f: LogFacts | None = None, *tensors: MappedTensor, g: GraphIndex | None = None,
              mismatch_reason: str | None = None, cache_check: CacheCheck | None = None,
              macs: dict[str, int] | None = None) -> BuildContext:
    return BuildContext(facts=f or facts(), graph=g, mapping=mapping(*tensors, mismatch_reason=mismatch_reason),
                        model_path=g.path if g else None, compute=compute(macs) if macs else None,
                        cache_check=cache_check)


def layer(name: str, *, kind: str = "compute", precision: str | None = "INT8", nodes: tuple[str, ...] = (),
          ms: float | None = 0.1, layer_type: str | None = None) -> LayerRow:
    return LayerRow(name=name, kind=kind, layer_type=layer_type, precision=precision, output_precision=precision,
                    nodes=nodes, method="test", average_ms=ms, block="0")


def engine(label: str, *layers: LayerRow) -> EngineSummary:
    """An engine summary whose totals and per-kind times are those of its layers."""
    def total(pred: Any) -> float:
        return sum(r.average_ms or 0 for r in layers if pred(r))

    return EngineSummary(
        label=label, layers=layers, profile_total_ms=total(lambda r: True) or None, gpu_compute_median_ms=None,
        latency_median_ms=None, throughput_qps=None, reformat_ms=total(lambda r: r.kind == "reformat"),
        qdq_ms=total(lambda r: r.kind == "qdq"), fp32_ms=total(lambda r: r.precision == "FP32"),
        int8_ms=total(lambda r: r.precision == "INT8"), precision_counts={}, node_coverage=None, mac_coverage=None,
        int8_mac_share=None, int8_time_share=None, unmapped=(), sources=(),
    )


def engine_ctx(fp16: EngineSummary, int8: EngineSummary, *, g: GraphIndex | None = None,
               macs: dict[str, int] | None = None) -> EngineContext:
    comparison = Comparison(fp16=fp16, int8=int8, alignment="onnx-nodes", units=(), blocks=())
    return EngineContext(comparison, g, compute(macs) if macs else None)


def with_build(f: LogFacts, **build: Any) -> LogFacts:
    return replace(f, build=replace(f.build, **build))

