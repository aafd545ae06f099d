"""Layer listings in text logs: the per-grammar base class and the one parser that dispatches to them.

Why: a log can hold listings in four grammars (``Layer(...)`` lines, ``Name: ...`` lines, GPU
listings, Polygraphy), sometimes several of them, and the last listing of the log wins whatever
its grammar. :class:`LayerSectionParser` owns what the grammars share (TensorRT versions, section
boundaries, ForeignNode metadata); each grammar module subclasses :class:`LayerSection` and owns
only its own lines. The grammars to use come from the registry
(:data:`trtdiag.engine.artifacts.LOG_GRAMMARS`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, ClassVar, Protocol

from trtdiag.engine.formats.common import dedupe, finalise_layers, parse_metadata, split_profile
from trtdiag.engine.model import EngineLayer, EngineLayers, FormatId, TensorInfo
from trtdiag.errors import InputError
from trtdiag.io.files import looks_binary, looks_json, read_head
from trtdiag.io.prefix import split_prefix, unquote
from trtdiag.io.scan import scan_marked_lines
from trtdiag.io.versions import TRT_VERSION_LINE_RE, TRTEXEC_VERSION_RE, decode_trt_version


class LineConsumer(Protocol):
    """What a text format offers a log scan: marker ``keywords``, ``feed(number, text)`` (True while
    inside a section, see :func:`trtdiag.io.scan.scan_marked_lines`) and ``finish()`` (the result)."""

    keywords: tuple[bytes, ...]

    def feed(self, number: int, text: str) -> bool: ...

    def finish(self) -> Any: ...


class LayerSection:
    """One open layer listing. Subclasses parse the lines of their grammar.

    ``keywords`` are the byte strings a line that *starts* a section of this grammar contains
    (the marker scan decodes lines only from such a marker on). ``contiguous``: a gap in line
    numbers ends the section (true for every grammar printed through a logger, whose lines a
    keyword-filtered stream may drop).
    """

    format_id: ClassVar[FormatId]
    keywords: ClassVar[tuple[bytes, ...]]
    contiguous: ClassVar[bool] = True

    def __init__(self, number: int, version: str | None) -> None:
        self.start_line = number
        self.last_line = number
        self.version = version
        self.layers: list[EngineLayer] = []
        self.io: list[TensorInfo] = []

    @classmethod
    def start(cls, number: int, text: str, msg: str, version: str | None) -> LayerSection | None:
        """A new section when this line opens one (the line itself consumed), else None."""
        raise NotImplementedError

    def feed(self, number: int, text: str, msg: str) -> bool:
        """Handle the next line; False ends the section (the caller then looks at the line again)."""
        raise NotImplementedError

    def close(self) -> None:
        """Flush what is pending (a layer still being assembled)."""

    def has_layers(self) -> bool:
        """Does the section hold a layer (without parsing what a grammar keeps for later)?"""
        return bool(self.layers)

    def materialize(self) -> None:
        """Parse what the grammar kept unparsed (see :class:`trtdiag.engine.formats.layer_lines.LayerLinesSection`):
        called only for the sections a caller gets, so the listings of the builds nobody reads cost no parsing."""

    def format_name(self) -> str:
        """The version-specific variant stored in :attr:`EngineLayers.format`."""
        return str(self.format_id)


def _literals(words: Sequence[str]) -> re.Pattern[str]:
    """One pattern that finds any of ``words`` (a line holds one of them iff it matches)."""
    return re.compile("|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True)) or r"(?!)")


def is_text(head: bytes) -> bool:
    """What every text format sniffs: a non-empty head that is neither binary nor JSON (any log
    may hold any listing, table or summary; the readers decide)."""
    return bool(head) and not looks_binary(head) and not looks_json(head)


#: Lines the parser reads whatever the grammars: TensorRT versions and Myelin region metadata.
CORE_KEYWORDS: tuple[bytes, ...] = (
    b"TensorRT v",
    b"TensorRT version",
    b"&&&& RUNNING",
    b"Loaded Module: tensorrt",
    b"ForeignNode {ForeignNode[",
)
#: Blank lines a listing may contain and still continue (two: one line plus a pasted code-fence line).
MAX_BLANKS = 2
_POLY_TRT_VERSION = re.compile(r"Loaded Module: tensorrt\s*\|\s*Version: (?P<v>\d+\.\d+(?:\.\d+){0,2})")
_FOREIGN_METADATA = re.compile(
    r"^ForeignNode (?P<name>\{ForeignNode\[.*\]\}(?: \[profile \d+\])?) metadata:\s?(?P<md>.*)$"
)


class LayerSectionParser:
    """Turns log lines into layer sections of the given grammars (line consumer: ``keywords``,
    ``feed``, ``finish``). Feed every line, or at least every line from a :attr:`keywords` marker
    on (see :func:`trtdiag.io.scan.scan_marked_lines`); ``feed`` returns True while it is inside a
    section.

    Lines may carry any prefix :func:`trtdiag.io.prefix.split_prefix` knows: trtexec prints the
    ``Layer(...)``/``Name: ...`` lines bare, Python loggers may prefix them. A keyword-filtered
    stream (only the lines :class:`trtdiag.io.reader.LogReader` selects) still yields the
    ``Layer(...)`` sections: a gap in line numbers ends a section.
    """

    def __init__(self, source: str, grammars: Sequence[type[LayerSection]], *, keep_last: bool = False) -> None:
        self.source = source
        self._keep_last = keep_last  # keep only the newest section with layers (a log of many builds): bounded memory
        self.listings = 0  # sections with at least one layer, kept or not
        self.grammars = tuple(grammars)
        self.keywords: tuple[bytes, ...] = tuple(
            dict.fromkeys(k for g in self.grammars for k in g.keywords)) + CORE_KEYWORDS
        self._text_keywords = tuple(k.decode() for k in self.keywords)
        # A section of a grammar starts only on a line holding one of its keywords (LayerSection.keywords): the
        # other grammars are not asked (most marker lines are version and ForeignNode lines).
        self._starts = tuple((tuple(k.decode() for k in g.keywords), g) for g in self.grammars)
        # The same tests as one search each (C-level; idle lines are mostly ForeignNode and version lines, found by
        # the scan's keywords but starting no section)
        self._any_marker = _literals(self._text_keywords)
        self._any_start = _literals(tuple(w for words, _ in self._starts for w in words))
        self.sections: list[LayerSection] = []
        self.version: str | None = None
        self._cur: LayerSection | None = None
        self._foreign_metadata: dict[tuple[str, int | None], str] = {}
        self._blanks = 0

    def feed(self, number: int, text: str) -> bool:
        text = unquote(text)  # a listing quoted in an issue (``> ``) reads as the listing
        sec = self._cur
        if sec is not None:
            if sec.contiguous and number != sec.last_line + 1:
                self._close()
            elif sec.feed(number, text, split_prefix(number, text).message if sec.contiguous else ""):
                sec.last_line = number
                self._blanks = 0
                return True
            elif not text.strip() and self._blanks < MAX_BLANKS:
                # A blank line inside a listing (a pasted log, a terminal wrap) does not end it: the layers
                # after it (often the Myelin and Q/DQ reformat layers) belong to the same engine.
                self._blanks += 1
                sec.last_line = number
                return True
            else:
                self._close()
        return self._idle(number, text)

    def finish(self) -> list[EngineLayers]:
        """Close the open section; return every section that has at least one layer, in order (with
        ``keep_last``, only the last one; :attr:`listings` counts them all)."""
        self._close()
        return [self._to_result(sec) for sec in self.sections]

    def _idle(self, number: int, text: str) -> bool:
        if self._any_marker.search(text) is None:
            return False  # the same lines scan_marked_lines would skip: both ways give one result
        msg = split_prefix(number, text).message
        self._note_version(text)
        for words, grammar in self._starts if self._any_start.search(text) is not None else ():
            if not any(w in text for w in words):
                continue
            sec = grammar.start(number, text, msg, self.version)
            if sec is not None:
                self._cur = sec
                return True
        m = _FOREIGN_METADATA.match(msg) if msg.startswith("ForeignNode") else None
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

    def _close(self) -> None:
        sec = self._cur
        self._blanks = 0
        if sec is None:
            return
        sec.close()
        if sec.version is None:
            sec.version = self.version
        self._cur = None
        if not sec.has_layers():
            return
        self.listings += 1
        if self._keep_last:
            self.sections.clear()
        self.sections.append(sec)

    def _to_result(self, sec: LayerSection) -> EngineLayers:
        sec.materialize()
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
        return EngineLayers(source=self.source, format=sec.format_name(), tensorrt_version=sec.version,
                            layers=finalise_layers(layers), io_tensors=dedupe(sec.io))


def read_sections(path: str | os.PathLike[str], grammars: Sequence[type[LayerSection]]) -> list[EngineLayers]:
    """Every listing of the given grammars in a text log, in order."""
    return _read(path, grammars, keep_last=False).finish()


def read_newest_section(path: str | os.PathLike[str], grammars: Sequence[type[LayerSection]]
                        ) -> tuple[EngineLayers | None, int]:
    """The last listing of the given grammars in a text log (None when there is none) and how many it holds:
    the earlier listings are neither kept nor parsed (a log of a thousand builds costs one listing's memory)."""
    parser = _read(path, grammars, keep_last=True)
    sections = parser.finish()
    return (sections[-1] if sections else None), parser.listings


def _read(path: str | os.PathLike[str], grammars: Sequence[type[LayerSection]], *, keep_last: bool
          ) -> LayerSectionParser:
    p = Path(path)
    head = read_head(p)
    if looks_binary(head):
        raise InputError(f"{p} is a binary file (an engine/plan?), not layer information; "
                         "export it with trtexec --exportLayerInfo or a verbose build log")
    parser = LayerSectionParser(str(p), grammars, keep_last=keep_last)
    scan_marked_lines(p, parser.keywords, parser.feed)
    return parser


def read_last_section(path: str | os.PathLike[str], grammars: Sequence[type[LayerSection]],
                      what: str) -> EngineLayers:
    """The last listing of the given grammars (the engine the log ends with); InputError when none."""
    last, _ = read_newest_section(path, grammars)
    if last is None:
        raise InputError(f"no engine layer listing ({what}) found in {path}")
    return last
