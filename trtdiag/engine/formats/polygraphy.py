"""``polygraphy inspect model x.engine --show layers [attrs]`` (``polygraphy-engine``) and
``polygraphy inspect model x.onnx --display-as=trt --show layers`` (``polygraphy-network``).

The listing is indented under ``==== TensorRT Engine ====``; a layer's ``{inputs} -> {outputs}``
may wrap over several lines, and ``---- Attributes ----`` follow it with ``--show attrs``.
Polygraphy restarts its layer numbering per profile (``- Profile: N``).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from trtdiag.engine.formats.common import make_tensor, normalise_dtype, parse_dims, parse_metadata, split_profile
from trtdiag.engine.formats.section import LayerSection, is_text, read_last_section
from trtdiag.engine.model import EngineLayer, EngineLayers, FormatId, TensorInfo

FORMAT = FormatId.POLYGRAPHY

_POLY_HEADER = re.compile(r"^==== TensorRT (?P<kind>Engine|Network) ====$")
_POLY_IO = re.compile(r"^---- \d+ (?:Engine|Network) (?P<io>Input|Output)\(s\) ----$")
_POLY_LAYERS = re.compile(r"^---- \d+ Layer\(s\)(?: Per Profile)? ----$")
_POLY_LAYER = re.compile(r"^Layer (?P<i>\d+)\s*\| (?P<name>.*) \[Op: (?P<op>[^\]]*)\]$")
_POLY_PROFILE = re.compile(r"^- Profile: (?P<p>\d+)$")
_POLY_TENSOR = re.compile(r"(?P<name>.+?) \[(?P<attrs>(?:dtype|shape|Format)[^\[\]]*)\](?:,\s*|$)")
_POLY_IO_SPLIT = re.compile(r"^\{(?P<i>.*?)\}\s*->\s*\{(?P<o>.*)\}$")


def parse_poly_tensors(text: str) -> list[TensorInfo]:
    """``X [dtype=float32, shape=(1, 2, -1, -1), Format: Float], Y [...]`` -> tensors."""
    out: list[TensorInfo] = []
    text = text.strip()
    pos = 0
    while pos < len(text):
        m = _POLY_TENSOR.match(text, pos)
        if m is None:
            break
        attrs = m.group("attrs")
        fmt_m = re.search(r"Format: (?P<f>.*)$", attrs)
        dtype_m = re.search(r"dtype=(?P<d>[\w.]+)", attrs)
        shape_m = re.search(r"shape=\((?P<s>[^)]*)\)", attrs)
        fmt = fmt_m.group("f").strip() if fmt_m else None
        dtype = normalise_dtype(fmt) if fmt else None
        if dtype is None and dtype_m is not None:
            dtype = normalise_dtype(dtype_m.group("d"))
        dims = parse_dims(shape_m.group("s")) if shape_m else None
        out.append(make_tensor(m.group("name").strip(), dtype, fmt, dims))
        pos = m.end()
    return out


@dataclass
class _PendingLayer:
    """A layer whose wrapped I/O lines and attributes are still arriving."""

    name: str
    op: str
    line: int
    origin: str | None = None
    tactic: str | None = None
    metadata: tuple[str, ...] = ()
    inputs: tuple[TensorInfo, ...] = ()
    outputs: tuple[TensorInfo, ...] = ()


class PolygraphySection(LayerSection):
    format_id = FORMAT
    keywords = (b"==== TensorRT ",)
    contiguous = False  # Polygraphy prints its listing bare: blank lines and gaps do not end it

    def __init__(self, number: int, version: str | None, syntax: str) -> None:
        super().__init__(number, version)
        self.syntax = syntax  # "engine" or "network"
        self.state = "head"  # "io-in", "io-out", "layers", "attrs" or "other"
        self.profile: int | None = None
        self.pending: _PendingLayer | None = None
        self.buf: list[str] = []

    @classmethod
    def start(cls, number: int, text: str, msg: str, version: str | None) -> LayerSection | None:
        m = _POLY_HEADER.match(msg)
        return cls(number, version, m.group("kind").lower()) if m is not None else None

    def feed(self, number: int, text: str, msg: str) -> bool:
        if not text.strip():
            return True
        if not text[:1].isspace():
            return False
        s = text.strip()
        if self._heading(s):
            return True
        if self.state in ("io-in", "io-out"):
            self.buf.append(s)
            joined = " ".join(self.buf)
            if joined.endswith("}"):
                self.io.extend(parse_poly_tensors(joined[1:-1] if joined.startswith("{") else joined))
                self.buf = []
            return True
        if self.state in ("layers", "attrs"):
            self._layer_line(number, s)
        return True

    def _heading(self, s: str) -> bool:
        """Handle a ``---- ... ----`` heading; False when ``s`` is none."""
        m = _POLY_IO.match(s)
        if m is not None:
            self._flush()
            self.state = "io-in" if m.group("io") == "Input" else "io-out"
            self.buf = []
            return True
        if _POLY_LAYERS.match(s):
            self._flush()
            self.state = "layers"
            return True
        if s.startswith("---- ") and s.endswith(" ----"):
            if s == "---- Attributes ----" and self.pending is not None:
                self._finish_io()
                self.state = "attrs"
            else:
                self._flush()
                self.state = "other"
            return True
        return False

    def _layer_line(self, number: int, s: str) -> None:
        m = _POLY_PROFILE.match(s)
        if m is not None:
            self._flush()
            self.profile = int(m.group("p"))
            self.state = "layers"
            return
        m = _POLY_LAYER.match(s)
        if m is not None:
            self._flush()
            self.pending = _PendingLayer(m.group("name"), m.group("op"), number)
            self.buf = []
            self.state = "layers"
            return
        layer = self.pending
        if self.state == "attrs" and layer is not None:
            if s.startswith("Origin ="):
                value = s.split("=", 1)[1].strip()
                layer.origin = value if value and value != "Unknown" else None
            elif s.startswith("Tactic ="):
                layer.tactic = s.split("=", 1)[1].strip() or None
            elif s.startswith("Metadata ="):
                layer.metadata = parse_metadata(s.split("=", 1)[1])
            return
        if layer is not None:
            self.buf.append(s)

    def _finish_io(self) -> None:
        layer = self.pending
        if layer is None or not self.buf:
            return
        joined = " ".join(self.buf)
        self.buf = []
        m = _POLY_IO_SPLIT.match(joined)
        if m is None:
            return
        layer.inputs = tuple(parse_poly_tensors(m.group("i")))
        layer.outputs = tuple(parse_poly_tensors(m.group("o")))

    def _flush(self) -> None:
        layer = self.pending
        if layer is None:
            return
        self._finish_io()
        name, profile = split_profile(layer.name)
        if profile is None:
            profile = self.profile
        self.layers.append(EngineLayer(0, name, profile, layer.op, layer.inputs, layer.outputs, layer.tactic,
                                       layer.metadata, layer.origin, layer.line))
        self.pending = None

    def close(self) -> None:
        self._flush()

    def format_name(self) -> str:
        return f"polygraphy-{self.syntax or 'engine'}"


def sniff(head: bytes) -> bool:
    return is_text(head)


def read(path: str | os.PathLike[str]) -> EngineLayers:
    """The last Polygraphy layer listing of a file; InputError when there is none."""
    return read_last_section(path, (PolygraphySection,), "polygraphy inspect model --show layers")
