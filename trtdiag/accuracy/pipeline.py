"""From files to an :class:`~trtdiag.accuracy.result.AccuracyResult`: load, (run the reference), compare.

Which tensors are *outputs* and which are intermediates: with a model, the model's graph outputs are the
outputs and every other common tensor is an intermediate (compared layer-wise); without a model every
common tensor counts as an output, since nothing says otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from trtdiag.accuracy.hazards import fp16_overflow_constants
from trtdiag.accuracy.layerwise import compare_layerwise
from trtdiag.accuracy.load import (
    RunnerResults,
    common_names,
    is_input_list,
    load_inputs,
    load_results,
    pick_reference,
)
from trtdiag.accuracy.metrics import TensorMetrics, tensor_metrics, tolerance_check
from trtdiag.accuracy.reference import run_reference, select_tensors
from trtdiag.accuracy.result import AccuracyResult, CandidateResult
from trtdiag.accuracy.rules import candidate_findings
from trtdiag.errors import InputError
from trtdiag.findings import Finding, Severity
from trtdiag.onnx.graph import GraphIndex, load_graph


def compare_candidate(reference: RunnerResults, candidate: RunnerResults, graph: GraphIndex | None,
                      atol: float | None = None, rtol: float | None = None) -> CandidateResult:
    """Metrics of every common tensor; layer-wise analysis when intermediates are present."""
    names = common_names(reference, candidate)
    metrics = {n: tensor_metrics(n, [it[n] for it in reference.iterations], [it[n] for it in candidate.iterations])
               for n in names}
    model_outputs = [n for n in graph.outputs if n in metrics] if graph is not None else []
    output_names = model_outputs or list(names)
    if atol is not None or rtol is not None:
        verdict = tolerance_check(reference.iterations, candidate.iterations, output_names,
                                  atol if atol is not None else 1e-5, rtol if rtol is not None else 1e-5)
        metrics.update({n: _with_verdict(metrics[n], verdict[n]) for n in output_names})
    outputs = tuple(metrics[n] for n in output_names)
    intermediates = len(names) > len(output_names)
    layerwise = compare_layerwise(metrics, graph, names) if intermediates else None
    return CandidateResult(candidate.file, candidate.runner, candidate.is_tensorrt, outputs, layerwise)


def _with_verdict(m: TensorMetrics, passed: bool) -> TensorMetrics:
    return replace(m, passed=passed)


def compare_runs(reference: RunnerResults, candidates: Sequence[RunnerResults], graph: GraphIndex | None = None,
                 *, atol: float | None = None, rtol: float | None = None,
                 notes: Sequence[str] = ()) -> AccuracyResult:
    """Compare every candidate with the reference and collect the findings (model hazards included)."""
    results = tuple(compare_candidate(reference, c, graph, atol, rtol) for c in candidates)
    findings: list[Finding] = [f for c in results for f in candidate_findings(c)]
    if graph is not None:
        hazard = fp16_overflow_constants(graph)
        if hazard is not None:
            findings.append(hazard)
    findings.sort(key=lambda f: Severity(f.severity).rank)
    return AccuracyResult(
        reference_file=reference.file, reference_runner=reference.runner,
        model=graph.path if graph is not None else None, candidates=results, findings=tuple(findings),
        notes=tuple(notes), atol=atol, rtol=rtol,
    )


def _candidate_runs(paths: Sequence[str | Path], reference: RunnerResults | None) -> list[RunnerResults]:
    runs = [r for p in paths for r in load_results(p)]
    if reference is not None:
        runs = [r for r in runs if (r.file, r.runner) != (reference.file, reference.runner)]
    if not runs:
        raise InputError("no candidate runner to compare (the candidate file holds only the reference)")
    return runs


def accuracy_from_files(
    candidates: Sequence[str | Path],
    *,
    reference: str | Path | None = None,
    model: str | Path | None = None,
    inputs: str | Path | None = None,
    mark: str | None = None,
    atol: float | None = None,
    rtol: float | None = None,
) -> AccuracyResult:
    """``trtdiag accuracy``: compare candidate outputs with a saved reference, or with an ONNX Runtime run of
    ``model`` on ``inputs`` (``--save-inputs`` JSON or ``.npz``; Polygraphy's default data without them)."""
    if not candidates:
        raise InputError("give at least one --candidate outputs file")
    graph = load_graph(model) if model is not None else None
    notes: list[str] = []
    if reference is not None:
        ref = pick_reference(load_results(reference))
        cands = _candidate_runs(candidates, ref)
    elif model is not None and graph is not None:
        cands = _candidate_runs(candidates, None)
        ref = _cpu_reference(model, graph, cands, inputs, mark, notes)
    else:
        raise InputError("give --reference outputs, or the ONNX model to run the reference on CPU")
    return compare_runs(ref, cands, graph, atol=atol, rtol=rtol, notes=notes)


def _cpu_reference(model: str | Path, graph: GraphIndex, cands: Sequence[RunnerResults], inputs: str | Path | None,
                   mark: str | None, notes: list[str]) -> RunnerResults:
    """The FP32 reference run on CPU with ONNX Runtime, marking the intermediates the candidates hold."""
    feeds = load_inputs(inputs) if inputs is not None else None
    if feeds is None:
        notes.append("reference inputs: Polygraphy's default data loader (seed 1); pass --inputs with the "
                     "candidate's --save-inputs file unless the candidate used the default data too")
    wanted = [n for c in cands for n in c.names]
    tensors = select_tensors(graph, mark, wanted) if mark or len(set(wanted)) > len(graph.outputs) else ()
    ref = run_reference(model, feeds, tensors, iterations=len(cands[0].iterations))
    notes.append(f"reference: ONNX Runtime on CPU, {len(tensors)} intermediate tensor(s) marked")
    return ref


#: File or runner names that mark a saved FP32 reference when no ONNX Runtime runner is present.
_FP32_HINTS = ("fp32", "float32", "reference")


def _saved_reference(runs: Sequence[RunnerResults]) -> RunnerResults | None:
    for r in runs:
        if r.runner.startswith("onnxrt"):
            return r
    return next((r for r in runs if any(h in f"{Path(r.file).name} {r.runner}".lower() for h in _FP32_HINTS)),
                None)


def accuracy_from_outputs(outputs: Sequence[str | Path], *, model: str | Path | None = None,
                          graph: GraphIndex | None = None, inputs: str | Path | None = None) -> AccuracyResult:
    """``trtdiag analyze ... --outputs``: every runner of every file; the ONNX Runtime (or FP32-named) runner
    is the reference and the others are candidates. Without one, the reference runs on CPU from ``model``
    (as ``trtdiag accuracy MODEL --candidate`` does), on the feeds of a ``polygraphy run --save-inputs`` file
    given among ``outputs`` (recognised by its content: a list of feeds)."""
    feed_files = [p for p in outputs if is_input_list(Path(p))]
    if len(feed_files) > 1:
        raise InputError(f"more than one --save-inputs file among --outputs: {', '.join(map(str, feed_files))}")
    inputs = feed_files[0] if feed_files else inputs
    runs = [r for p in outputs if p not in feed_files for r in load_results(p)]
    if not runs:
        raise InputError("give at least one --outputs file")
    ref = _saved_reference(runs)
    if graph is None and model is not None:
        graph = load_graph(model)
    notes: list[str] = []
    if ref is not None:
        cands = [r for r in runs if r is not ref]
        if not cands:
            raise InputError("--outputs hold only the reference runner: add the INT8 engine's outputs")
    elif model is not None and graph is not None:
        cands = runs
        ref = _cpu_reference(model, graph, cands, inputs, None, notes)
    else:
        raise InputError("--outputs hold no FP32 reference (an onnxrt runner): add its outputs file, or give the "
                         "ONNX model so that the reference runs on CPU")
    return compare_runs(ref, cands, graph, notes=notes)
