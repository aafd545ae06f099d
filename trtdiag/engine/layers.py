"""Readers for the layers of a built TensorRT engine, from every place TensorRT or Polygraphy prints them.

Why: comparing an FP16 engine with an INT8 engine layer by layer needs the engine's layers (fused
names, layer types, I/O precisions, tactics, covered ONNX nodes). TensorRT is not installed here,
so the engine file itself cannot be opened; what users do have are the artifacts below, and each
TensorRT version prints them differently (see ``docs/log-formats.md`` §4 of the shared notes):

==============================  =========================================================================
format id                       where it comes from
==============================  =========================================================================
``json-names``                  ``trtexec --exportLayerInfo`` at default verbosity: ``{"Layers": ["name"]}``
``json-detailed``               ``--exportLayerInfo`` with ``--profilingVerbosity=detailed`` (8.2-10.x),
                                also 11.x files with ``"I/O Tensors"`` instead of ``"Bindings"``
``layer-info-text-7``           verbose ``Engine Layer Information:`` of TRT 7: ``in[Int8(128,28,28)]``
``layer-info-text-8``           the same section in 8.0-8.5: ``x:0[Float(-2,1,28,28)]``
``layer-info-text-86``          the same section in 8.6-10.x: ``x (Float[-1,1,28,28])``, ``Half[-1,32:8,..]``
``dump-layer-info-detailed``    ``--dumpLayerInfo`` with detailed verbosity: ``Name: ..., LayerType: ...``
                                one line per layer (10.x Myelin sub-layers ``__myl_*`` included)
``gpu-layers-7``                TRT 7 INFO ``Layers running on GPU:`` followed by one comma list
``gpu-layers-85``               TRT 8.5+ INFO ``Layers Running on GPU`` then ``[GpuLayer] KIND: name``
``polygraphy-engine``           ``polygraphy inspect model x.engine --show layers [attrs]``
``polygraphy-network``          ``polygraphy inspect model x.onnx --display-as=trt --show layers``
==============================  =========================================================================

Text logs are streamed: the file is read in chunks and searched for a few marker strings with
``bytes.find`` (C speed); only from a marker on are lines decoded and handed to the section parser,
and only while that parser says it is inside a section. A multi-gigabyte verbose build log costs
about as much as a ``grep`` and memory stays bounded by the chunk size.

A log can hold several sections (one per build, or one per profiling verbosity as in a script
that builds three times). :func:`read_engine_layers` returns the **last** section that has at
least one layer. That is the engine the log ends with, and within one trtexec/Python build the
later listing is also the more detailed one (``[GpuLayer]`` INFO lines come before the verbose
``Engine Layer Information``; ``--dumpLayerInfo`` output comes after the build). Every section is
available from :func:`parse_engine_layer_sections`.

Names are normalised in one way only: the ``" [profile N]"`` suffix that multi-profile engines
add to layer and tensor names is removed and kept in :attr:`EngineLayer.profile`, so that the
layers of profile 1 can be matched with those of profile 0 and with other engines.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from trtdiag.engine.model import EngineLayer, EngineLayers, TensorInfo
from trtdiag.errors import InputError
from trtdiag.io.files import load_json_values, looks_binary, looks_json, read_head
from trtdiag.io.prefix import split_prefix
from trtdiag.io.scan import scan_marked_lines
from trtdiag.io.versions import TRT_VERSION_LINE_RE, TRTEXEC_VERSION_RE, decode_trt_version

CHUNK_BYTES = 8 << 20

# --- data ------------------------------------------------------------------------------------------








# --- dtype / names / metadata helpers --------------------------------------------------------------

#: Tokens (lower-cased words) that name a data type in TensorRT format strings, in trtexec text
#: (``Half[...]``), in Polygraphy (``float16``, ``DataType.HALF``) and in the inspector JSON
#: (``Row major linear FP32``, ``Thirty-two wide channel vectorized row major Int8 format``).
_DTYPE_TOKENS: dict[str, str] = {
    "fp32": "FP32", "float": "FP32", "float32": "FP32", "kfloat": "FP32",
    "fp16": "FP16", "half": "FP16", "float16": "FP16", "khalf": "FP16",
    "bf16": "BF16", "bfloat16": "BF16", "kbf16": "BF16",
    "int8": "INT8", "kint8": "INT8",
    "uint8": "UINT8", "kuint8": "UINT8",
    "fp8": "FP8", "float8": "FP8", "kfp8": "FP8", "e4m3": "FP8", "e5m2": "FP8", "float8e4m3fn": "FP8",
    "int4": "INT4", "kint4": "INT4",
    "fp4": "FP4", "float4": "FP4", "kfp4": "FP4", "e2m1": "FP4", "float4e2m1": "FP4",
    "int32": "INT32", "kint32": "INT32",
    "int64": "INT64", "kint64": "INT64",
    "bool": "BOOL", "boolean": "BOOL", "kbool": "BOOL",
}  # fmt: skip
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*")


def normalise_dtype(text: str | None) -> str | None:
    """Data type named by a TensorRT/Polygraphy format or type string, or None if it names none.

    The first word that names a type wins: in ``Channel major FP16 format where channel % 8 == 0``
    that is ``FP16``; in ``Half[-1,32:8,28,28]`` it is ``Half``. Words are matched whole, so the
    ``Thirty-two`` of a vectorisation never reads as a type.
    """
    if not text:
        return None
    for word in _WORD.findall(text):
        dtype = _DTYPE_TOKENS.get(word.lower())
        if dtype is not None:
            return dtype
    return None


_PROFILE_SUFFIX = re.compile(r" \[profile (\d+)\]")


def split_profile(name: str) -> tuple[str, int | None]:
    """Remove a ``" [profile N]"`` suffix (TensorRT puts it at the end, or before ``_myl..`` in
    Myelin sub-layer names) and return ``(name, N)``; ``(name, None)`` when there is none."""
    m = _PROFILE_SUFFIX.search(name)
    if m is None:
        return name, None
    return name[: m.start()] + name[m.end() :], int(m.group(1))


_METADATA_SEPARATORS = "\x1e\x1f\ufffd"


def parse_metadata(text: str | None) -> tuple[str, ...]:
    """ONNX node names from a layer's ``Metadata``.

    Entries are ``[ONNX Layer: name]``, joined by ``\\x1e`` (8.6), ``\\x1f`` (10.x), ``U+FFFD`` (as
    rendered by some terminals) or nothing. 8.6 appends `` | <doc string>`` and 10.x
    `` | Local Function: f`` inside the brackets; those are dropped. The parser truncates metadata
    at 4000 characters, so the last entry may lack its ``]``; it is kept as far as it goes.
    Splitting at each ``[ONNX Layer: `` (rather than matching up to ``]``) keeps names that
    themselves contain brackets intact.
    """
    if not text:
        return ()
    names: list[str] = []
    for piece in text.split("[ONNX Layer: ")[1:]:
        piece = piece.rstrip(_METADATA_SEPARATORS + " ")
        if piece.endswith("]"):
            piece = piece[:-1]
        name = piece.split(" | ", 1)[0].strip()
        if name:
            names.append(name)
    return tuple(names)


def _parse_dims(text: str) -> tuple[int, ...] | None:
    """``-1,32:8,28,28`` -> ``(-1, 32, 28, 28)``: a vectorised channel ``C:V`` counts as C."""
    dims: list[int] = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        try:
            dims.append(int(part.split(":", 1)[0]))
        except ValueError:
            return None
    return tuple(dims)


def split_top_level(text: str, sep: str = ", ") -> list[str]:
    """Split at ``sep`` outside ``()``/``[]``/``{}``: fused names such as ``PWN(PWN(a, b), c)``
    contain the separator of the list they sit in."""
    parts: list[str] = []
    depth = 0
    start = 0
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth = max(0, depth - 1)
        elif depth == 0 and text.startswith(sep, i):
            parts.append(text[start:i])
            i += len(sep)
            start = i
            continue
        i += 1
    parts.append(text[start:])
    return [p.strip() for p in parts if p.strip()]


def _tensor(name: str, dtype: str | None, fmt: str | None, dims: tuple[int, ...] | None) -> TensorInfo:
    """A tensor with its ``[profile N]`` suffix removed (the layer carries the profile)."""
    return TensorInfo(name=split_profile(name)[0], dtype=dtype, format=fmt, dims=dims)


# --- file access ------------------------------------------------------------------------------------




















# --- JSON (trtexec --exportLayerInfo / IEngineInspector) -------------------------------------------


def _json_tensor(obj: Any) -> TensorInfo:
    if isinstance(obj, str):
        return _tensor(obj, None, None, None)
    if not isinstance(obj, dict):
        return _tensor(str(obj), None, None, None)
    fmt = obj.get("Format/Datatype")
    if fmt is None:
        fmt = obj.get("DataType") or obj.get("Format")
        infos = obj.get("ProfileInfo")
        if isinstance(infos, list) and infos and isinstance(infos[0], dict) and infos[0].get("Format"):
            fmt = infos[0]["Format"]
    dims_raw = obj.get("Dimensions")
    dims: tuple[int, ...] | None = None
    if isinstance(dims_raw, list):
        try:
            dims = tuple(int(d) for d in dims_raw)
        except (TypeError, ValueError):
            dims = None
    dtype = normalise_dtype(obj.get("DataType")) if obj.get("DataType") else normalise_dtype(fmt)
    return _tensor(str(obj.get("Name", "")), dtype, fmt if fmt is None else str(fmt), dims)


def _tactic_of(name: Any, value: Any) -> str | None:
    if isinstance(name, str) and name.strip():
        return name.strip()
    if value is None or value == "":
        return None
    return str(value)


def engine_layers_from_json(doc: Any, source: str) -> EngineLayers:
    """Build :class:`EngineLayers` from a parsed ``--exportLayerInfo`` document.

    Accepts names-only (``Layers`` of strings) and detailed (``Layers`` of objects) files, with
    ``Bindings`` (8.x-10.x), ``I/O Tensors`` (11.x) or neither (old 8.x).
    """
    if not isinstance(doc, dict):
        raise InputError(f"{source} is JSON but not engine layer information (expected an object with \"Layers\")")
    layers_raw = doc.get("Layers", doc.get("layers"))
    if not isinstance(layers_raw, list):
        raise InputError(f"{source} is JSON but has no \"Layers\" list (not a trtexec --exportLayerInfo file)")
    detailed = any(isinstance(item, dict) for item in layers_raw)
    layers: list[EngineLayer] = []
    for item in layers_raw:
        if isinstance(item, dict):
            name, profile = split_profile(str(item.get("Name", "")))
            metadata = item.get("Metadata")
            origin = item.get("Origin")
            layer_type = item.get("LayerType")
            layers.append(
                EngineLayer(
                    index=0,
                    name=name,
                    profile=profile,
                    layer_type=str(layer_type) if layer_type is not None else None,
                    inputs=tuple(_json_tensor(t) for t in item.get("Inputs") or []),
                    outputs=tuple(_json_tensor(t) for t in item.get("Outputs") or []),
                    tactic=_tactic_of(item.get("TacticName"), item.get("TacticValue")),
                    metadata=parse_metadata(metadata if isinstance(metadata, str) else None),
                    origin=str(origin) if origin not in (None, "") else None,
                    line=None,
                )
            )
        else:
            name, profile = split_profile(str(item))
            layers.append(EngineLayer(0, name, profile, None, (), (), None, (), None, None))
    io_raw = doc.get("I/O Tensors")
    if not isinstance(io_raw, list):
        io_raw = doc.get("Bindings") if isinstance(doc.get("Bindings"), list) else []
    io_tensors = tuple(_json_tensor(t) for t in io_raw)
    return EngineLayers(
        source=source,
        format="json-detailed" if detailed else "json-names",
        tensorrt_version=None,
        layers=_finalise_layers(layers),
        io_tensors=_dedupe(io_tensors),
    )


def _dedupe(tensors: Iterable[TensorInfo]) -> tuple[TensorInfo, ...]:
    """Bindings of multi-profile engines repeat per profile (``x``, ``x [profile 1]``): keep one."""
    seen: set[str] = set()
    out: list[TensorInfo] = []
    for t in tensors:
        if t.name not in seen:
            seen.add(t.name)
            out.append(t)
    return tuple(out)


def _finalise_layers(layers: Sequence[EngineLayer]) -> tuple[EngineLayer, ...]:
    """Number the layers and settle ``profile``.

    Single-profile sources get None throughout. In multi-profile engines TensorRT lists all layers
    of profile 0 (no suffix), then all of profile 1 (``[profile 1]``), and so on; a layer without
    a suffix therefore belongs to the profile of the layer before it. That matters for Myelin
    sub-layers such as ``__mye258_0_myl15_0``, which never carry the suffix.
    """
    profiles = {layer.profile for layer in layers if layer.profile is not None}
    multi = bool(profiles - {0})
    out: list[EngineLayer] = []
    current = 0
    for i, layer in enumerate(layers):
        if multi:
            current = layer.profile if layer.profile is not None else current
            profile: int | None = current
        else:
            profile = None
        out.append(replace(layer, index=i, profile=profile))
    return tuple(out)


# --- text: section parser ----------------------------------------------------------------------------

#: Byte strings that start (or describe) a layer listing in a log; see :func:`scan_marked_lines`.
LAYER_MARKERS: tuple[bytes, ...] = (
    b"Engine Layer Information",
    b"Layer(",
    b"LayerType: ",
    b"Layer Information:",
    b"Layers:",
    b"ayers running on",
    b"ayers Running on",
    b"[GpuLayer]",
    b"[DlaLayer]",
    b"==== TensorRT ",
    b"TensorRT v",
    b"TensorRT version",
    b"&&&& RUNNING",
    b"Loaded Module: tensorrt",
    b"ForeignNode {ForeignNode[",
)

_TEXT_MARKERS = tuple(m.decode() for m in LAYER_MARKERS)

_LAYER_LINE = re.compile(r"^Layer\((?P<type>[^()]*)\): (?P<rest>.*)$")
_T86 = re.compile(r"(?P<name>.+?) \((?P<spec>(?P<dt>[A-Za-z][A-Za-z0-9]*)\[(?P<dims>[^\[\]]*)\])\)(?:, |$)")
_T80 = re.compile(r"(?P<name>.+?)\[(?P<spec>(?P<dt>[A-Za-z][A-Za-z0-9]*)\((?P<dims>[^()]*)\))\](?:, |$)")
_DETAILED_HEAD = re.compile(r"^Name: (?P<name>.*?), LayerType: (?P<type>[^,]*), Inputs: (?P<rest>.*)$")
_DT_TENSOR = re.compile(
    r"\{\s*Name: (?P<name>.*?), (?:Location: [^,]*, )?Dimensions: \[(?P<dims>[^\]]*)\], "
    r"Format/Datatype: (?P<fmt>.*?)\s*\}"
)
_KV_ORIGIN = re.compile(r"(?:^|, )Origin: (?P<v>[^,]*)")
_KV_TACTIC_NAME = re.compile(r"(?:^|, )TacticName: (?P<v>[^,]*)")
_KV_TACTIC_VALUE = re.compile(r"(?:^|, )TacticValue: (?P<v>[^,]*)")
_GPU_HEADER = re.compile(r"^-+ Layers [Rr]unning on (?P<dev>GPU|DLA):?\s*-*$")
_GPU_LAYER = re.compile(r"^\[(?P<dev>Gpu|Dla)Layer\] (?:(?P<kind>[A-Z][A-Z0-9_]*): )?(?P<name>.+)$")
_POLY_HEADER = re.compile(r"^==== TensorRT (?P<kind>Engine|Network) ====$")
_POLY_IO = re.compile(r"^---- \d+ (?:Engine|Network) (?P<io>Input|Output)\(s\) ----$")
_POLY_LAYERS = re.compile(r"^---- \d+ Layer\(s\)(?: Per Profile)? ----$")
_POLY_LAYER = re.compile(r"^Layer (?P<i>\d+)\s*\| (?P<name>.*) \[Op: (?P<op>[^\]]*)\]$")
_POLY_PROFILE = re.compile(r"^- Profile: (?P<p>\d+)$")
_POLY_TENSOR = re.compile(r"(?P<name>.+?) \[(?P<attrs>(?:dtype|shape|Format)[^\[\]]*)\](?:,\s*|$)")
_POLY_IO_SPLIT = re.compile(r"^\{(?P<i>.*?)\}\s*->\s*\{(?P<o>.*)\}$")
_FOREIGN_METADATA = re.compile(
    r"^ForeignNode (?P<name>\{ForeignNode\[.*\]\}(?: \[profile \d+\])?) metadata:\s?(?P<md>.*)$"
)
_POLY_TRT_VERSION = re.compile(r"Loaded Module: tensorrt\s*\|\s*Version: (?P<v>\d+\.\d+(?:\.\d+){0,2})")


def _parse_tensor_list(text: str, rx: re.Pattern[str]) -> list[re.Match[str]] | None:
    text = text.strip()
    if not text:
        return []
    out: list[re.Match[str]] = []
    pos = 0
    while pos < len(text):
        m = rx.match(text, pos)
        if m is None:
            return None
        out.append(m)
        pos = m.end()
    return out


def _text_tensor(m: re.Match[str]) -> TensorInfo:
    return _tensor(m.group("name"), normalise_dtype(m.group("dt")), m.group("spec"), _parse_dims(m.group("dims")))


def _parse_layer_io(io: str) -> tuple[list[TensorInfo], list[TensorInfo], str | None] | None:
    """Split ``in -> out`` of a ``Layer(...)`` line into tensors; the syntax id ("86"/"8") or None.

    Tensor names may contain ``, `` and brackets, so the arrow is tried at each occurrence and a
    split is accepted only when both sides parse completely with the same syntax.
    """
    io = io.strip()
    candidates: list[tuple[str, str]] = []
    if io.startswith("->"):
        candidates.append(("", io[2:]))
    candidates += [(io[: m.start()], io[m.end() :]) for m in re.finditer(r" -> ", io)]
    if io.endswith(" ->"):
        candidates.append((io[:-3], ""))
    for left, right in candidates:
        for syntax, rx in (("86", _T86), ("8", _T80)):
            ins = _parse_tensor_list(left, rx)
            outs = _parse_tensor_list(right, rx)
            if ins is None or outs is None:
                continue
            if not ins and not outs:
                continue
            return [_text_tensor(m) for m in ins], [_text_tensor(m) for m in outs], syntax
    return None


@dataclass
class _Section:
    kind: str  # "layer-info", "detailed", "gpu", "poly"
    start_line: int
    version: str | None
    layers: list[EngineLayer]
    io: list[TensorInfo]
    syntax: str | None = None  # "86"/"8" for layer-info, "7"/"85" for gpu, "engine"/"network" for poly
    last_line: int = 0


class LayerSectionParser:
    """Turns log lines into layer sections. Feed every line (or at least every line from a
    :data:`LAYER_MARKERS` marker on, see :func:`scan_marked_lines`); ``feed`` returns True while
    it is inside a section.

    Lines may carry any prefix :func:`trtdiag.io.reader.split_prefix` knows: trtexec prints the
    ``Layer(...)``/``Name: ...`` lines bare, Python loggers may prefix them. A keyword-filtered
    stream (only the lines :class:`trtdiag.io.reader.LogReader` selects) still yields the
    ``Layer(...)`` sections: a gap in line numbers ends a section.
    """

    def __init__(self, source: str) -> None:
        self.source = source
        self.sections: list[_Section] = []
        self.version: str | None = None
        self._cur: _Section | None = None
        self._state = ""  # detailed: "layers"/"bindings"; gpu: "expect-list"/"listing"; poly: sub-mode
        self._foreign_metadata: dict[tuple[str, int | None], str] = {}
        self._gpu_device = "GPU"
        self._gpu_list_follows = False  # TRT 7 headers end with ":" and the list follows on one line
        # Polygraphy per-layer accumulators
        self._poly_profile: int | None = None
        self._poly_layer: dict[str, Any] | None = None
        self._poly_buf: list[str] = []

    # -- public ------------------------------------------------------------------------------------

    def feed(self, number: int, text: str) -> bool:
        if self._cur is not None and self._continue(number, text):
            self._cur.last_line = number
            return True
        return self._idle(number, text)

    def finish(self) -> list[EngineLayers]:
        """Close the open section; return every section that has at least one layer, in order."""
        self._close()
        out: list[EngineLayers] = []
        for sec in self.sections:
            if not sec.layers:
                continue
            out.append(self._to_result(sec))
        return out

    # -- idle: look for the start of a section ---------------------------------------------------------

    def _idle(self, number: int, text: str) -> bool:
        if not any(marker in text for marker in _TEXT_MARKERS):
            return False  # the same lines scan_marked_lines would skip: both ways give one result
        line = split_prefix(number, text)
        msg = line.message
        self._note_version(text)
        if msg == "Engine Layer Information:":
            self._open("layer-info", number)
            return True
        m = _LAYER_LINE.match(msg)
        if m is not None:
            self._open("layer-info", number)
            self._add_layer_line(number, m)
            return True
        if msg in ("Layer Information:", "Layers:"):
            self._open("detailed", number)
            self._state = "layers"
            return True
        m = _DETAILED_HEAD.match(msg)
        if m is not None:
            self._open("detailed", number)
            self._state = "layers"
            self._add_detailed(number, m)
            return True
        m = _GPU_HEADER.match(msg)
        if m is not None:
            self._open("gpu", number)
            self._gpu_header(m)
            return True
        m = _GPU_LAYER.match(msg)
        if m is not None:
            self._open("gpu", number)
            self._state = "listing"
            self._add_gpu_layer(number, m)
            return True
        m = _POLY_HEADER.match(msg)
        if m is not None:
            self._open("poly", number)
            self._cur.syntax = m.group("kind").lower()  # type: ignore[union-attr]
            self._state = "head"
            self._poly_profile = None
            self._poly_layer = None
            self._poly_buf = []
            return True
        m = _FOREIGN_METADATA.match(msg)
        if m is not None:
            self._foreign_metadata[split_profile(m.group("name"))] = m.group("md")
        return False

    def _note_version(self, text: str) -> None:
        if "TensorRT" not in text and "tensorrt" not in text:
            return
        m = TRTEXEC_VERSION_RE.search(text)
        if m is not None:
            self.version = decode_trt_version(m.group("v"))
            return
        if "&&&& RUNNING" in text:
            self.version = None  # a new trtexec run without a version tag (TRT 7): unknown
            return
        m = TRT_VERSION_LINE_RE.search(text) or _POLY_TRT_VERSION.search(text)
        if m is not None:
            self.version = m.group("v")

    def _open(self, kind: str, number: int) -> None:
        self._close()
        self._cur = _Section(kind=kind, start_line=number, version=self.version, layers=[], io=[], last_line=number)
        self._state = ""

    def _close(self) -> None:
        sec = self._cur
        if sec is None:
            return
        if sec.kind == "poly":
            self._poly_flush_layer()
        if sec.version is None:
            sec.version = self.version
        self.sections.append(sec)
        self._cur = None
        self._state = ""

    # -- inside a section ------------------------------------------------------------------------------

    def _continue(self, number: int, text: str) -> bool:
        """Handle a line of the open section; False closes it (the line is then looked at again)."""
        sec = self._cur
        assert sec is not None
        if number != sec.last_line + 1 and sec.kind != "poly":
            self._close()
            return False
        if sec.kind == "poly":
            return self._poly_line(number, text)
        msg = split_prefix(number, text).message
        if sec.kind == "layer-info":
            m = _LAYER_LINE.match(msg)
            if m is None:
                self._close()
                return False
            self._add_layer_line(number, m)
            return True
        if sec.kind == "detailed":
            return self._detailed_line(number, text, msg)
        if sec.kind == "gpu":
            return self._gpu_line(number, msg)
        return False

    # -- Engine Layer Information ------------------------------------------------------------------------

    def _add_layer_line(self, number: int, m: re.Match[str]) -> None:
        sec = self._cur
        assert sec is not None
        rest = m.group("rest")
        idx = rest.find(", Tactic: ")
        tactic: str | None = None
        inputs: list[TensorInfo] = []
        outputs: list[TensorInfo] = []
        if idx >= 0:
            name = rest[:idx]
            tactic, _, io = rest[idx + len(", Tactic: ") :].partition(", ")
            parsed = _parse_layer_io(io)
            if parsed is not None:
                inputs, outputs, syntax = parsed
                sec.syntax = sec.syntax or syntax
        else:
            name = rest
        name, profile = split_profile(name.strip())
        sec.layers.append(
            EngineLayer(0, name, profile, m.group("type") or None, tuple(inputs), tuple(outputs),
                        tactic.strip() if tactic else None, (), None, number)
        )

    # -- --dumpLayerInfo (detailed, one line per layer) ----------------------------------------------------

    def _detailed_line(self, number: int, text: str, msg: str) -> bool:
        sec = self._cur
        assert sec is not None
        if self._state == "layers":
            m = _DETAILED_HEAD.match(msg)
            if m is not None:
                self._add_detailed(number, m)
                return True
            if msg == "" and sec.layers:
                self._state = "gap"
                return True
            if msg == "Bindings:" and sec.layers:
                self._state = "bindings"
                return True
            self._close()
            return False
        if self._state == "gap":
            if msg == "Bindings:":
                self._state = "bindings"
                return True
            self._close()
            return False
        # bindings: bare names, one per line, until a prefixed line / blank / trtexec footer
        line = split_prefix(number, text)
        if msg and not line.has_prefix and not msg.startswith("&&&&"):
            sec.io.append(_tensor(msg, None, None, None))
            return True
        self._close()
        return False

    def _add_detailed(self, number: int, m: re.Match[str]) -> None:
        sec = self._cur
        assert sec is not None
        name, profile = split_profile(m.group("name"))
        rest = m.group("rest")
        inputs, pos = _parse_detailed_tensors(rest, 0)
        outputs: list[TensorInfo] = []
        tail = ""
        if inputs is not None and rest.startswith(", Outputs: ", pos):
            outputs_parsed, pos2 = _parse_detailed_tensors(rest, pos + len(", Outputs: "))
            if outputs_parsed is not None:
                outputs = outputs_parsed
                tail = rest[pos2:]
        else:
            tail = rest
        metadata = ""
        md_at = tail.find(", Metadata:")
        if md_at < 0 and tail.startswith("Metadata:"):
            md_at = 0
        if md_at >= 0:
            metadata = tail[md_at:].split("Metadata:", 1)[1].strip()
            tail = tail[:md_at]
        origin = _KV_ORIGIN.search(tail)
        tname = _KV_TACTIC_NAME.search(tail)
        tvalue = _KV_TACTIC_VALUE.search(tail)
        sec.layers.append(
            EngineLayer(
                index=0,
                name=name,
                profile=profile,
                layer_type=m.group("type").strip() or None,
                inputs=tuple(inputs or ()),
                outputs=tuple(outputs),
                tactic=_tactic_of(tname.group("v") if tname else None, tvalue.group("v").strip() if tvalue else None),
                metadata=parse_metadata(metadata),
                origin=(origin.group("v").strip() or None) if origin else None,
                line=number,
            )
        )

    # -- Layers running on GPU (TRT 7) / [GpuLayer] (TRT 8.5+) ----------------------------------------------

    def _gpu_header(self, m: re.Match[str]) -> None:
        self._gpu_device = m.group("dev")
        # TRT 7: "--------------- Layers running on GPU: " and the list on the next line;
        # TRT 8.5+: "---------- Layers Running on GPU ----------" and one [GpuLayer] line per layer
        self._gpu_list_follows = m.group(0).rstrip().endswith(":")
        self._state = "expect-list"

    def _gpu_line(self, number: int, msg: str) -> bool:
        sec = self._cur
        assert sec is not None
        m = _GPU_LAYER.match(msg)
        if m is not None:
            self._state = "listing"
            self._add_gpu_layer(number, m)
            return True
        m = _GPU_HEADER.match(msg)
        if m is not None:
            # the DLA listing comes first and the GPU listing right after: both belong to one engine
            self._gpu_header(m)
            return True
        if msg == "" and self._state in ("expect-list", "listed"):
            return True  # TRT 7 prints an empty INFO line after each list (and for an empty DLA list)
        if self._state == "expect-list" and self._gpu_list_follows:
            sec.syntax = "7"
            for name in split_top_level(msg.rstrip().rstrip(",")):
                clean, profile = split_profile(name)
                layer_type = "DLA" if self._gpu_device == "DLA" else None
                sec.layers.append(EngineLayer(0, clean, profile, layer_type, (), (), None, (), None, number))
            self._state = "listed"
            return True
        self._close()
        return False

    def _add_gpu_layer(self, number: int, m: re.Match[str]) -> None:
        sec = self._cur
        assert sec is not None
        sec.syntax = "85"
        kind = m.group("kind")
        if m.group("dev") == "Dla":
            kind = f"DLA:{kind}" if kind else "DLA"
        name, profile = split_profile(m.group("name").strip())
        sec.layers.append(EngineLayer(0, name, profile, kind, (), (), None, (), None, number))

    # -- Polygraphy inspect model --show layers ------------------------------------------------------------

    def _poly_line(self, number: int, text: str) -> bool:
        sec = self._cur
        assert sec is not None
        if not text.strip():
            return True
        if not text[:1].isspace():
            self._close()
            return False
        s = text.strip()
        m = _POLY_IO.match(s)
        if m is not None:
            self._poly_flush_layer()
            self._state = "io-in" if m.group("io") == "Input" else "io-out"
            self._poly_buf = []
            return True
        if _POLY_LAYERS.match(s):
            self._poly_flush_layer()
            self._state = "layers"
            return True
        if s.startswith("---- ") and s.endswith(" ----"):
            if s == "---- Attributes ----" and self._poly_layer is not None:
                self._poly_finish_io()
                self._state = "attrs"
            else:
                self._poly_flush_layer()
                self._state = "other"
            return True
        if self._state in ("io-in", "io-out"):
            self._poly_buf.append(s)
            joined = " ".join(self._poly_buf)
            if joined.endswith("}"):
                for t in _parse_poly_tensors(joined[1:-1] if joined.startswith("{") else joined):
                    sec.io.append(t)
                self._poly_buf = []
            return True
        if self._state in ("layers", "attrs"):
            m = _POLY_PROFILE.match(s)
            if m is not None:
                self._poly_flush_layer()
                self._poly_profile = int(m.group("p"))
                self._state = "layers"
                return True
            m = _POLY_LAYER.match(s)
            if m is not None:
                self._poly_flush_layer()
                self._poly_layer = {"name": m.group("name"), "op": m.group("op"), "line": number, "origin": None,
                                    "tactic": None, "metadata": (), "inputs": (), "outputs": ()}
                self._poly_buf = []
                self._state = "layers"
                return True
            if self._state == "attrs" and self._poly_layer is not None:
                if s.startswith("Origin ="):
                    value = s.split("=", 1)[1].strip()
                    self._poly_layer["origin"] = value if value and value != "Unknown" else None
                elif s.startswith("Tactic ="):
                    self._poly_layer["tactic"] = s.split("=", 1)[1].strip() or None
                elif s.startswith("Metadata ="):
                    self._poly_layer["metadata"] = parse_metadata(s.split("=", 1)[1])
                return True
            if self._poly_layer is not None:
                self._poly_buf.append(s)
            return True
        return True

    def _poly_finish_io(self) -> None:
        layer = self._poly_layer
        if layer is None or not self._poly_buf:
            return
        joined = " ".join(self._poly_buf)
        self._poly_buf = []
        m = _POLY_IO_SPLIT.match(joined)
        if m is None:
            return
        ins = _parse_poly_tensors(m.group("i"))
        outs = _parse_poly_tensors(m.group("o"))
        layer["inputs"] = tuple(ins)
        layer["outputs"] = tuple(outs)

    def _poly_flush_layer(self) -> None:
        layer = self._poly_layer
        sec = self._cur
        if layer is None or sec is None:
            self._poly_layer = None
            return
        self._poly_finish_io()
        name, profile = split_profile(layer["name"])
        if profile is None:
            profile = self._poly_profile
        sec.layers.append(
            EngineLayer(0, name, profile, layer["op"], layer["inputs"], layer["outputs"], layer["tactic"],
                        layer["metadata"], layer["origin"], layer["line"])
        )
        self._poly_layer = None

    # -- result ------------------------------------------------------------------------------------------

    def _to_result(self, sec: _Section) -> EngineLayers:
        if sec.kind == "layer-info":
            if sec.syntax == "86":
                fmt = "layer-info-text-86"
            elif sec.syntax == "8":
                fmt = "layer-info-text-7" if (sec.version or "").startswith("7.") else "layer-info-text-8"
            else:
                fmt = _layer_info_format_by_version(sec.version)
        elif sec.kind == "detailed":
            fmt = "dump-layer-info-detailed"
        elif sec.kind == "gpu":
            fmt = "gpu-layers-7" if sec.syntax == "7" else "gpu-layers-85"
        else:
            fmt = f"polygraphy-{sec.syntax or 'engine'}"
        layers = sec.layers
        if self._foreign_metadata:
            # names-only listings carry no Metadata; the verbose "ForeignNode {...} metadata: [ONNX Layer: ..]"
            # line of the same build says which ONNX nodes a Myelin region covers
            layers = [
                replace(layer, metadata=parse_metadata(self._foreign_metadata[(layer.name, layer.profile)]))
                if not layer.metadata and (layer.name, layer.profile) in self._foreign_metadata
                else layer
                for layer in layers
            ]
        return EngineLayers(
            source=self.source,
            format=fmt,
            tensorrt_version=sec.version,
            layers=_finalise_layers(layers),
            io_tensors=_dedupe(sec.io),
        )


def _layer_info_format_by_version(version: str | None) -> str:
    if version is None:
        return "layer-info-text-8"
    try:
        major, minor = (int(x) for x in version.split(".")[:2])
    except ValueError:
        return "layer-info-text-8"
    if major < 8:
        return "layer-info-text-7"
    if major == 8 and minor < 6:
        return "layer-info-text-8"
    return "layer-info-text-86"


def _parse_detailed_tensors(text: str, pos: int) -> tuple[list[TensorInfo] | None, int]:
    """Parse ``[ { Name: ..., Dimensions: [..], Format/Datatype: ... }, ... ]`` starting at ``pos``
    (spacing inside the brackets varies between versions: ``[ {`` / ``[{``, ``}]`` / ``} ]``)."""

    def skip(at: int) -> int:
        while at < len(text) and text[at] == " ":
            at += 1
        return at

    if not text.startswith("[", pos):
        return None, pos
    pos = skip(pos + 1)
    out: list[TensorInfo] = []
    if text.startswith("]", pos):
        return out, pos + 1
    while True:
        m = _DT_TENSOR.match(text, pos)
        if m is None:
            return None, pos
        fmt = m.group("fmt").strip()
        out.append(_tensor(m.group("name"), normalise_dtype(fmt), fmt, _parse_dims(m.group("dims"))))
        pos = skip(m.end())
        if text.startswith("]", pos):
            return out, pos + 1
        if text.startswith(",", pos):
            pos = skip(pos + 1)
            continue
        return None, pos


def _parse_poly_tensors(text: str) -> list[TensorInfo]:
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
        dims = _parse_dims(shape_m.group("s")) if shape_m else None
        out.append(_tensor(m.group("name").strip(), dtype, fmt, dims))
        pos = m.end()
    return out


# --- public entry points -------------------------------------------------------------------------------


def parse_engine_layer_sections(lines: Iterable[tuple[int, str]], source: str) -> list[EngineLayers]:
    """Every layer listing in a text log, in order (empty list when there is none)."""
    parser = LayerSectionParser(source)
    for number, text in lines:
        parser.feed(number, text)
    return parser.finish()


def parse_engine_layers_text(lines: Iterable[tuple[int, str]], source: str) -> EngineLayers | None:
    """The last layer listing in a text log, or None. ``lines`` are ``(line number, raw text)``.

    Feed all lines of the log. A stream filtered to keyword lines (as
    :class:`trtdiag.io.reader.LogReader` yields) still gives the ``Layer(...)`` sections, but not
    the listings whose lines carry no keyword (``Name: ...``, Polygraphy, TRT 7 GPU list).
    """
    sections = parse_engine_layer_sections(lines, source)
    return sections[-1] if sections else None


def read_engine_layer_sections(path: str | os.PathLike[str]) -> list[EngineLayers]:
    """Every layer listing in a file: one for JSON, all sections for a text log."""
    p = Path(path)
    head = read_head(p)
    if looks_binary(head):
        raise InputError(f"{p} is a binary file (an engine/plan?), not layer information; "
                         "export it with trtexec --exportLayerInfo or a verbose build log")
    if looks_json(head):
        values = load_json_values(p)
        doc = values[-1]
        if isinstance(doc, list):
            raise InputError(
                f"{p} is a JSON list (a --exportProfile or --exportTimes file?), not --exportLayerInfo output"
            )
        return [engine_layers_from_json(doc, str(p))]
    parser = LayerSectionParser(str(p))
    scan_marked_lines(p, LAYER_MARKERS, parser.feed)
    return parser.finish()


def read_engine_layers(path: str | os.PathLike[str]) -> EngineLayers:
    """Read engine layers from any supported artifact (format detected from the content).

    For a text log holding several listings the last one is returned (see the module docstring).
    Raises InputError with a one-line message when the file is missing, empty, binary, malformed
    JSON, or holds no layer information.
    """
    sections = read_engine_layer_sections(path)
    if not sections:
        raise InputError(
            f"no engine layer information found in {path} (expected trtexec --exportLayerInfo JSON, a verbose "
            "build log with 'Engine Layer Information', --dumpLayerInfo output, or polygraphy inspect --show layers)"
        )
    return sections[-1]
