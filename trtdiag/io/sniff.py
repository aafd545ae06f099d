"""Is this text a TensorRT log at all, and if not, what is it? Judged from the head of a file.

Why: a calibration cache, a layer-information JSON, a README or an ONNX model given where the
build log is expected used to be "analysed" into "This log shows no INT8 build" and exit 0. The
pass over the log already hands its first 64 KiB to the log collector; the signals here are
computed from that sample once, and :func:`trtdiag.log.collector.require_tensorrt_lines` turns
"no TensorRT line" into a one-line error whose hint names what the file looks like.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from trtdiag.io.files import looks_json
from trtdiag.io.versions import CACHE_HEADER_RE

#: Lines a TensorRT build writes whatever the tool: trtexec ``[date] [I] [TRT]``, Python API
#: ``[TRT] [W]``, ``[TensorRT] WARNING:``, Polygraphy ``[I]``/``[W]``, DeepStream ``WARNING: [TRT]:``,
#: ONNX Runtime ``[W:onnxruntime:``, Torch-TensorRT ``Conversion Context]``, ``&&&& RUNNING``.
_TENSORRT_LINE = re.compile(
    rb"^\s*(?:\[\d\d/\d\d/\d{4}-[\d:]+\] )?\[(?:[VIWEF]|TRT|TensorRT)\][ :]"
    rb"|\[TRT\]|\[TensorRT\]|:onnxruntime:|Conversion Context\]|^&&&& (?:RUNNING|PASSED|FAILED)",
    re.MULTILINE,
)
_SIGNAL_BYTES = 65536

_TRT_CACHE_ENTRY = re.compile(rb"^\S.*: [0-9a-fA-F]{1,8}\s*$", re.MULTILINE)
_ORT_CACHE_ENTRY = re.compile(rb"^\S+ [-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?\s*$", re.MULTILINE)
_ORT_JSON_TABLE = re.compile(rb'^\s*\{\s*"[^"]+"\s*:\s*\[\s*[-+\d.]')

#: (marker in a JSON head, what the file is, where it goes instead)
_JSON_KINDS: tuple[tuple[tuple[bytes, ...], str], ...] = (
    ((b'"Layers"', b'"LayerType"', b'"Bindings"'),
     "this looks like engine layer information: use trtdiag compare or --int8-layers"),
    ((b'"averageMs"', b'"timeMs"'), "this looks like an engine profile: use trtdiag compare or --int8-profile"),
    ((b'"startEnqMs"', b'"latencyMs"'), "this looks like exported inference times: use trtdiag compare"),
)

CACHE_HINT = "this looks like a calibration cache: use --calib-cache"
SWAPPED_HINT = "this looks like an ONNX model: did you swap LOG and MODEL?"


@dataclass(frozen=True)
class TextSignals:
    """What the head of a text input says about its nature (see the module doc).

    ``tensorrt_lines``: lines of the head written by TensorRT or a tool that runs it (prefixed
    lines among the keyword lines of the whole pass are counted by the log collector on top).
    """

    tensorrt_lines: int = 0
    blank: bool = False  # the head holds only whitespace
    hint: str | None = None  # what the file looks like when it is not a log


def text_signals(head: bytes) -> TextSignals:
    """The signals of a file's head (the first 64 KiB are enough: a log says who wrote it early)."""
    sample = head[:_SIGNAL_BYTES]
    lines = {sample.rfind(b"\n", 0, m.start()) for m in _TENSORRT_LINE.finditer(sample)}
    return TextSignals(tensorrt_lines=len(lines), blank=not sample.strip(), hint=text_hint(sample))


def text_hint(head: bytes) -> str | None:
    """What a text that is not a build log looks like, as advice (None: nothing recognisable)."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    first = text.split(b"\n", 1)[0].strip()
    if CACHE_HEADER_RE.fullmatch(first.decode("ascii", errors="replace")) or _ORT_JSON_TABLE.match(text):
        return CACHE_HINT
    if looks_json(text):
        for markers, hint in _JSON_KINDS:
            if any(m in text for m in markers):
                return hint
        return "this is JSON, not a build log"
    lines = [ln for ln in text[:8192].split(b"\n")[:-1] if ln.strip()]
    if len(lines) >= 3:
        entries = sum(1 for ln in lines if _TRT_CACHE_ENTRY.match(ln) or _ORT_CACHE_ENTRY.match(ln))
        if entries * 10 >= len(lines) * 9:
            return CACHE_HINT
    return None


def binary_hint(head: bytes, subject: str = "log", name: str = "") -> str:
    """Advice appended to "is a binary file": an ONNX model given as the log was swapped with the model."""
    if subject != "log":
        return ""
    if name.lower().endswith(".onnx") or looks_onnx(head):
        return f": {SWAPPED_HINT}"
    return ""


def looks_onnx(head: bytes) -> bool:
    """An ONNX ModelProto as exporters write it: field 1 (``ir_version``, 3 to 15) first, then a
    producer name, domain, graph or opset field (protobuf tags 0x12, 0x1a, 0x22, 0x3a, 0x42)."""
    return len(head) >= 4 and head[0] == 0x08 and 3 <= head[1] <= 15 and head[2] in (0x12, 0x1A, 0x22, 0x3A, 0x42)
