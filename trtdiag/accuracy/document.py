"""The ``trtdiag.accuracy/1`` JSON document and the standalone HTML page.

Within a schema version fields are only ever added (``trtdiag/schema/accuracy.schema.json``). Numbers are
rounded to 6 significant places so that reruns diff cleanly; infinite values are written as null.
Validation: :func:`trtdiag.documents.schemas.validate`, which knows every trtdiag schema.
"""

from __future__ import annotations

import json
import math
from datetime import datetime, timezone
from typing import Any

import jinja2

from trtdiag import __version__
from trtdiag.accuracy.classify import CLASS_NAMES
from trtdiag.accuracy.layerwise import BlockError, Divergence, Layerwise, TensorPlace
from trtdiag.accuracy.metrics import HISTOGRAM_EDGES, TensorMetrics
from trtdiag.accuracy.result import AccuracyResult, CandidateResult
from trtdiag.documents.common import finding_dict

SCHEMA = "trtdiag.accuracy/1"


def _num(v: float | None) -> float | None:
    if v is None or not math.isfinite(v):
        return None
    return float(f"{v:.6g}")


def metrics_dict(m: TensorMetrics) -> dict[str, Any]:
    return {
        "name": m.name, "class": m.accuracy_class.value, "shape": list(m.shape),
        "max_abs": _num(m.max_abs), "mean_abs": _num(m.mean_abs), "rel_l2": _num(m.rel_l2),
        "cosine": _num(m.cosine), "sqnr_db": _num(m.sqnr_db), "non_finite": m.non_finite,
        "new_non_finite": m.new_non_finite, "histogram": list(m.histogram), "passed": m.passed,
    }


def _place_dict(p: TensorPlace) -> dict[str, Any]:
    return {"tensor": p.tensor, "onnx_node": p.onnx_node, "op_type": p.op_type, "block": p.block,
            "submodule": p.submodule}


def divergence_dict(d: Divergence) -> dict[str, Any]:
    return {**_place_dict(d.place), "class": d.accuracy_class.value, "previous_class": d.previous_class.value,
            "rel_l2": _num(d.rel_l2)}


def _block_dict(b: BlockError) -> dict[str, Any]:
    return {"block": b.block, "tensors": b.tensors, "max_rel_l2": _num(b.max_rel_l2), "class": b.accuracy_class.value}


def _layerwise_dict(lw: Layerwise) -> dict[str, Any]:
    return {
        "tensors": [{**_place_dict(p), **{k: v for k, v in metrics_dict(m).items() if k != "name"}}
                    for p, m in lw.tensors],
        "first_divergence": divergence_dict(lw.first_divergence) if lw.first_divergence else None,
        "non_finite": [p.tensor for p, _ in lw.non_finite],
        "blocks": [_block_dict(b) for b in lw.blocks],
    }


def candidate_dict(c: CandidateResult) -> dict[str, Any]:
    return {
        "file": c.file, "runner": c.runner, "tensorrt": c.is_tensorrt, "class": c.accuracy_class.value,
        "outputs": [metrics_dict(o) for o in c.outputs],
        "layerwise": _layerwise_dict(c.layerwise) if c.layerwise else None,
    }


def _top_divergence(r: AccuracyResult) -> dict[str, Any] | None:
    c, div = r.divergent_candidate, r.first_divergence
    if c is None or div is None:
        return None
    return {**divergence_dict(div), "runner": c.runner, "file": c.file}


def accuracy_document(r: AccuracyResult, *, timestamp: bool = True) -> dict[str, Any]:
    """The JSON document of one comparison (``trtdiag accuracy --json``)."""
    doc: dict[str, Any] = {"schema": SCHEMA, "trtdiag_version": __version__}
    if timestamp:
        doc["generated_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    doc.update({
        "reference": {"file": r.reference_file, "runner": r.reference_runner},
        "model": r.model,
        "log": r.log,
        "classes": list(CLASS_NAMES),
        "histogram_edges": list(HISTOGRAM_EDGES),
        "tolerances": {"atol": r.atol, "rtol": r.rtol},
        "class": r.worst_class.value,
        "candidates": [candidate_dict(c) for c in r.candidates],
        "first_divergence": _top_divergence(r),
        "findings": [finding_dict(f) for f in r.findings],
        "notes": list(r.notes),
    })
    return doc


def to_json(r: AccuracyResult, *, timestamp: bool = True) -> str:
    return json.dumps(accuracy_document(r, timestamp=timestamp), indent=1, allow_nan=False) + "\n"


def _bar_width(rel_l2: float | None) -> float:
    """Bar length in em for a relative error on a log scale: 1e-8 and below is empty, 1 and above is 16em."""
    if rel_l2 is None or rel_l2 <= 0:
        return 16.0 if rel_l2 is None else 0.0
    return round(max(0.0, min(8.0, math.log10(rel_l2) + 8.0)) * 2, 2)


def to_html(r: AccuracyResult, *, timestamp: bool = True) -> str:
    """The standalone page: self-contained (inline CSS, no scripts or external requests), autoescaped."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("trtdiag.accuracy", "templates"),
        autoescape=True, trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined,
    )
    env.filters["num"] = lambda v: "-" if v is None else f"{v:.3g}"
    env.filters["barwidth"] = _bar_width
    doc = accuracy_document(r, timestamp=timestamp)
    return env.get_template("accuracy.html.j2").render(doc=doc, edges=HISTOGRAM_EDGES)
