"""Fixes that run as written: NVIDIA ModelOpt PTQ, calibration data, and build commands per TensorRT version.

Node lists are derived from the model (LayerNorm, Softmax, residual Adds, embeddings, integer paths)
and only ever name nodes that exist in it. ModelOpt matches ``--nodes_to_exclude`` entries with
``re.match``, so each name is escaped and anchored (``^…$``) to select exactly that node.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

from trtdiag.commands import BuildCommand, polygraphy_shapes, template
from trtdiag.onnx.graph import INTEGER_DTYPES, GraphIndex, NodeInfo

#: Ops ModelOpt's INT8 mode may quantize; only these need excluding from it.
MODELOPT_INT8_OPS = frozenset({"Add", "AveragePool", "BatchNormalization", "Clip", "Conv", "ConvTranspose", "Gemm",
                               "GlobalAveragePool", "MatMul", "MaxPool", "Mul"})
_LN_SCOPE = re.compile(r"(?i)(?:^|[./])(?:layer_?norm|ln(?:_?\d+)?|norm\d?)(?:$|[./])")
_LN_DECOMPOSED_OPS = frozenset({"ReduceMean", "Sub", "Pow", "Add", "Sqrt", "Div", "Mul", "Cast"})
_LN_FUSED_OPS = frozenset({"LayerNormalization", "SimplifiedLayerNormalization", "SkipLayerNormalization"})


@dataclass(frozen=True)
class SensitiveNodes:
    """Nodes to keep in FP16, by reason (each list in graph order)."""

    layernorm: tuple[str, ...]
    softmax: tuple[str, ...]
    residual_add: tuple[str, ...]
    embeddings: tuple[str, ...]
    integer: tuple[str, ...]

    def all(self) -> list[str]:
        seen: dict[str, None] = {}
        for group in (self.embeddings, self.layernorm, self.softmax, self.residual_add, self.integer):
            for n in group:
                seen.setdefault(n, None)
        return list(seen)

    def counts(self) -> dict[str, int]:
        return {"layernorm": len(self.layernorm), "softmax": len(self.softmax),
                "residual_add": len(self.residual_add), "embeddings": len(self.embeddings),
                "integer": len(self.integer)}


def _is_const(g: GraphIndex, tensor: str) -> bool:
    return tensor in g.initializers or tensor in g.constant_outputs


def _feeds_layernorm(g: GraphIndex, node: NodeInfo) -> bool:
    for out in node.outputs:
        for c in g.consumers_of(out):
            if c.op_type in _LN_FUSED_OPS:
                return True
            if c.op_type == "ReduceMean":  # decomposed LayerNorm starts with the mean
                return True
    return False


def sensitive_nodes(g: GraphIndex) -> SensitiveNodes:
    """Find the nodes a transformer should keep out of INT8."""
    ln: list[str] = []
    sm: list[str] = []
    res: list[str] = []
    emb: list[str] = []
    integer: list[str] = []
    for n in g.nodes:
        module = g.module_of_node(n.name)
        sub = module.submodule if module else ""
        if n.op_type in _LN_FUSED_OPS or (
            n.op_type in _LN_DECOMPOSED_OPS and sub and _LN_SCOPE.search(sub)
            and n.op_type in MODELOPT_INT8_OPS | {"ReduceMean", "Sub", "Pow", "Sqrt", "Div"}
        ):
            ln.append(n.name)
            continue
        if n.op_type == "Softmax":
            sm.append(n.name)
            continue
        out_dtype = g.dtype_of(n.outputs[0]) if n.outputs else None
        if n.op_type in MODELOPT_INT8_OPS and out_dtype in INTEGER_DTYPES:
            integer.append(n.name)
            continue
        if (n.op_type == "Gather" and len(n.inputs) >= 1 and n.inputs[0] in g.initializers
                and g.initializers[n.inputs[0]][0] in ("FLOAT", "FLOAT16", "BFLOAT16")):
            emb.append(n.name)
            continue
        if sub.startswith("embeddings") and n.op_type in MODELOPT_INT8_OPS:
            emb.append(n.name)
            continue
        if (n.op_type == "Add" and len(n.inputs) == 2 and not any(_is_const(g, t) for t in n.inputs)
                and _feeds_layernorm(g, n)):
            res.append(n.name)
    return SensitiveNodes(tuple(ln), tuple(sm), tuple(res), tuple(emb), tuple(integer))


def exclusion_patterns(names: list[str]) -> list[str]:
    """Anchored, escaped regexes: ModelOpt uses ``re.match``, which would otherwise prefix-match."""
    return [f"^{re.escape(n)}$" for n in names]


def _q(s: str) -> str:
    return shlex.quote(s)


def modelopt_command(model: str, g: GraphIndex | None, sensitive: SensitiveNodes | None,
                     output: str = "model.int8.onnx", calib: str = "calib.npz") -> str:
    """``python -m modelopt.onnx.quantization`` with the node exclusions derived from the model."""
    parts = ["python", "-m", "modelopt.onnx.quantization", "--onnx_path", _q(model), "--quantize_mode", "int8",
             "--calibration_method", "entropy", "--calibration_data_path", _q(calib),
             "--high_precision_dtype", "fp16", "--output_path", _q(output)]
    if g is not None and g.external_initializers:
        parts.append("--use_external_data_format")
    if sensitive is not None:
        names = sensitive.all()
        if names:
            parts.append("--nodes_to_exclude")
            parts.extend(_q(p) for p in exclusion_patterns(names))
    return " ".join(parts)


def calibration_data_snippet(g: GraphIndex | None) -> str:
    """A template (it needs the user's data) that saves calibration batches as .npz keyed by input name."""
    names = list(g.inputs) if g is not None else ["input_ids", "attention_mask"]
    dtypes = {n: ("int64" if g is None else g.inputs[n][0].lower()) for n in names}
    arrays = ", ".join(f"{n}=np.concatenate(batches[{n!r}]).astype({dtypes[n]!r})" for n in names)
    text = (
        "python - <<'EOF'\n"
        "# Save ~500 representative samples (real text, real sequence lengths) keyed by ONNX input name.\n"
        "import numpy as np\n"
        f"batches = {{{', '.join(f'{n!r}: []' for n in names)}}}\n"
        "for feed in my_calibration_batches():  # FILL IN: your data loader, one dict of arrays per batch\n"
        "    for name in batches:\n"
        "        batches[name].append(feed[name])\n"
        f"np.savez('calib.npz', {arrays})\n"
        "EOF"
    )
    return template(text, "replace my_calibration_batches() with your data loader (one dict of numpy arrays "
                    f"keyed by {', '.join(names)} per batch)")


def _major_minor(version: str | None) -> tuple[int, int] | None:
    if not version:
        return None
    m = re.match(r"(\d+)\.(\d+)", version)
    return (int(m.group(1)), int(m.group(2))) if m else None


def explicit_build_commands(version: str | None, quantized: str = "model.int8.onnx",
                            engine: str = "model.int8.plan", base: BuildCommand | None = None) -> list[str]:
    """How to build the Q/DQ model, per TensorRT version (11: strongly typed only).

    With the user's trtexec command (``base``), the build keeps its shapes, engine path and every other
    option; only the model and the precision/calibration options change.
    """
    mm = _major_minor(version)
    if base is not None and base.tool == "trtexec":
        typed = base.explicit(quantized, strongly_typed=True).text()
        weak = base.explicit(quantized, strongly_typed=False).text()
        if mm is not None and mm[0] >= 11:
            return [f"{typed}  # TensorRT 11: always strongly typed"]
        if mm is not None and mm[0] == 10:
            return [typed, f"{weak}  # weakly typed alternative"]
        return [weak, f"{typed}  # TensorRT 10.x and later"]
    if mm is not None and mm[0] >= 11:
        return [f"trtexec --onnx={_q(quantized)} --saveEngine={_q(engine)}  # TensorRT 11: always strongly typed"]
    if mm is not None and mm[0] == 10:
        return [f"trtexec --onnx={_q(quantized)} --stronglyTyped --saveEngine={_q(engine)}",
                f"trtexec --onnx={_q(quantized)} --fp16 --int8 --saveEngine={_q(engine)}  # weakly typed alternative"]
    return [f"trtexec --onnx={_q(quantized)} --fp16 --int8 --saveEngine={_q(engine)}",
            f"trtexec --onnx={_q(quantized)} --stronglyTyped --saveEngine={_q(engine)}  # TensorRT 10.x and later"]


def layer_precision_commands(model: str, names: list[str], cache: str | None = None,
                             base: BuildCommand | None = None) -> list[str]:
    """Keep chosen layers in FP16 on TensorRT 8.4-10.x (trtexec and Polygraphy); removed in 11.

    TensorRT names each layer after its ONNX node, so node names are layer names. With the user's
    trtexec command (``base``), the trtexec line is that command plus FP16 and the constraints.
    """
    if not names:
        return []
    precisions = ",".join(f"{n}:fp16" for n in names)
    if base is not None and base.tool == "trtexec":
        trtexec = base.with_model(model).with_flags("--int8", "--fp16", "--precisionConstraints=obey") \
            .with_value("--layerPrecisions", precisions).text()
    else:
        calib = f" --calib={_q(cache)}" if cache else ""
        trtexec = (f"trtexec --onnx={_q(model)} --int8 --fp16{calib} --precisionConstraints=obey "
                   f"--layerPrecisions={_q(precisions)}")
    poly_cache = f" --calibration-cache {_q(cache)}" if cache else ""
    plan = (base.value("--saveEngine") if base is not None else None) or "model.plan"
    polygraphy = (f"polygraphy convert {_q(model)} --int8 --fp16{poly_cache} --precision-constraints obey "
                  f"--layer-precisions {' '.join(_q(f'{n}:float16') for n in names)} "
                  f"{' '.join(_q(a) for a in polygraphy_shapes(base))} -o {_q(plan)}").replace("  -o", " -o")
    return [trtexec, polygraphy]
