"""``--dumpLayerInfo`` with ``--profilingVerbosity=detailed``: one ``Name: ..., LayerType: ...`` line
per layer (10.x Myelin sub-layers ``__myl_*`` included), optionally under ``Layers:`` /
``Layer Information:`` and followed by ``Bindings:`` with one bare tensor name per line.
"""

from __future__ import annotations

import os
import re

from trtdiag.engine.formats.common import (
    make_tensor,
    normalise_dtype,
    parse_dims,
    parse_metadata,
    split_profile,
    tactic_of,
)
from trtdiag.engine.formats.section import LayerSection, is_text, read_last_section
from trtdiag.engine.model import EngineLayer, EngineLayers, FormatId, TensorInfo
from trtdiag.io.prefix import split_prefix

FORMAT = FormatId.LAYER_DETAILED

_DETAILED_HEAD = re.compile(r"^Name: (?P<name>.*?), LayerType: (?P<type>[^,]*), Inputs: (?P<rest>.*)$")
_DT_TENSOR = re.compile(
    r"\{\s*Name: (?P<name>.*?), (?:Location: [^,]*, )?Dimensions: \[(?P<dims>[^\]]*)\], "
    r"Format/Datatype: (?P<fmt>.*?)\s*\}"
)
_KV_ORIGIN = re.compile(r"(?:^|, )Origin: (?P<v>[^,]*)")
_KV_TACTIC_NAME = re.compile(r"(?:^|, )TacticName: (?P<v>[^,]*)")
_KV_TACTIC_VALUE = re.compile(r"(?:^|, )TacticValue: (?P<v>[^,]*)")


def parse_detailed_tensors(text: str, pos: int) -> tuple[list[TensorInfo] | None, int]:
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
        out.append(make_tensor(m.group("name"), normalise_dtype(fmt), fmt, parse_dims(m.group("dims"))))
        pos = skip(m.end())
        if text.startswith("]", pos):
            return out, pos + 1
        if text.startswith(",", pos):
            pos = skip(pos + 1)
            continue
        return None, pos


def _split_tail(rest: str) -> tuple[list[TensorInfo] | None, list[TensorInfo], str, str]:
    """(inputs, outputs, key-value tail, metadata text) of what follows ``Inputs: ``."""
    inputs, pos = parse_detailed_tensors(rest, 0)
    outputs: list[TensorInfo] = []
    tail = ""
    if inputs is not None and rest.startswith(", Outputs: ", pos):
        outputs_parsed, pos2 = parse_detailed_tensors(rest, pos + len(", Outputs: "))
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
    return inputs, outputs, tail, metadata


def detailed_layer(number: int, m: re.Match[str]) -> EngineLayer:
    """The layer of one ``Name: ..., LayerType: ...`` line (``m`` matched the line head)."""
    name, profile = split_profile(m.group("name"))
    inputs, outputs, tail, metadata = _split_tail(m.group("rest"))
    origin = _KV_ORIGIN.search(tail)
    tname = _KV_TACTIC_NAME.search(tail)
    tvalue = _KV_TACTIC_VALUE.search(tail)
    return EngineLayer(
        index=0,
        name=name,
        profile=profile,
        layer_type=m.group("type").strip() or None,
        inputs=tuple(inputs or ()),
        outputs=tuple(outputs),
        tactic=tactic_of(tname.group("v") if tname else None, tvalue.group("v").strip() if tvalue else None),
        metadata=parse_metadata(metadata),
        origin=(origin.group("v").strip() or None) if origin else None,
        line=number,
    )


class DetailedSection(LayerSection):
    """Layer lines, then an optional blank line and ``Bindings:`` with bare names."""

    format_id = FORMAT
    keywords = (b"LayerType: ", b"Layer Information:", b"Layers:")

    def __init__(self, number: int, version: str | None) -> None:
        super().__init__(number, version)
        self.state = "layers"  # then "gap" (after a blank line) and "bindings"

    @classmethod
    def start(cls, number: int, text: str, msg: str, version: str | None) -> LayerSection | None:
        if msg in ("Layer Information:", "Layers:"):
            return cls(number, version)
        m = _DETAILED_HEAD.match(msg)
        if m is None:
            return None
        sec = cls(number, version)
        sec.layers.append(detailed_layer(number, m))
        return sec

    def feed(self, number: int, text: str, msg: str) -> bool:
        if self.state == "layers":
            m = _DETAILED_HEAD.match(msg)
            if m is not None:
                self.layers.append(detailed_layer(number, m))
                return True
            if msg == "" and self.layers:
                self.state = "gap"
                return True
            if msg == "Bindings:" and self.layers:
                self.state = "bindings"
                return True
            return False
        if self.state == "gap":
            if msg == "Bindings:":
                self.state = "bindings"
                return True
            return False
        # bindings: bare names, one per line, until a prefixed line / blank / trtexec footer
        line = split_prefix(number, text)
        if msg and not line.has_prefix and not msg.startswith("&&&&"):
            self.io.append(make_tensor(msg, None, None, None))
            return True
        return False


def sniff(head: bytes) -> bool:
    return is_text(head)


def read(path: str | os.PathLike[str]) -> EngineLayers:
    """The last ``Name: ..., LayerType: ...`` listing of a log; InputError when there is none."""
    return read_last_section(path, (DetailedSection,), "--dumpLayerInfo 'Name: ..., LayerType: ...' lines")
