"""``trtexec --exportLayerInfo`` / ``IEngineInspector`` JSON.

=================  ==============================================================================
variant            what it holds
=================  ==============================================================================
``json-names``     default verbosity: ``{"Layers": ["name", ...]}``
``json-detailed``  ``--profilingVerbosity=detailed`` (8.2-10.x): one object per layer, ``Bindings``;
                   11.x files have ``"I/O Tensors"`` instead of ``"Bindings"``
=================  ==============================================================================
"""

from __future__ import annotations

import os
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from trtdiag.engine.formats.common import (
    dedupe,
    finalise_layers,
    make_tensor,
    normalise_dtype,
    parse_metadata,
    split_profile,
    tactic_of,
)
from trtdiag.engine.model import EngineLayer, EngineLayers, FormatId, TensorInfo
from trtdiag.errors import InputError
from trtdiag.io.files import looks_binary, looks_json
from trtdiag.io.json_values import load_json_values

FORMAT = FormatId.LAYERS_JSON

_LAYERS_JSON_START = re.compile(r'\{\s*"(?:Layers|layers|I/O Tensors|Bindings)"\s*:')
_LAYERS_JSON_KEY = re.compile(r'"Layers"\s*:\s*\[')


def json_text(head: bytes) -> str | None:
    """The decoded head of a JSON file (BOM and leading blanks removed), None when it is not JSON."""
    if not head or looks_binary(head) or not looks_json(head):
        return None
    return head.decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n")


def sniff(head: bytes) -> bool:
    text = json_text(head)
    return text is not None and text.startswith("{") and bool(
        _LAYERS_JSON_START.match(text) or _LAYERS_JSON_KEY.search(text))


def _json_tensor(obj: Any) -> TensorInfo:
    if isinstance(obj, str):
        return make_tensor(obj, None, None, None)
    if not isinstance(obj, dict):
        return make_tensor(str(obj), None, None, None)
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
    return make_tensor(str(obj.get("Name", "")), dtype, fmt if fmt is None else str(fmt), dims)


def _json_layer(item: Any) -> EngineLayer:
    if not isinstance(item, dict):
        name, profile = split_profile(str(item))
        return EngineLayer(0, name, profile, None, (), (), None, (), None, None)
    name, profile = split_profile(str(item.get("Name", "")))
    metadata = item.get("Metadata")
    origin = item.get("Origin")
    layer_type = item.get("LayerType")
    return EngineLayer(
        index=0,
        name=name,
        profile=profile,
        layer_type=str(layer_type) if layer_type is not None else None,
        inputs=tuple(_json_tensor(t) for t in item.get("Inputs") or []),
        outputs=tuple(_json_tensor(t) for t in item.get("Outputs") or []),
        tactic=tactic_of(item.get("TacticName"), item.get("TacticValue")),
        metadata=parse_metadata(metadata if isinstance(metadata, str) else None),
        origin=str(origin) if origin not in (None, "") else None,
        line=None,
    )


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
    io_raw = doc.get("I/O Tensors")
    if not isinstance(io_raw, list):
        bindings = doc.get("Bindings")
        io_raw = bindings if isinstance(bindings, list) else []
    return EngineLayers(
        source=source,
        format="json-detailed" if detailed else "json-names",
        tensorrt_version=None,
        layers=finalise_layers([_json_layer(item) for item in layers_raw]),
        io_tensors=dedupe(_json_tensor(t) for t in io_raw),
    )


def read(path: str | os.PathLike[str]) -> EngineLayers:
    """Layers of an ``--exportLayerInfo`` file (the last JSON value when several are appended)."""
    p = Path(path)
    values = load_json_values(p)
    doc = values[-1]
    if isinstance(doc, list):
        raise InputError(f"{p} is a JSON list (a --exportProfile or --exportTimes file?), not --exportLayerInfo output")
    layers = engine_layers_from_json(doc, str(p))
    return replace(layers, read_note=values.cut) if values.cut else layers
