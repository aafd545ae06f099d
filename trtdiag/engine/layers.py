"""Engine layers from any artifact that lists them: the public entry points over
:mod:`trtdiag.engine.formats` (one module per format) and the registry of
:mod:`trtdiag.engine.artifacts`.

Why: comparing an FP16 engine with an INT8 engine layer by layer needs the engine's layers (fused
names, layer types, I/O precisions, tactics, covered ONNX nodes). TensorRT is not installed here,
so the engine file itself cannot be opened; what users have are ``--exportLayerInfo`` JSON and
logs, and each TensorRT version prints them differently (the format modules list the variants).

Text logs are streamed: the file is read in chunks and searched for a few marker strings with
``bytes.find`` (C speed); only from a marker on are lines decoded and handed to the section parser,
and only while that parser says it is inside a section. A multi-gigabyte verbose build log costs
about as much as a ``grep`` and memory stays bounded by the chunk size.

A log can hold several sections (one per build, or one per profiling verbosity as in a script
that builds three times). :func:`read_engine_layers` returns the **last** section that has at
least one layer. That is the engine the log ends with, and within one trtexec/Python build the
later listing is also the more detailed one (``[GpuLayer]`` INFO lines come before the verbose
``Engine Layer Information``; ``--dumpLayerInfo`` output comes after the build). Every section is
available from :func:`read_engine_layer_sections`.

Names are normalised in one way only: the ``" [profile N]"`` suffix that multi-profile engines
add to layer and tensor names is removed and kept in :attr:`EngineLayer.profile`, so that the
layers of profile 1 can be matched with those of profile 0 and with other engines.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from trtdiag.engine.artifacts import LOG_GRAMMARS, read_log_layer_sections
from trtdiag.engine.formats import layers_json
from trtdiag.engine.formats.common import normalise_dtype, parse_metadata, split_profile, split_top_level
from trtdiag.engine.formats.layers_json import engine_layers_from_json
from trtdiag.engine.formats.section import LayerSectionParser
from trtdiag.engine.model import EngineLayers
from trtdiag.errors import InputError
from trtdiag.io.files import looks_binary, looks_json, read_head
from trtdiag.io.scan import scan_marked_lines

__all__ = [
    "LayerSectionParser", "engine_layers_from_json", "layer_parser", "normalise_dtype", "parse_engine_layer_sections",
    "parse_engine_layers_text", "parse_metadata", "read_engine_layer_sections", "read_engine_layers",
    "scan_marked_lines", "split_profile", "split_top_level",
]


def layer_parser(source: str) -> LayerSectionParser:
    """A line consumer for every registered layer-listing grammar (``keywords``, ``feed``, ``finish``)."""
    return LayerSectionParser(source, LOG_GRAMMARS)


def parse_engine_layer_sections(lines: Iterable[tuple[int, str]], source: str) -> list[EngineLayers]:
    """Every layer listing in a text log, in order (empty list when there is none)."""
    parser = layer_parser(source)
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
        return [layers_json.read(p)]
    return read_log_layer_sections(p)


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
