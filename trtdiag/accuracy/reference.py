"""The FP32 reference on CPU: ONNX Runtime through Polygraphy's ``OnnxrtRunner``, with a subset of marked
intermediate tensors.

Why a subset: marking every tensor (``polygraphy run --onnx-outputs mark all``) keeps every activation of
the model alive and returns it, which costs gigabytes on a BERT-base model and disables most of ONNX
Runtime's fusions. The default subset (block outputs, LayerNorm and Softmax outputs) is a few tensors per
block and is enough to locate the first diverging block and sub-module.

``onnxruntime`` is an optional dependency, imported lazily here only.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from trtdiag.accuracy.load import RunnerResults, quiet_polygraphy
from trtdiag.errors import InputError
from trtdiag.onnx.graph import GraphIndex, NodeInfo

REFERENCE_RUNNER = "onnxrt-runner-trtdiag-reference"
_LAYERNORM_OPS = frozenset({"LayerNormalization", "SimplifiedLayerNormalization", "SkipLayerNormalization"})
_TWO_GB = 2_000_000_000


def _ends_layernorm(graph: GraphIndex, node_index: int, submodule: str) -> bool:
    """A decomposed LayerNorm's last node: its output leaves the ``...LayerNorm`` sub-module."""
    if not submodule.lower().endswith(("layernorm", "layer_norm", "ln")):
        return False
    node = graph.nodes[node_index]
    for c in graph.consumers_of(node.outputs[0]):
        m = graph.modules.get(c.name)
        if m is None or m.submodule != submodule:
            return True
    return False


def _is_marked_by_default(graph: GraphIndex, node: NodeInfo) -> bool:
    if node.op_type in _LAYERNORM_OPS or node.op_type == "Softmax":
        return True
    m = graph.modules.get(node.name)
    if m is None:
        return False
    if _ends_layernorm(graph, node.index, m.submodule):
        return True
    # A block output: a consumer sits in another block (or outside the blocks).
    return m.block is not None and any(
        (graph.modules.get(c.name) or m).block != m.block for c in graph.consumers_of(node.outputs[0]))


def default_tensors(graph: GraphIndex) -> tuple[str, ...]:
    """Block outputs, LayerNorm outputs and Softmax outputs, in graph order."""
    chosen = [node.outputs[0] for node in graph.nodes
              if node.outputs and node.outputs[0] and node.op_type != "Constant" and _is_marked_by_default(graph, node)]
    return tuple(dict.fromkeys(chosen))


def select_tensors(graph: GraphIndex, pattern: str | None = None, wanted: Sequence[str] = ()) -> tuple[str, ...]:
    """Intermediates to mark: ``wanted`` names that exist in the model (e.g. the candidate's), plus those
    matching ``pattern`` (a regex searched in tensor names), or :func:`default_tensors` without a pattern."""
    produced = [t for n in graph.nodes if n.op_type != "Constant" for t in n.outputs if t]
    known = set(produced)
    chosen = [t for t in wanted if t in known]
    if pattern:
        try:
            rx = re.compile(pattern)
        except re.error as exc:
            raise InputError(f"bad tensor regex {pattern!r}: {exc}") from exc
        chosen += [t for t in produced if rx.search(t)]
    else:
        chosen += default_tensors(graph)
    outputs = set(graph.outputs)
    return tuple(t for t in dict.fromkeys(chosen) if t not in outputs)


def _feeds_for(session: Any, feeds: Sequence[Mapping[str, np.ndarray]]) -> list[dict[str, np.ndarray]]:
    """Cast each feed to the dtypes the model declares (TensorRT runs often save int32 ids for int64 inputs)."""
    from polygraphy.datatype import DataType

    out = []
    for feed in feeds:
        fixed = {}
        for meta in session.get_inputs():
            if meta.name not in feed:
                raise InputError(f"the inputs lack model input {meta.name!r} (have: {', '.join(feed)})")
            dtype = DataType.to_dtype(DataType.from_dtype(meta.type, "onnxruntime"), "numpy")
            fixed[meta.name] = np.asarray(feed[meta.name]).astype(dtype, copy=False)
        out.append(fixed)
    return out


def _session_source(model_path: Path, tensors: Sequence[str], tmp: str) -> Any:
    """The model (bytes or a path) with the graph outputs plus ``tensors`` marked, for SessionFromOnnx."""
    if not tensors:
        return str(model_path)
    import onnx
    from polygraphy.backend.onnx import ModifyOutputs

    model = onnx.load(str(model_path))
    keep = [o.name for o in model.graph.output]
    with quiet_polygraphy():
        model = ModifyOutputs(model, outputs=keep + list(tensors))()
    if model.ByteSize() < _TWO_GB:
        return model.SerializeToString()
    path = str(Path(tmp) / "marked.onnx")
    onnx.save(model, path, save_as_external_data=True, location="marked.onnx.data")
    return path


def run_reference(
    model_path: str | Path,
    feeds: Sequence[Mapping[str, np.ndarray]] | None,
    tensors: Sequence[str] = (),
    iterations: int = 1,
) -> RunnerResults:
    """Run the model on CPU with ONNX Runtime; ``feeds=None`` uses Polygraphy's default data loader."""
    try:
        from polygraphy.backend.onnxrt import OnnxrtRunner, SessionFromOnnx
    except ImportError as exc:
        raise InputError("the CPU reference run needs onnxruntime: pip install onnxruntime") from exc
    p = Path(model_path)
    if not p.is_file():
        raise InputError(f"model file not found: {p}")
    with tempfile.TemporaryDirectory(prefix="trtdiag-ref-") as tmp:
        source = _session_source(p, tensors, tmp)
        try:
            with quiet_polygraphy(), OnnxrtRunner(SessionFromOnnx(source, providers=["CPUExecutionProvider"]),
                                                  name=REFERENCE_RUNNER) as runner:
                results = [dict(runner.infer(f)) for f in _reference_feeds(runner, feeds, iterations)]
        except InputError:
            raise
        except Exception as exc:  # ONNX Runtime raises its own exception types on bad models or feeds
            raise InputError(f"ONNX Runtime cannot run {p}: {str(exc).splitlines()[0][:300]}") from exc
    return RunnerResults(str(p), REFERENCE_RUNNER, tuple(results))


def _reference_feeds(runner: Any, feeds: Sequence[Mapping[str, np.ndarray]] | None,
                     iterations: int) -> list[dict[str, np.ndarray]]:
    if feeds is not None:
        return _feeds_for(runner.sess, feeds)
    from polygraphy.comparator import DataLoader

    loader = DataLoader(iterations=iterations)
    loader.input_metadata = runner.get_input_metadata()
    return [dict(f) for f in loader]
