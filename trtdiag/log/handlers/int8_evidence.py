"""Every kind of line that shows INT8 was built, each kept once (its first line).

Why: many real logs never state the INT8 flag. A Python script prints no trtexec command, a Q/DQ
model shows INT8 only in its parser lines and optimizer passes, an excerpt may hold only
``Calibrated batch`` lines or ``Int8(...)`` formats in its layer information or tactic lines. Each
kind is evidence on its own; ``build.int8`` is true when any is found, and the JSON lists them so a
reader can check the claim.

This handler only observes: it sits before the families that claim their lines (missing scales,
parser lines, layer information) and never claims a line itself.
"""

from __future__ import annotations

import re

from trtdiag.io.prefix import Line
from trtdiag.log.facts import Int8Evidence
from trtdiag.log.state import FactsDraft, LogState

#: The evidence kinds, in the order the JSON lists them.
KINDS = (
    "config",  # a flag, precision line, builder-flags print or command line asking for INT8
    "missing-scale",  # a missing INT8 scale warning: TensorRT only warns when INT8 is on
    "qdq-parser",  # the ONNX parser reading QuantizeLinear/DequantizeLinear nodes
    "qdq-optimizer",  # a Q/DQ optimizer pass (ConstQDQInitializersFusion, ...) or a Q/DQ layer
    "layer-int8",  # an Int8 format in engine layer information (Layer(...) lines, detailed listings)
    "tactic-int8",  # an Int8 format in a tactic/autotuning line
    "int8-kernel",  # an INT8 kernel name (i8i8, i8816) on a line read for another reason
    "gpu-layer",  # Int8 in a [GpuLayer] listing
    "calibration",  # a calibration run (Starting Calibration, Calibrated batch N in ...)
    "calibration-cache",  # a calibration cache read or written
)
QDQ_KINDS = frozenset({"qdq-parser", "qdq-optimizer"})

CONFIG_INT8_RE = re.compile(r"(?:Precision|[Ff]lags)\b.*\bINT8\b|FP32 and INT8 precisions")
COMMAND_INT8_RE = re.compile(r"(?:^|\s)--(?:int8|best)\b")
QDQ_PASS_RE = re.compile(r"QDQ|QuantizeFusion|MergeQNodes|SplitQAcross|Q/DQ")
PARSER_WORDS = ("Parsing node", "Registering", "ModelImporter", "Importing", "Searching for input", "inputs: [",
                "outputs: [", "Static check")
CALIB_RE = re.compile(r"^(?:Starting Calibration|Calibrated batch \d+ in )")
CACHE_RE = re.compile(r"Calibration Cache for calibrator|calibration cache (?:from|to)\b|Generated calibration scales",
                      re.IGNORECASE)
MAX_TEXT = 300


class Int8EvidenceHandler:
    #: Not the kernel names (i8i8, i8816), neither as keywords nor as triggers: a verbose INT8 build names a kernel
    #: in every tactic line (3.4 million lines per GiB of benchmarks/make_big_log.py's log; searching for them took
    #: 7 s of 8 on 256 MiB). They count on a line routed here for another reason, and the tactic chatter around
    #: them shows INT8 by its Int8(...) formats.
    keywords = (b"--int8", b"--best", b"INT8", b"Missing scale", b"Missing dynamic range", b"QuantizeLinear", b"QDQ",
                b"QuantizeFusion", b"MergeQNodes", b"SplitQAcross", b"Int8", b"Calibrat", b"alibration cache",
                b"GpuLayer")
    #: What :meth:`feed` and :func:`classify` test before acting (see trtdiag/log/routing.py): lines brought in
    #: by other families count too ("Q/DQ" in an optimizer line, "alibrat" in a calibration line).
    triggers = (b"Missing ", b"QuantizeLinear", b"Int8", b"INT8", b"--int8", b"--best", b"QDQ", b"QuantizeFusion",
                b"MergeQNodes", b"SplitQAcross", b"Q/DQ", b"alibrat")

    def __init__(self) -> None:
        self._found: dict[str, Int8Evidence] = {}

    def feed(self, line: Line, state: LogState) -> bool:
        msg = line.message
        if msg.startswith("Missing "):
            if "missing-scale" not in self._found and (msg.startswith("Missing scale") or "dynamic range" in msg):
                self._add("missing-scale", line)
            return False
        kind = classify(msg)
        if kind is not None and kind not in self._found:
            self._add(kind, line)
        return False

    def has(self, kind: str) -> bool:
        """Was evidence of ``kind`` already found in this build?"""
        return kind in self._found

    def _add(self, kind: str, line: Line) -> None:
        self._found[kind] = Int8Evidence(kind, line.number, line.message.strip()[:MAX_TEXT])

    def contribute(self, draft: FactsDraft) -> None:
        draft.int8_evidence = tuple(self._found[k] for k in KINDS if k in self._found)


def classify(msg: str) -> str | None:
    """The evidence kind of one message, or None (cheap substring tests before any regex)."""
    if "QuantizeLinear" in msg:
        if any(w in msg for w in PARSER_WORDS):
            return "qdq-parser"
        return "qdq-optimizer" if not msg.startswith("Layer(") else "layer-int8"
    if "Int8" in msg:
        return _int8_format(msg)
    if "INT8" in msg and CONFIG_INT8_RE.search(msg):
        return "config"
    if ("--int8" in msg or "--best" in msg) and COMMAND_INT8_RE.search(msg) and (
        "trtexec" in msg or "polygraphy" in msg or "&&&&" in msg or "Command" in msg
    ):
        return "config"
    if QDQ_PASS_RE.search(msg):
        return "qdq-optimizer"
    if "i8i8" in msg or "i8816" in msg:
        return "int8-kernel"
    if "alibrat" in msg:
        stripped = msg.strip()
        if CALIB_RE.match(stripped):
            return "calibration"
        if CACHE_RE.search(stripped):
            return "calibration-cache"
    return None


def _int8_format(msg: str) -> str | None:
    """An ``Int8`` word: a layer's format, a tactic's format, a [GpuLayer] row (never a calibrator class name)."""
    if "IInt8" in msg and "Int8(" not in msg and "Int8[" not in msg:
        return None
    if "[GpuLayer]" in msg:
        return "gpu-layer"
    if msg.startswith("Layer(") or "Name:" in msg or "LayerType" in msg or msg.lstrip().startswith("Layer "):
        return "layer-int8"
    if "Int8(" in msg or "Int8[" in msg or " Int8 " in msg:
        return "tactic-int8"
    return None
