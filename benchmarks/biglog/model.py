"""Model description: constants, BERT shape, ONNX-parser message rendering and the engine layer list."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime

TRT_VERSION_TAG = "[TensorRT v101303] [b9]"
TRT_SO_VERSION = "10.13.3"
CALIB_ALGO_HEADER = "TRT-101303-EntropyCalibration2"
# Same width as a real "[MM/DD/YYYY-HH:MM:SS]" so substituting it never changes a block's size.
TS_PLACEHOLDER = b"[@@/@@/@@@@-@@:@@:@@]"
MISSING_SCALE = (
    "Missing scale and zero-point for tensor {}, expect fall back to non-int8 implementation "
    "for any layer consuming or producing given tensor"
)
START_TIME = datetime(2025, 9, 18, 14, 2, 11)
MIB = 1024 * 1024

Dims = tuple[int, ...]


# --------------------------------------------------------------------------------------------
# Model description
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BertShape:
    """BERT-large sizes; opt_* are the optimisation-profile opt shape used in format strings."""

    layers: int = 24
    hidden: int = 1024
    heads: int = 16
    intermediate: int = 4096
    vocab: int = 30522
    max_positions: int = 512
    type_vocab: int = 2
    opt_batch: int = 8
    opt_seq: int = 128


def fmt_dims(dims: Dims) -> str:
    """Parser style dims: `(-1, -1, 1024)`, scalars `()`."""
    return "(" + ", ".join(str(d) for d in dims) + ")"


def engine_dims(dims: Dims) -> str:
    """TRT 8.6/10.x Engine Layer Information style dims: `[-1,-1,1024]`."""
    return "[" + ",".join(str(d) for d in dims) + "]"


NUMPY_DTYPE = {"FLOAT": "float32", "INT64": "int64", "INT32": "int32"}


class Scope:
    """TorchScript node naming inside one module scope: `Op`, then `Op_1`, `Op_2`, ...

    Why: the exporter numbers repeats of an op type per scope, and the
    mapper in trtdiag (trtdiag/naming.py) relies on exactly that shape of name.
    """

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self._seen: dict[str, int] = {}

    def __call__(self, op: str) -> str:
        k = self._seen.get(op, 0)
        self._seen[op] = k + 1
        return f"{self.prefix}/{op}" if k == 0 else f"{self.prefix}/{op}_{k}"


class OnnxParseLog:
    """Renders TRT 10.x ONNX-parser verbose messages, one ONNX node at a time.

    Why a class: the parser's uniquifier (one counter shared by layer and tensor names,
    see trtdiag/naming.py), the set of constant layers already created (they are reused)
    and the registered-value table are state that each node import reads and updates.
    """

    def __init__(self) -> None:
        self.input_msgs: list[str] = []
        self.init_msgs: list[str] = []
        self.node_msgs: list[str] = []
        self.values: dict[str, tuple[Dims, str]] = {}
        self.node_registrations = 0
        self.nodes = 0
        self.layers_registered = 0
        self.weight_outputs: list[str] = []  # "<const>_output" FLOAT tensors
        self.broadcast_outputs: list[str] = []  # "ONNXTRT_Broadcast_N_output"
        self.const_broadcast_pairs: list[tuple[str, str]] = []
        self.shape_shuffles: list[str] = []
        self._used: set[str] = set()
        self._counter = 0
        self._const_layers: set[str] = set()

    # -- naming ------------------------------------------------------------------------
    def unique(self, base: str) -> str:
        """generateUniqueName: bare name first, then `<base>_<global counter>`."""
        if base not in self._used:
            self._used.add(base)
            return base
        while True:
            cand = f"{base}_{self._counter}"
            self._counter += 1
            if cand not in self._used:
                self._used.add(cand)
                return cand

    # -- graph inputs and initializers -----------------------------------------------------
    def graph_input(self, name: str, dims: Dims, dtype: str) -> str:
        self.values[name] = (dims, dtype)
        self._used.add(name)
        self.input_msgs.append(
            f"Adding network input: {name} with dtype: {NUMPY_DTYPE[dtype]}, dimensions: {fmt_dims(dims)}"
        )
        self.input_msgs.append(f"Registering tensor: {name} for ONNX tensor: {name}")
        return name

    def initializer(self, name: str, dims: Dims, dtype: str = "FLOAT") -> str:
        self.values[name] = (dims, dtype)
        self.init_msgs.append(f"Importing initializer: {name}")
        return name

    # -- registration helpers ----------------------------------------------------------------
    def _reg_node(self, layer: str, node: str) -> str:
        self._used.add(layer)
        self.node_registrations += 1
        self.layers_registered += 1
        return f"Registering layer: {layer} for ONNX node: {node}"

    def _reg_helper(self, base: str) -> tuple[str, str]:
        name = self.unique(base)
        self.layers_registered += 1
        return name, f"Registering layer: {name} required by ONNX-TRT"

    def _const(self, weights: str) -> list[str]:
        """convertToTensor(): one constant layer per weights name, reused afterwards."""
        if weights in self._const_layers:
            return []
        self._const_layers.add(weights)
        self._used.add(weights)
        self.layers_registered += 1
        if self.values[weights][1] == "FLOAT":
            self.weight_outputs.append(f"{weights}_output")
        return [f"Registering layer: {weights} required by ONNX-TRT"]

    def _broadcast(self, weights: str) -> tuple[str, list[str]]:
        """broadcastTensor(): addShuffle registers ONNXTRT_ShapeShuffle, then it is renamed."""
        shuffle, m1 = self._reg_helper("ONNXTRT_ShapeShuffle")
        bcast, m2 = self._reg_helper("ONNXTRT_Broadcast")
        self.shape_shuffles.append(shuffle)
        self.broadcast_outputs.append(f"{bcast}_output")
        self.const_broadcast_pairs.append((weights, bcast))
        return bcast, [m1, m2]

    # -- node emission ---------------------------------------------------------------------------
    def _emit(
        self,
        name: str,
        op: str,
        inputs: list[str],
        regs: list[str],
        outputs: list[tuple[str, Dims, str]],
        as_weights: bool = False,
    ) -> None:
        m = self.node_msgs
        self.nodes += 1
        m.append(f"Static check for parsing node: {name} [{op}]")
        m.append(f"Parsing node: {name} [{op}]")
        for t in inputs:
            m.append(f"Searching for input: {t}")
        ins = "".join(f"[{t} -> {fmt_dims(self.values[t][0])}[{self.values[t][1]}]], " for t in inputs)
        m.append(f"{name} [{op}] inputs: {ins}".rstrip())
        m.extend(regs)
        for t, dims, dtype in outputs:
            self.values[t] = (dims, dtype)
            if not as_weights:
                self._used.add(t)
                m.append(f"Registering tensor: {t} for ONNX tensor: {t}")
        outs = "".join(f"[{t} -> {fmt_dims(d)}[{dt}]], " for t, d, dt in outputs)
        m.append(f"{name} [{op}] outputs: {outs}".rstrip())

    # -- op importers ------------------------------------------------------------------------------
    def constant(self, node: str, out: str, dims: Dims, dtype: str) -> str:
        """Constant nodes import as weights: no layer, no `Registering tensor` line."""
        out = out or f"{node}_output_0"
        self._emit(node, "Constant", [], [], [(out, dims, dtype)], as_weights=True)
        return out

    def simple(
        self,
        node: str,
        op: str,
        inputs: list[str],
        dims: Dims,
        dtype: str = "FLOAT",
        out: str | None = None,
        extra_regs: list[str] | None = None,
    ) -> str:
        """Ops that create exactly the node-named layer (Shape, Transpose, Erf, Add of two tensors...)."""
        out = out or f"{node}_output_0"
        regs = [self._reg_node(node, node), *(extra_regs or [])]
        self._emit(node, op, inputs, regs, [(out, dims, dtype)])
        return out

    def with_weights(
        self, node: str, op: str, inputs: list[str], dims: Dims, dtype: str = "FLOAT", out: str | None = None
    ) -> str:
        """Ops whose weights inputs become constant layers without broadcast (Gather, Concat, Slice)."""
        out = out or f"{node}_output_0"
        regs: list[str] = []
        for t in inputs:
            if t not in self._used and t in self.values:
                regs += self._const(t)
        regs.append(self._reg_node(node, node))
        self._emit(node, op, inputs, regs, [(out, dims, dtype)])
        return out

    def broadcast_binary(
        self, node: str, op: str, inputs: list[str], weights: str, dims: Dims, out: str | None = None
    ) -> tuple[str, str]:
        """Binary op with a weights operand of lower rank: constant + ShapeShuffle + Broadcast."""
        out = out or f"{node}_output_0"
        regs = self._const(weights)
        bcast, bregs = self._broadcast(weights)
        regs += [*bregs, self._reg_node(node, node)]
        self._emit(node, op, inputs, regs, [(out, dims, "FLOAT")])
        return out, bcast

    def shuffle_op(self, node: str, op: str, inputs: list[str], dims: Dims, dtype: str) -> str:
        """Reshape/Unsqueeze: addShuffle registers ONNXTRT_ShapeShuffle, then the node name."""
        out = f"{node}_output_0"
        shuffle, msg = self._reg_helper("ONNXTRT_ShapeShuffle")
        self.shape_shuffles.append(shuffle)
        self._emit(node, op, inputs, [msg, self._reg_node(node, node)], [(out, dims, dtype)])
        return out

    def softmax(self, node: str, x: str, dims: Dims) -> str:
        out = f"{node}_output_0"
        _, msg = self._reg_helper("ONNXTRT_ShapeShuffle")
        self._emit(node, "Softmax", [x], [self._reg_node(node, node), msg], [(out, dims, "FLOAT")])
        return out

    def layernorm(
        self, node: str, x: str, weight: str, bias: str, dims: Dims, out: str | None = None
    ) -> tuple[str, str, str]:
        out = out or f"{node}_output_0"
        regs = self._const(weight)
        bw, r1 = self._broadcast(weight)
        regs += [*r1, *self._const(bias)]
        bb, r2 = self._broadcast(bias)
        regs += [*r2, self._reg_node(node, node)]
        self._emit(node, "LayerNormalization", [x, weight, bias], regs, [(out, dims, "FLOAT")])
        return out, bw, bb

    def gemm(self, node: str, x: str, weight: str, bias: str, dims: Dims) -> tuple[str, str]:
        """Gemm as in the real 10.16 log: weight constant, MatMul layer, bias broadcast, Add layer."""
        out = f"{node}_output_0"
        regs = [*self._const(weight), "Using opA: 0 opB: 1", self._reg_node(node, node), *self._const(bias)]
        bcast, bregs = self._broadcast(bias)
        regs += [*bregs, self._reg_node(self.unique(node), node)]
        self._emit(node, "Gemm", [x, weight, bias], regs, [(out, dims, "FLOAT")])
        return out, bcast

    def mark_outputs(self, names: list[str]) -> None:
        for n in names:
            self.node_msgs.append(f"Marking {n} as output: {n}")

    def messages(self) -> list[str]:
        return [*self.input_msgs, *self.init_msgs, *self.node_msgs]


@dataclass
class EngineLayer:
    """One layer of the built engine, with what the timing templates need to know."""

    name: str
    ltype: str  # the word in `Layer(<ltype>)`
    kind: str  # timing template: gemm, mm, pw, shuffle, softmax, myelin, reformat
    runner: str  # runner type in `Timing Runner: name (<runner>[0x...])`
    inputs: list[tuple[str, str, Dims]]  # tensor, engine dtype, dims
    outputs: list[tuple[str, str, Dims]]
    tactic: str
    metadata: list[str] = field(default_factory=list)  # ONNX nodes, for Myelin metadata lines
    encoder_layer: int = -1


@dataclass
class BertModel:
    """Everything the writer needs: parse messages, warning candidates and the engine."""

    parse_messages: list[str]
    node_registrations: int
    onnx_nodes: int
    layers_registered: int
    weight_outputs: list[str]
    broadcast_outputs: list[str]
    activation_warnings: list[str]
    input_warnings: list[str]
    engine: list[EngineLayer]
    opt_messages: list[str]
    fallback_layers: list[int]


class EngineBuilder:
    """Builds the engine-layer list, inserting Reformat layers where precisions meet.

    Why: the Engine Layer Information of a half-failed INT8 build shows Int8 GEMMs next to
    Float fallbacks joined by `Reformatting CopyNode ...` layers; trtdiag has to read those.
    """

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.layers: list[EngineLayer] = []
        self.dtype: dict[str, str] = {}
        self.dims: dict[str, Dims] = {}

    def tensor(self, name: str, dtype: str, dims: Dims) -> None:
        self.dtype[name] = dtype
        self.dims[name] = dims

    def add(
        self,
        name: str,
        ltype: str,
        kind: str,
        runner: str,
        inputs: list[str],
        outputs: list[tuple[str, Dims]],
        prec: str | None,
        metadata: list[str] | None = None,
        encoder_layer: int = -1,
    ) -> None:
        """prec None = pass-through (shuffles keep the input's type)."""
        ins: list[tuple[str, str, Dims]] = []
        for k, t in enumerate(inputs):
            dt = self.dtype[t]
            if prec is not None and dt != prec and dt in ("Int8", "Float"):
                rname = f"Reformatting CopyNode for Input Tensor {k} to {name}"
                rout = f"Reformatted Input Tensor {k} to {name}"
                self.layers.append(
                    EngineLayer(
                        rname,
                        "Reformat",
                        "reformat",
                        "Reformat",
                        [(t, dt, self.dims[t])],
                        [(rout, prec, self.dims[t])],
                        self._tactic("reformat"),
                        encoder_layer=encoder_layer,
                    )
                )
                self.tensor(rout, prec, self.dims[t])
                t, dt = rout, prec
            ins.append((t, dt, self.dims[t]))
        out_dt = prec if prec is not None else ins[0][1]
        outs = []
        for t, d in outputs:
            self.tensor(t, out_dt, d)
            outs.append((t, out_dt, d))
        self.layers.append(
            EngineLayer(name, ltype, kind, runner, ins, outs, self._tactic(kind), metadata or [], encoder_layer)
        )

    def _tactic(self, kind: str) -> str:
        if kind in ("myelin", "shuffle"):
            return "0x0000000000000000"
        if kind == "reformat":
            return self.rng.choice(["0x0000000000000000", "0x00000000000003e8"])
        if kind == "pw":
            return f"0x{self.rng.randrange(32):016x}"
        return f"0x{self.rng.getrandbits(64):016x}"
