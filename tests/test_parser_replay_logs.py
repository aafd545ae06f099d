"""Counter replay against verbose parse logs, where the log's registrations are the ground truth.

Real TensorRT logs from the corpus beside the project (skipped when it is absent) and the project's
own XLM-R verbose fixture (written by fixtures/make_logs.py, which simulates the parser itself: it
is a consistency check, not evidence about TensorRT).
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import onnx
from onnx import TensorProto, helper

from trtdiag.log.collector import read_log
from trtdiag.naming import BY_VERBOSE, map_missing_scales
from trtdiag.onnx.graph import load_graph
from trtdiag.parser_replay.attribute import confidence
from trtdiag.parser_replay.fit import fit_offsets, observed_numbers
from trtdiag.parser_replay.increments import MODEL_10_0, MODEL_10_16, ParserModel
from trtdiag.parser_replay.replay import ReplayResult, replay
from trtdiag.parser_replay.rgraph import from_onnx, from_verbose_log
from trtdiag.parser_replay.verify import compare, logged_registrations

from .conftest import LOGS, artifact

MODELS = Path(__file__).resolve().parents[1] / "fixtures" / "models"


def _replay(path: Path, model: ParserModel) -> tuple[list[str], ReplayResult]:
    lines = path.read_text(errors="replace").splitlines()
    return lines, replay(from_verbose_log(lines), model)


def _logged_broadcasts(lines: list[str]) -> list[str]:
    return [n for layers, _ in logged_registrations(lines).values() for n in layers
            if n.startswith("ONNXTRT_Broadcast")]


def test_trt_10_14_log_reproduced_exactly(corpus_logs):
    lines, r = _replay(artifact(corpus_logs, "096"), MODEL_10_0)
    checked, mismatches = compare(r, lines)
    assert (r.nodes_replayed, checked, mismatches) == (11, 11, ())
    assert r.stopped_at == "node_argmax"  # ArgMax is not modelled: the replay stops there
    assert [b.number for b in r.broadcasts] == [None, 2]
    assert _logged_broadcasts(lines) == ["ONNXTRT_Broadcast", "ONNXTRT_Broadcast_2"]
    fit = fit_offsets(observed_numbers(_logged_broadcasts(lines)), r)
    assert fit.offset == 0 and fit.attribution["ONNXTRT_Broadcast_2"].node == "node_linear_1"


def test_trt_10_16_logs_need_their_own_model(corpus_logs):
    for number in ("097", "109"):
        lines, r = _replay(artifact(corpus_logs, number), MODEL_10_16)
        assert compare(r, lines) == (11, ())
        assert [b.number for b in r.broadcasts] == [None, 4]
        _, old = _replay(artifact(corpus_logs, number), MODEL_10_0)
        assert compare(old, lines)[1]  # the 10.1 importers do not describe 10.16's Gemm


def _shifted(predicted: tuple[str, ...], logged: tuple[str, ...], k: int) -> bool:
    """Each predicted name equals the logged one, or does once its counter suffix is lowered by k."""
    def lower(name: str) -> str:
        m = re.match(r"^(.+)_(\d+)$", name)
        return f"{m.group(1)}_{int(m.group(2)) - k}" if m else name

    return len(predicted) == len(logged) and all(p == q or lower(p) == q
                                                 for p, q in zip(predicted, logged, strict=True))


def test_project_xlmr_verbose_fixture_whole_graph():
    """The fixture log comes from fixtures/make_logs.py, an independent simulation of the same parser.
    The replay (with the model's constant values, which a verbose log does not print) runs through all
    198 nodes and agrees with it except in two places where the simulation departs from the source:
    Expand's ``broadcast()`` evaluates ``min`` before ``max`` here (right-to-left argument evaluation,
    ShapeTensor.cpp:323-329), and CumSum's ``createZeroTensor`` broadcasts its rank-0 zero
    (importerUtils.cpp:399-413, ``Dims{0, {1}}`` is rank 0), two counter bumps the simulation leaves out;
    every later node matches with its numbers shifted by those two."""
    lines = (LOGS / "xlmr_verbose_parse_trt10.log").read_text().splitlines()
    model = from_onnx(onnx.load(str(MODELS / "xlmr_tiny_ts_op17.onnx")))
    g = from_verbose_log(lines)
    g = dataclasses.replace(g, values=model.values, opset=17, tensors={**model.tensors, **g.tensors})
    r = replay(g, MODEL_10_0)
    checked, mismatches = compare(r, lines)
    assert r.complete and checked == r.nodes_replayed == 198
    assert [m.node for m in mismatches][:3] == ["/Expand", "/embeddings/CumSum", "/embeddings/Add"]
    def bases(names: tuple[str, ...]) -> list[str]:
        return sorted(re.sub(r"_\d+$", "", n) for n in names)

    assert bases(mismatches[0].expected) == bases(mismatches[0].predicted)  # same layers, other order
    assert mismatches[0].expected[-1] == mismatches[0].predicted[-1] == "/Expand"
    assert all(_shifted(m.predicted, m.expected, 2) for m in mismatches[2:])


def test_verbose_log_wins_over_the_replay(tmp_path):
    """The replay would name LayerNormalization "ln"; the verbose block says "add" and is kept."""
    f = TensorProto.FLOAT
    nodes = [helper.make_node("LayerNormalization", ["x", "w", "b"], ["y1"], name="ln"),
             helper.make_node("Add", ["y1", "b2"], ["y2"], name="add")]
    inits = [helper.make_tensor(n, f, [8], [0.0] * 8) for n in ("w", "b", "b2")]
    g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", f, [1, 4, 8])],
                          [helper.make_tensor_value_info("y2", f, [1, 4, 8])], inits)
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), str(tmp_path / "m.onnx"))
    p = "[01/01/2026-00:00:00] [TRT] "
    (tmp_path / "b.log").write_text(
        f"{p}[I] TensorRT version: 10.1.0\n{p}[V] Parsing node: add [Add]\n"
        f"{p}[V] Registering layer: ONNXTRT_Broadcast_2 required by ONNX-TRT\n"
        f"{p}[W] Missing scale and zero-point for tensor ONNXTRT_Broadcast_2_output, expect fall back to "
        "non-int8 implementation for any layer consuming or producing given tensor\n")
    row = map_missing_scales(read_log(tmp_path / "b.log"), load_graph(tmp_path / "m.onnx")).tensors[0]
    assert (row.onnx_node, row.mapped_by) == ("add", BY_VERBOSE)


def _cache_owner(entries: dict[str, str], n: int) -> set[str]:
    """The weights whose constant-layer output has the same calibration scale as ``ONNXTRT_Broadcast_n``:
    a broadcast is a reshape of one constant, so TensorRT gives both one scale (independent of the replay)."""
    scale = entries[f"ONNXTRT_Broadcast_{n}_output"]
    return {k[: -len("_output")] for k, v in entries.items()
            if v == scale and k.endswith("_output") and not k.startswith("ONNXTRT_")
            and (not k.startswith("/") or k.endswith("_output_0_output"))}


def _same_weights(replayed: str, owners: set[str]) -> bool:
    if replayed.startswith("onnx::MatMul_"):  # exporter-numbered: compare the kind only
        return any(o.startswith("onnx::MatMul_") for o in owners)
    return any(o.replace("bert.", "", 1).replace("/bert/", "/", 1) == replayed for o in owners)


def test_real_bert_calibration_cache_window(corpus_logs):
    """A real TensorRT 10.10 calibration cache of a 2-layer BERT (TorchScript export, opset 17) lists 37
    ONNXTRT_Broadcast numbers. The project's BERT fixture has the same embeddings, LayerNorms and
    feed-forward blocks but eager attention, whereas the cache's model computes the attention scale with
    torch's SDPA export (Sqrt/Cast nodes): its per-block period is 86 (194 - 108), the fixture's 56, so no
    single offset fits all 37 and the fit refuses. Inside one stretch the registrations are the same: with
    offset 74, the 11 numbers from layer 0's attention output dense to layer 1's query (two LayerNorms in
    between, whose broadcasts the cache does not list) land on predicted broadcasts of the same weights."""
    lines = artifact(corpus_logs, "042").read_text().splitlines()[1:]
    entries = dict(line.rsplit(": ", 1) for line in lines)
    observed = observed_numbers(entries)
    r = replay(from_onnx(onnx.load(str(MODELS / "bert_tiny_ts_op17.onnx"))), MODEL_10_0)
    assert r.complete and len(observed) == 37
    assert not fit_offsets(observed, r).ok
    predicted = {b.number: b for b in r.broadcasts}
    window = sorted(n for n in observed if n is not None and 164 <= n <= 196)
    assert window == [164, 166, 174, 176, 178, 180, 182, 184, 186, 194, 196]
    assert all(n - 74 in predicted and _same_weights(predicted[n - 74].operand, _cache_owner(entries, n))
               for n in window)
    query = {b.node: b.number for b in r.broadcasts if b.node.endswith("/attention/self/query/MatMul")}
    fixture_period = query["/encoder/layer.1/attention/self/query/MatMul"] - query[
        "/encoder/layer.0/attention/self/query/MatMul"]
    cache_period = 194 - 108  # layer 1's and layer 0's query weight broadcasts, by their scales
    assert _same_weights("onnx::MatMul_", _cache_owner(entries, 108)) and (fixture_period, cache_period) == (56, 86)


def test_real_non_verbose_log_of_the_same_model(corpus_logs):
    """106 is a non-verbose Polygraphy INT8 build of the cookbook CNN whose 10.16 verbose parse is 097: its
    one helper number lands, with offset 0 under the 10.16 entry, on the Gemm bias broadcast that 097's
    registrations name. One number is weak evidence (a lone number fits wherever a broadcast is), which the
    confidence says."""
    lines, r = _replay(artifact(corpus_logs, "097"), MODEL_10_16)
    logged = logged_registrations(lines)
    owner = next(node for node, (layers, _) in logged.items() if "ONNXTRT_Broadcast_4" in layers)
    warned = [ms.tensor for ms in read_log(artifact(corpus_logs, "106")).missing_scale]
    fit = fit_offsets(observed_numbers(t.rsplit("_output", 1)[0] for t in warned), r)
    assert fit.offset == 0 and fit.attribution["ONNXTRT_Broadcast_4"].node == owner == "node_linear_1"
    assert confidence(fit).startswith("medium: offset 0, 1/1")
