"""Variants without copying weights: quantize everything once, then bypass the Q/DQ a variant does not use.

Building every variant with the quantizer deep-copies the model each time (two full copies of a BERT-base's
weights per worker, plus the serialized model handed to ONNX Runtime). Here the FP32 model and the
all-INT8 model are each written once, weights as external data in one folder; a variant is a small graph
that names the initializers it reads from those files, and ONNX Runtime loads only those.

Why the result equals :func:`trtdiag.sensitivity.variants.quantize` for the same node set: ONNX Runtime's
QDQ quantizer gives a quantized tensor one Q/DQ pair and rewires *every* consumer to its dequantized copy,
with a scale that depends on the calibration only. So a tensor is quantized in a variant exactly when some
chosen node reads it; for those tensors every consumer keeps the dequantized copy, and for the others every
consumer is rewired to the original tensor and the unused Q/DQ nodes are dropped. (A quantized tensor that is
also a graph output is renamed by the quantizer; such models keep the per-variant quantizer.)
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import onnx

from trtdiag.sensitivity.calibrate import Calibration
from trtdiag.sensitivity.variants import quantize_in_place, session_from_path

FP32, INT8 = "fp32", "all_int8"
QDQ_OPS = ("QuantizeLinear", "DequantizeLinear")
_COUNTER = itertools.count()


def _save_external(model: onnx.ModelProto, folder: Path, stem: str) -> None:
    """Write ``model`` with its weights in ``stem.bin``; the proto keeps only references to them."""
    onnx.save_model(model, str(folder / f"{stem}.onnx"), save_as_external_data=True, all_tensors_to_one_file=True,
                    location=f"{stem}.bin", size_threshold=1024)


@dataclass(frozen=True)
class VariantTemplate:
    """The all-INT8 graph, the FP32 initializers, and which renamed tensor stands for which original."""

    folder: Path
    graph: onnx.ModelProto  # the all-INT8 model, weights external
    fp32_initializers: dict[str, onnx.TensorProto]  # weights external
    originals: dict[str, str]  # dequantized tensor -> the tensor it replaced

    @staticmethod
    def build(model: onnx.ModelProto, calibration: Calibration, nodes: Iterable[str],
              folder: Path) -> VariantTemplate | None:
        """Write the FP32 and all-INT8 models into ``folder`` (``model``'s weights move to external data:
        the caller hands it over). None when the quantized graph renames a graph output."""
        _save_external(model, folder, FP32)
        full = onnx.load(str(folder / f"{FP32}.onnx"))
        quantized = quantize_in_place(full, calibration, nodes)
        del full
        if {o.name for o in quantized.graph.output} & {o for n in quantized.graph.node if n.op_type in QDQ_OPS
                                                      for o in n.output}:
            return None
        _save_external(quantized, folder, INT8)
        return VariantTemplate.load(folder)

    @staticmethod
    def load(folder: Path) -> VariantTemplate:
        """Both graphs without their weights (what each worker process holds)."""
        fp32 = onnx.load(str(folder / f"{FP32}.onnx"), load_external_data=False)
        graph = onnx.load(str(folder / f"{INT8}.onnx"), load_external_data=False)
        before = {n.name: list(n.input) for n in fp32.graph.node}
        originals: dict[str, str] = {}
        for n in graph.graph.node:
            for new, old in zip(n.input, before.get(n.name, ()), strict=False):
                if new != old and old:
                    originals[new] = old
        return VariantTemplate(folder, graph, {t.name: t for t in fp32.graph.initializer}, originals)

    def variant(self, nodes_to_quantize: Iterable[str]) -> onnx.ModelProto:
        """The all-INT8 graph with the Q/DQ of tensors no chosen node reads bypassed."""
        chosen = set(nodes_to_quantize)
        model = onnx.ModelProto()
        model.CopyFrom(self.graph)
        g = model.graph
        kept = {t for n in g.node if n.name in chosen for t in n.input if t in self.originals}
        kept |= {t for n in g.node if n.name in chosen for t in n.input if t in self.fp32_initializers}
        for n in g.node:
            if n.op_type not in QDQ_OPS:
                n.input[:] = [self.originals[t] if t in self.originals and t not in kept else t for t in n.input]
        # A quantized bias keeps its name (its DQ outputs it): unless a chosen node reads it, back to FP32.
        for i in reversed(range(len(g.node))):
            n = g.node[i]
            if n.op_type == "DequantizeLinear" and n.output[0] in self.fp32_initializers and n.output[0] not in kept:
                del g.node[i]
        _drop_unused(g)
        used = {t for n in g.node for t in n.input}
        produced = {t for n in g.node for t in n.output}
        inits = [t for t in g.initializer if t.name in used]
        names = {t.name for t in inits}
        restored = [self.fp32_initializers[t] for t in sorted(used) if t in self.fp32_initializers
                    and t not in names and t not in produced]
        del g.initializer[:]
        g.initializer.extend(inits + restored)
        return model

    def session(self, nodes_to_quantize: Iterable[str], threads: int = 0) -> Any:
        """An ONNX Runtime session of the variant, its weights read from the template's files."""
        path = self.folder / f"variant-{os.getpid()}-{next(_COUNTER)}.onnx"
        path.write_bytes(self.variant(nodes_to_quantize).SerializeToString())
        try:
            return session_from_path(path, threads)
        finally:
            path.unlink(missing_ok=True)


def _drop_unused(g: onnx.GraphProto) -> None:
    """Remove Q/DQ nodes whose outputs nothing reads (a DQ first, then its Q)."""
    outputs = {o.name for o in g.output}
    while True:
        used = {t for n in g.node for t in n.input} | outputs
        dead = [i for i, n in enumerate(g.node) if n.op_type in QDQ_OPS and not any(o in used for o in n.output)]
        if not dead:
            return
        for i in reversed(dead):
            del g.node[i]
