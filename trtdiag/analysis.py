"""``analyze(log, model)``: the pipeline from artifacts to an :class:`Analysis` (and its JSON/HTML).

Stages pass plain frozen data: log facts -> graph index -> mapped tensors -> findings -> verdict.
This module only runs the pipeline: the JSON document is declared in ``trtdiag/documents/analysis.py``
and the HTML report renders that document (``trtdiag/report/html.py``).

Optional and imported lazily: pandas (the ``*_df`` tables only; slow to import and not needed for
JSON or HTML).
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from types import ModuleType
from typing import TYPE_CHECKING, Any

from trtdiag.accuracy.join import with_log_findings
from trtdiag.accuracy.pipeline import accuracy_from_outputs
from trtdiag.accuracy.result import AccuracyResult
from trtdiag.analysis_data import AnalysisData, Verdict, by_severity
from trtdiag.bulk import gc_paused, without_gc_pauses
from trtdiag.calib.cache import CalibrationCache, read_calibration_cache
from trtdiag.comparison import Comparison, compare, summarize_engine
from trtdiag.documents.analysis import TENSOR_COLUMNS, analysis_document, tensor_row
from trtdiag.documents.stream import iter_json
from trtdiag.engine.artifacts import LogScan, Role, load_artifacts, sniff_file
from trtdiag.engine.summary import EngineArtifacts, EngineSummary
from trtdiag.errors import InputError
from trtdiag.findings import Finding
from trtdiag.lint.explicit import joined_findings, lint_for_build
from trtdiag.lint.run import LintResult
from trtdiag.log.collector import require_tensorrt_lines
from trtdiag.log.facts import LogFacts
from trtdiag.log_pass import read_log_pass
from trtdiag.naming import BY_NONE, CLASSES, MappingSummary, ParseContext, map_missing_scales
from trtdiag.onnx.compute import ComputeProfile, compute_profile
from trtdiag.onnx.graph import GraphIndex, load_graph
from trtdiag.report.html import analysis_html
from trtdiag.rules.base import verdict_failures
from trtdiag.rules.cache_check import check_cache
from trtdiag.rules.context import BuildContext
from trtdiag.rules.quantization import quantization_mode
from trtdiag.rules.registry import run_int8_engine_rules, run_rules
from trtdiag.transformer_view import build_grid
from trtdiag.validate import check_shapes, check_threshold

if TYPE_CHECKING:
    import pandas as pd  # third-party edge: pandas ships no type information


def _pandas() -> ModuleType:
    """pandas on first use: optional, and slower to import than a whole analysis of a small log."""
    import pandas  # third-party edge, as above

    return pandas


@dataclass(frozen=True)
class Analysis(AnalysisData):
    """An analysis with its tables (pandas), CI gates, summary line and JSON/HTML writers."""

    # -- tables (pandas at the edges)
    def tensors_df(self) -> pd.DataFrame:
        """Warned tensors as a pandas DataFrame (one row per tensor, the JSON document's columns)."""
        rows = [tensor_row(t) for t in self.mapping.tensors]
        return _pandas().DataFrame(rows, columns=list(TENSOR_COLUMNS))

    def nodes_df(self) -> pd.DataFrame:
        """ONNX nodes: op, block, sub-module, MACs, warned tensors touching them, kept out of INT8."""
        pd = _pandas()
        columns = ["node", "op_type", "block", "submodule", "macs", "warned_tensors", "int8_blocked"]
        if self.graph is None:
            return pd.DataFrame(columns=columns)
        touching: Counter[str] = Counter()
        for t in self.mapping.tensors:
            touching.update(n for n in {t.onnx_node, *t.onnx_consumers} if n is not None)
        blocked = set(self.blocked_gemms)
        rows = []
        for node in self.graph.nodes:
            m = self.graph.module_of_node(node.name)
            rows.append([node.name, node.op_type, m.block if m else None, m.submodule if m else None,
                         self.compute.macs.get(node.name) if self.compute else None, touching.get(node.name, 0),
                         node.name in blocked])
        return pd.DataFrame(rows, columns=columns)

    def blocks_df(self) -> pd.DataFrame:
        """The block x sub-module grid as a table (empty for non-transformers or without a model)."""
        pd = _pandas()
        columns = ["row", "column", "warned", "warned_activations", "gemm_macs", "mac_share", "blocked_share",
                   "state"]
        if self.grid is None:
            return pd.DataFrame(columns=columns)
        return pd.DataFrame([[getattr(c, k) for k in columns] for c in self.grid.cells], columns=columns)

    def layers_df(self) -> pd.DataFrame:
        """Engine layers of both engines when a comparison was made (else empty)."""
        if not isinstance(self.comparison, Comparison):  # the pipeline always builds a Comparison
            return _pandas().DataFrame()
        return self.comparison.layers_df()

    # -- CI verdict
    def failures(self, fail_on: str = "never", min_int8_mac_share: float | None = None) -> list[str]:
        """Why this analysis fails a CI gate (empty: it passes); the CLI's exit code 1 comes from here."""
        check_threshold("min_int8_mac_share", min_int8_mac_share, 0.0, 1.0)
        out = verdict_failures(self.verdict_findings, fail_on)
        if min_int8_mac_share is not None:
            share = self.int8_blocked_share
            if share is None:
                out.append("INT8 MAC share unknown (give the ONNX model)")
            elif (1.0 - share) + 1e-9 < min_int8_mac_share:
                out.append(f"INT8 covers {(1.0 - share) * 100:.1f}% of MACs < {min_int8_mac_share * 100:.1f}%")
        return out

    def summary_line(self, report: str | None = None, json_path: str | None = None,
                     failures: list[str] | None = None) -> str:
        """One line for CI logs: verdict, INT8-blocked MACs, counts, findings, outputs, failed gates."""
        parts = [f"trtdiag: {'FAIL: ' if failures else ''}{_summary_verdict(self)}"]
        if self.int8_blocked_share is not None:
            basis = f" ({self.int8_blocked_basis})" if self.int8_blocked_basis else ""
            parts.append(f"INT8-blocked MACs: {self.int8_blocked_share * 100:.1f}%{basis}")
        if self.log.missing_scale:
            parts.append(f"{len(self.log.missing_scale)} tensors lacked INT8 scales")
        if self.verdict_findings:
            parts.append("findings: " + ", ".join(f.id for f in self.verdict_findings))
        if report:
            parts.append(f"open {report} in a browser")
        if json_path:
            parts.append(f"json: {json_path}")
        if failures:
            parts.append("failed: " + "; ".join(failures))
        return " | ".join(parts)

    # -- documents
    def to_dict(self, *, timestamp: bool = True) -> dict[str, Any]:
        """The ``trtdiag.analysis/1`` document (declared in ``trtdiag/documents/analysis.py``)."""
        return analysis_document(self, timestamp=timestamp)

    def document(self, *, timestamp: bool = True) -> dict[str, Any]:
        """The document with its per-tensor rows as a view built when read: what the writers take (a
        million warned tensors never become a million dicts at once). Plain data: use :meth:`to_dict`."""
        return analysis_document(self, timestamp=timestamp, rows=False)

    def json_chunks(self, *, timestamp: bool = True, doc: dict[str, Any] | None = None) -> Iterator[str]:
        """:meth:`to_json` in pieces, for writing a large document without holding its text (``doc``: the
        :meth:`document` already built for the HTML report, so both outputs show the same document)."""
        with gc_paused():  # see trtdiag/bulk.py: the analysis holds a million objects the collector would walk
            yield from iter_json(doc if doc is not None else self.document(timestamp=timestamp))

    def to_json(self, *, timestamp: bool = True, indent: int = 2) -> str:
        if indent != 2:
            return json.dumps(self.to_dict(timestamp=timestamp), indent=indent, ensure_ascii=False,
                              allow_nan=False) + "\n"
        return "".join(self.json_chunks(timestamp=timestamp))

    def to_html(self, *, timestamp: bool = True, doc: dict[str, Any] | None = None) -> str:
        """The HTML report, rendered from the same document as :meth:`to_json`."""
        with gc_paused():
            return analysis_html(doc if doc is not None else self.document(timestamp=timestamp))



def _summary_verdict(a: Analysis) -> str:
    """``severity: headline``; a truncated log never reads "ok": the verdict covers only the part read."""
    v = a.verdict
    # "verdict:", never "error:" alone: "trtdiag: error:" is the CLI's prefix for failures of the tool itself
    if not a.truncated:
        return f"verdict: {v.severity} \u2014 {v.headline}"
    severity = "incomplete" if v.severity in ("ok", "info") else v.severity
    return (f"verdict: {severity} \u2014 log truncated ({a.log.truncation_reason}), verdict on the part read: "
            f"{v.headline}")


@without_gc_pauses
def analyze(
    log: str | os.PathLike[str],
    model: str | os.PathLike[str] | None = None,
    *,
    shapes: str | dict[str, tuple[int, ...]] | None = None,
    calib_cache: str | os.PathLike[str] | None = None,
    scanner: str = "auto",
    allow_truncated: bool = False,
    on_progress: Callable[[int], None] | None = None,
    fp16: list[str | os.PathLike[str]] | None = None,
    int8: list[str | os.PathLike[str]] | None = None,
    fp16_layers: str | os.PathLike[str] | None = None,
    int8_layers: str | os.PathLike[str] | None = None,
    fp16_profile: str | os.PathLike[str] | None = None,
    int8_profile: str | os.PathLike[str] | None = None,
    outputs: list[str | os.PathLike[str]] | None = None,
    build: int | None = None,
) -> Analysis:
    """Analyse a TensorRT build log and, if given, the ONNX model it was built from.

    ``shapes`` (trtexec ``--shapes`` syntax or a dict) sets the input shapes used to weigh findings
    by compute; ``calib_cache`` is a TensorRT or ONNX Runtime calibration cache to check. With
    ``allow_truncated`` a log that ends early yields a partial analysis (``.truncated`` is True)
    instead of raising :class:`~trtdiag.errors.TruncatedInputError`.

    Engine artifacts (``fp16``/``int8`` lists of files or folders, or the single-file
    ``*_layers``/``*_profile`` options) add an FP16-vs-INT8 comparison; the INT8 side defaults to the
    build log itself when it holds Engine Layer Information.

    ``outputs`` (Polygraphy RunResults JSON or ``.npz`` files) add the accuracy comparison: the findings of
    the outputs join the log's (:func:`with_accuracy`).

    A log of several builds is analysed for its last build, or for ``build`` (1-based);
    ``Analysis.log.builds`` lists them all.
    """
    graph = load_graph(model) if model is not None else None  # fail fast on bad inputs
    if shapes is not None and graph is None:
        raise InputError("--shapes needs the ONNX model (the shapes weigh its MatMul/Gemm/Conv nodes)")
    parsed = check_shapes(shapes)
    cache = read_calibration_cache(calib_cache) if calib_cache is not None else None
    compute = compute_profile(graph.structure, graph.inputs, parsed) if graph is not None else None
    fp16_paths = [*(fp16 or []), *([fp16_layers] if fp16_layers else []), *([fp16_profile] if fp16_profile else [])]
    int8_paths = [*(int8 or []), *([int8_layers] if int8_layers else []), *([int8_profile] if int8_profile else [])]
    # The log is streamed once: its engine listings, profiles and summaries are read by the same pass as
    # its messages, whether or not a comparison was asked for (the verdict weighs the layer precisions).
    facts, scanned = read_log_pass(log, scanner=scanner, on_progress=on_progress, build=build,
                                   allow_truncated=allow_truncated)
    require_tensorrt_lines(facts)  # a README, a cache or a layer JSON given as the log: exit 2, with a hint
    comparison, engine, engine_findings = _engines(log, facts, scanned, fp16_paths, int8_paths, graph, compute,
                                                   cache)
    result = analyze_facts(facts, graph, compute=compute, cache=cache, engine=engine,
                           engine_findings=engine_findings, comparison=comparison)
    if outputs:
        model_path = os.fspath(model) if model is not None else None
        result = with_accuracy(result, accuracy_from_outputs([os.fspath(p) for p in outputs], model=model_path,
                                                             graph=graph))
    return result


def _engines(log: str | os.PathLike[str], facts: LogFacts, scanned: LogScan,
             fp16_paths: list[str | os.PathLike[str]], int8_paths: list[str | os.PathLike[str]],
             graph: GraphIndex | None, compute: ComputeProfile | None, cache: CalibrationCache | None,
             ) -> tuple[Comparison | None, EngineSummary | None, tuple[Finding, ...]]:
    """The FP16-vs-INT8 comparison (with FP16 artifacts), the INT8 engine the report shows, and the
    findings of the rules that need only the INT8 engine."""
    owner = ParseContext.from_log(facts).layer_owner
    if fp16_paths and facts.layer_info_lines and Role.LAYERS in scanned.found() and not _has_layers(int8_paths):
        int8_paths = [*int8_paths, log]  # the engine this log built: its listing, with any INT8 profile given
    comparison = alone = None
    if fp16_paths:
        if not int8_paths:
            raise InputError("a comparison needs artifacts of both engines (--fp16-* and --int8-*, or an INT8 build "
                             "log with Engine Layer Information)")
        comparison = compare(load_artifacts(fp16_paths, "FP16", scanned), load_artifacts(int8_paths, "INT8", scanned),
                             graph, compute, owner, lint=_lint(facts, graph, compute, cache))
    elif int8_paths:  # the INT8 engine alone: judged by the rules that need no FP16 engine
        alone = load_artifacts(int8_paths, "INT8", scanned)
    engine, engine_findings = _log_engine(facts, alone or scanned.artifacts("INT8"), graph, compute, owner,
                                          comparison)
    return comparison, engine, engine_findings


def _has_layers(paths: list[str | os.PathLike[str]]) -> bool:
    """Does any given INT8 artifact file hold a layer listing (folders are taken to hold one)?"""
    return any(os.path.isdir(p) or any(f.role is Role.LAYERS for f in sniff_file(p)) for p in paths)


def _log_engine(facts: LogFacts, art: EngineArtifacts | None, graph: GraphIndex | None,
                compute: ComputeProfile | None, owner: dict[str, str], comparison: Comparison | None
                ) -> tuple[EngineSummary | None, tuple[Finding, ...]]:
    """The INT8 engine the report shows, and the findings of the rules that need only it.

    With a comparison its INT8 side is the engine (its rules ran inside the comparison); otherwise
    ``art``: the ``--int8-*`` artifacts, or the layer listing printed in the build log, judged only when
    the log shows an INT8 build."""
    if comparison is not None:
        return comparison.int8, ()
    if art is None or art.layers is None:
        return None, ()
    summary, _ = summarize_engine(art, graph, compute, owner)
    if not facts.has_int8_build:
        return summary, ()
    return summary, run_int8_engine_rules(summary, graph, compute)


def with_accuracy(a: Analysis, accuracy: AccuracyResult) -> Analysis:
    """The analysis with an accuracy comparison joined: one list of findings (the outputs' evidence merged
    into the log's root cause, see :mod:`trtdiag.accuracy.join`) and the verdict recomputed from it. The
    embedded accuracy document is the one ``trtdiag accuracy --log`` writes (the same joined findings)."""
    joined = with_log_findings(accuracy, a.findings, a.log.read.path)
    updated = replace(a, findings=joined.findings, accuracy=joined)
    verdict = _verdict(a.log, a.mapping, updated.verdict_findings, _blocked(updated),
                       engines_found=bool(a.comparison and a.comparison.findings))
    return replace(updated, verdict=verdict)


def _lint(facts: LogFacts, graph: GraphIndex | None, compute: ComputeProfile | None,
          cache: CalibrationCache | None) -> LintResult | None:
    """The lint of an explicitly quantized model, for the comparison to link its layers to (None otherwise)."""
    # Whether a calibrator was used reads the build and the cache, not the warned tensors: no mapping needed
    # (analyze_facts maps them once, for the rules)
    ctx = BuildContext(facts=facts, graph=graph, mapping=MappingSummary((), 0, 0, 0, 0, False, None),
                       compute=compute, cache_check=check_cache(cache, graph, facts) if cache is not None else None)
    return lint_for_build(graph, compute, calibrator_used=ctx.calibrator_used)


def analyze_facts(facts: LogFacts, graph: GraphIndex | None, *, compute: ComputeProfile | None = None,
                  cache: CalibrationCache | None = None, engine: EngineSummary | None = None,
                  engine_findings: tuple[Finding, ...] = (), comparison: Comparison | None = None) -> Analysis:
    """Diagnose already-read log facts against an optional graph, compute profile and cache.

    ``engine`` is the INT8 engine shown in the report and ``engine_findings`` what the INT8-engine rules
    found in it; ``comparison`` an FP16-vs-INT8 comparison, whose findings the verdict weighs too."""
    mapping = map_missing_scales(facts, graph)
    cache_check = check_cache(cache, graph, facts) if cache is not None else None
    quant = quantization_mode(facts, graph)
    ctx = BuildContext(facts=facts, graph=graph, mapping=mapping, model_path=graph.path if graph else None,
                       compute=compute, cache_check=cache_check, quantization=quant)
    lint = lint_for_build(graph, compute, calibrator_used=ctx.calibrator_used)
    findings = by_severity((*joined_findings(run_rules(ctx), lint), *engine_findings))
    notes = (_notes(facts, graph, mapping) + (compute.notes if compute else ())
             + ((cache.note,) if cache is not None and cache.note else ()))
    partial = Analysis(log=facts, graph=graph, mapping=mapping, findings=findings,
                       verdict=Verdict("ok", "", ()), notes=notes, compute=compute, cache_check=cache_check,
                       comparison=comparison, engine=engine)
    grid = build_grid(graph, mapping.tensors, compute, set(partial.blocked_gemms)) if graph is not None else None
    return Analysis(
        log=facts, graph=graph, mapping=mapping, findings=findings,
        verdict=_verdict(facts, mapping, partial.verdict_findings, _blocked(partial),
                         engines_found=bool(comparison and comparison.findings)), notes=notes,
        compute=compute, cache_check=cache_check, grid=grid, comparison=comparison, engine=engine,
        quantization=quant, lint=lint,
    )


def _notes(facts: LogFacts, graph: GraphIndex | None, mapping: MappingSummary) -> tuple[str, ...]:
    notes: list[str] = []
    if facts.truncated:
        notes.append(f"The log is truncated ({facts.truncation_reason}); results cover what was read.")
    if graph is None:
        notes.append(
            "No ONNX model given: warned tensors are classified by name only; ONNX producers, "
            "consumers, blocks and sub-modules are not known. Pass the model as the second argument."
        )
    else:
        notes.extend(graph.warnings)
    helpers = sum(g.tensors for g in mapping.groups
                  if g.mapping.cls in ("parser-helper", "unnamed-trt-layer") and g.mapping.mapped_by == BY_NONE)
    if helpers and not facts.registrations:
        notes.append(
            f"The log has no verbose ONNX-parser lines, so {helpers} parser helpers (ONNXTRT_*) and "
            "unnamed TensorRT layers cannot be attributed to ONNX nodes. Rebuild with --verbose (trtexec) or "
            "a VERBOSE logger to attribute them."
        )
    if facts.read.undecodable_lines:
        notes.append(f"{facts.read.undecodable_lines} log lines had bytes that are not UTF-8; "
                     "they were read with replacements.")
    notes.extend(_size_notes(facts))
    if not facts.has_int8_build:
        notes.append("This log shows no INT8 build: no INT8 flag, calibration or missing-scale warning was found.")
    if mapping.mismatch and mapping.mismatch_reason:
        notes.insert(0, "Model and log do not match: " + mapping.mismatch_reason + ".")
    return tuple(notes)


def _size_notes(facts: LogFacts) -> list[str]:
    """What the input caps left out (see "Limits and guarantees" in README.md)."""
    notes = []
    if facts.read.long_lines:
        notes.append(f"{facts.read.long_lines} log lines did not fit in one 8 MiB read: their first MiB was read, "
                     f"the remaining {facts.read.skipped_bytes} bytes were skipped.")
    if facts.long_messages:
        notes.append(f"{facts.long_messages} log lines were longer than 16 KiB: messages were matched on their "
                     "first 16 KiB.")
    return notes


def _blocked(a: Analysis) -> tuple[float | None, str | None]:
    return a.int8_blocked_share, a.int8_blocked_basis


def _cost_headline(share: float, basis: str | None) -> str:
    """What the findings cost, worded as a measurement only when the engine's layer precisions show it."""
    pct = f"{share * 100:.0f}%"
    if basis == "measured":
        return (f"{pct} of the model's matrix-multiply work (GEMM/Conv MACs) ran outside INT8 in the engine "
                "(measured from its layer precisions).")
    if basis == "mixed":
        return (f"{pct} of the model's matrix-multiply work (GEMM/Conv MACs) cannot run in INT8 (partly measured "
                "from engine layer precisions, partly inferred from the log).")
    return (f"An estimated {pct} of the model's matrix-multiply work (GEMM/Conv MACs) cannot run in INT8 "
            "(inferred from the log and the model; no engine layer precisions confirm it).")


def _verdict(facts: LogFacts, mapping: MappingSummary, findings: tuple[Finding, ...],
             blocked: tuple[float | None, str | None], *, engines_found: bool = False) -> Verdict:
    n_warn = len(facts.warning_order)
    n_tensors = len(facts.missing_scale)
    details = []
    if n_tensors:
        by_class: Counter[str] = Counter()
        for g in mapping.groups:
            by_class[g.mapping.cls] += g.tensors
        parts = ", ".join(f"{by_class[c]} {c}" for c in CLASSES if by_class.get(c))
        details.append(f"{n_tensors} tensors lacked INT8 scales ({n_warn} warnings): {parts}.")
    failed = next((f for f in findings if f.id == "build-failed"), None)
    if failed is not None:  # a failed build is never "ok", INT8 or not
        return Verdict("error", failed.title + ".", (*details, failed.explanation))
    if not facts.has_int8_build and not engines_found:
        return Verdict("ok", "This log shows no INT8 build: nothing to diagnose.", tuple(details))
    if mapping.mismatch:
        first = next(f for f in findings if f.id == "model-log-mismatch")
        return Verdict("error", first.title + ".", (*details, first.explanation))
    if findings:
        top = findings[0]
        others = [f.title for f in findings[1:] if f.severity != "info"]
        if others:
            details.append("Also: " + "; ".join(others) + ".")
        headline = top.title + "."
        blocked_share, basis = blocked
        if blocked_share is not None and top.severity != "info" and blocked_share > 0:
            # Lead with what it costs: the share of matrix-multiply work that stays out of INT8.
            headline = f"{_cost_headline(blocked_share, basis)} {top.title}."
        return Verdict(top.severity, headline, tuple(details))
    if n_tensors:
        return Verdict("warning", f"{n_tensors} tensors lacked INT8 scales; no known root cause matched.",
                       tuple(details))
    return Verdict("ok", "INT8 build with no missing-scale warnings and no known problem.", tuple(details))
