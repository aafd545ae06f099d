"""INFO listings of the layers per device.

=================  ==============================================================================
variant            what it looks like
=================  ==============================================================================
``gpu-layers-7``   TRT 7: ``--------------- Layers running on GPU:`` and one comma list on the next line
``gpu-layers-85``  TRT 8.5+: ``---------- Layers Running on GPU ----------`` then ``[GpuLayer] KIND: name``
=================  ==============================================================================

The DLA listing comes first and the GPU listing right after: both belong to one engine, so one
section holds both.
"""

from __future__ import annotations

import os
import re

from trtdiag.engine.formats.common import split_profile, split_top_level
from trtdiag.engine.formats.section import LayerSection, is_text, read_last_section
from trtdiag.engine.model import EngineLayer, EngineLayers, FormatId

FORMAT = FormatId.GPU_LISTING

_GPU_HEADER = re.compile(r"^-+ Layers [Rr]unning on (?P<dev>GPU|DLA):?\s*-*$")
_GPU_LAYER = re.compile(r"^\[(?P<dev>Gpu|Dla)Layer\] (?:(?P<kind>[A-Z][A-Z0-9_]*): )?(?P<name>.+)$")


class GpuListingSection(LayerSection):
    format_id = FORMAT
    keywords = (b"ayers running on", b"ayers Running on", b"[GpuLayer]", b"[DlaLayer]")

    def __init__(self, number: int, version: str | None) -> None:
        super().__init__(number, version)
        self.state = ""  # "expect-list", "listing" (8.5+ lines) or "listed" (TRT 7 list read)
        self.syntax: str | None = None  # "7" or "85"
        self.device = "GPU"
        self.list_follows = False  # TRT 7 headers end with ":" and the list follows on one line

    @classmethod
    def start(cls, number: int, text: str, msg: str, version: str | None) -> LayerSection | None:
        m = _GPU_HEADER.match(msg)
        if m is not None:
            sec = cls(number, version)
            sec._header(m)
            return sec
        m = _GPU_LAYER.match(msg)
        if m is not None:
            sec = cls(number, version)
            sec.state = "listing"
            sec._add(number, m)
            return sec
        return None

    def _header(self, m: re.Match[str]) -> None:
        self.device = m.group("dev")
        self.list_follows = m.group(0).rstrip().endswith(":")
        self.state = "expect-list"

    def feed(self, number: int, text: str, msg: str) -> bool:
        m = _GPU_LAYER.match(msg)
        if m is not None:
            self.state = "listing"
            self._add(number, m)
            return True
        m = _GPU_HEADER.match(msg)
        if m is not None:
            self._header(m)
            return True
        if msg == "" and self.state in ("expect-list", "listed"):
            return True  # TRT 7 prints an empty INFO line after each list (and for an empty DLA list)
        if self.state == "expect-list" and self.list_follows:
            self.syntax = "7"
            for name in split_top_level(msg.rstrip().rstrip(",")):
                clean, profile = split_profile(name)
                layer_type = "DLA" if self.device == "DLA" else None
                self.layers.append(EngineLayer(0, clean, profile, layer_type, (), (), None, (), None, number))
            self.state = "listed"
            return True
        return False

    def _add(self, number: int, m: re.Match[str]) -> None:
        self.syntax = "85"
        kind = m.group("kind")
        if m.group("dev") == "Dla":
            kind = f"DLA:{kind}" if kind else "DLA"
        name, profile = split_profile(m.group("name").strip())
        self.layers.append(EngineLayer(0, name, profile, kind, (), (), None, (), None, number))

    def format_name(self) -> str:
        return "gpu-layers-7" if self.syntax == "7" else "gpu-layers-85"


def sniff(head: bytes) -> bool:
    return is_text(head)


def read(path: str | os.PathLike[str]) -> EngineLayers:
    """The last per-device layer listing of a log; InputError when there is none."""
    return read_last_section(path, (GpuListingSection,), "'Layers running on GPU' listing")
