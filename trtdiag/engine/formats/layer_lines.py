"""``Engine Layer Information`` ``Layer(...)`` lines of a verbose build log (TRT 7 to 10.x).

=======================  =========================================================================
variant                  what it looks like
=======================  =========================================================================
``layer-info-text-7``    TRT 7: ``in[Int8(128,28,28)]``
``layer-info-text-8``    8.0-8.5: ``x:0[Float(-2,1,28,28)]``
``layer-info-text-86``   8.6-10.x: ``x (Float[-1,1,28,28])``, ``Half[-1,32:8,..]``
=======================  =========================================================================
"""

from __future__ import annotations

import os
import re

from trtdiag.engine.formats.common import make_tensor, normalise_dtype, parse_dims, split_profile
from trtdiag.engine.formats.section import LayerSection, is_text, read_last_section
from trtdiag.engine.model import EngineLayer, EngineLayers, FormatId, TensorInfo

FORMAT = FormatId.LAYER_LINES

_LAYER_LINE = re.compile(r"^Layer\((?P<type>[^()]*)\): (?P<rest>.*)$")
_T86 = re.compile(r"(?P<name>.+?) \((?P<spec>(?P<dt>[A-Za-z][A-Za-z0-9]*)\[(?P<dims>[^\[\]]*)\])\)(?:, |$)")
_T80 = re.compile(r"(?P<name>.+?)\[(?P<spec>(?P<dt>[A-Za-z][A-Za-z0-9]*)\((?P<dims>[^()]*)\))\](?:, |$)")


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
    return make_tensor(m.group("name"), normalise_dtype(m.group("dt")), m.group("spec"), parse_dims(m.group("dims")))


def parse_layer_io(io: str) -> tuple[list[TensorInfo], list[TensorInfo], str | None] | None:
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


def _format_by_version(version: str | None) -> str:
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


class LayerLinesSection(LayerSection):
    """``Engine Layer Information:`` followed by one ``Layer(TYPE): name, Tactic: t, in -> out`` line per layer."""

    format_id = FORMAT
    keywords = (b"Engine Layer Information", b"Layer(")

    def __init__(self, number: int, version: str | None) -> None:
        super().__init__(number, version)
        self.syntax: str | None = None  # "86" or "8", from the first line whose tensors parse
        # Each line's match, parsed into a layer only by materialize(): a log of a thousand builds prints a
        # thousand listings and only the last is read (trtdiag/engine/formats/section.py, keep_last).
        self._pending: list[tuple[int, re.Match[str]]] = []

    @classmethod
    def start(cls, number: int, text: str, msg: str, version: str | None) -> LayerSection | None:
        if msg == "Engine Layer Information:":
            return cls(number, version)
        m = _LAYER_LINE.match(msg)
        if m is None:
            return None
        sec = cls(number, version)
        sec._pending.append((number, m))
        return sec

    def feed(self, number: int, text: str, msg: str) -> bool:
        m = _LAYER_LINE.match(msg)
        if m is None:
            return False
        self._pending.append((number, m))
        return True

    def has_layers(self) -> bool:
        return bool(self._pending or self.layers)

    def materialize(self) -> None:
        pending, self._pending = self._pending, []
        for number, m in pending:
            self._add(number, m)

    def _add(self, number: int, m: re.Match[str]) -> None:
        rest = m.group("rest")
        idx = rest.find(", Tactic: ")
        tactic: str | None = None
        inputs: list[TensorInfo] = []
        outputs: list[TensorInfo] = []
        if idx >= 0:
            name = rest[:idx]
            tactic, _, io = rest[idx + len(", Tactic: ") :].partition(", ")
            parsed = parse_layer_io(io)
            if parsed is not None:
                inputs, outputs, syntax = parsed
                self.syntax = self.syntax or syntax
        else:
            name = rest
        name, profile = split_profile(name.strip())
        self.layers.append(
            EngineLayer(0, name, profile, m.group("type") or None, tuple(inputs), tuple(outputs),
                        tactic.strip() if tactic else None, (), None, number)
        )

    def format_name(self) -> str:
        if self.syntax == "86":
            return "layer-info-text-86"
        if self.syntax == "8":
            return "layer-info-text-7" if (self.version or "").startswith("7.") else "layer-info-text-8"
        return _format_by_version(self.version)


def sniff(head: bytes) -> bool:
    return is_text(head)


def read(path: str | os.PathLike[str]) -> EngineLayers:
    """The last ``Layer(...)`` listing of a log; InputError when there is none."""
    return read_last_section(path, (LayerLinesSection,), "'Engine Layer Information' Layer(...) lines")
