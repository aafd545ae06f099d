"""What a TensorRT log says: missing scales, build configuration, calibration, parser registrations.

The reader (:mod:`trtdiag.io.reader`) hands over candidate lines; :class:`LogCollector` turns
them into plain frozen data (:class:`LogFacts`). Patterns follow ``docs/log-formats.md`` and
``docs/trt-naming.md`` of the shared notes; each pattern names the versions it was seen in.
"""

from __future__ import annotations

import os
import re
from array import array
from collections.abc import Callable

from trtdiag.errors import TruncatedInputError
from trtdiag.io.prefix import Line, split_prefix
from trtdiag.io.reader import LogReader, ReadStats
from trtdiag.io.versions import (
    CACHE_HEADER_RE,
    TRT_PATH_VERSION_RE,
    TRT_PIP_VERSION_RE,
    TRT_VERSION_LINE_RE,
    decode_trt_version,
)
from trtdiag.log.facts import BuildConfig, CalibrationSummary, Event, LogFacts, MissingScale, ParsedNode, Registration

# --- message patterns (applied to the message after the prefix) -----------------------------

#: TRT 8.0-10.x "Missing scale and zero-point", TRT 6/7 "Missing dynamic range" (may end with ".").
#: Tensor names contain spaces, brackets and commas: match lazily up to ", expect fall back".
MISSING_RE = re.compile(
    r"Missing (?P<kind>scale and zero-point|dynamic range) for tensor (?P<t>.+?), expect fall back to non-int8"
)
NBSPATIAL_RE = re.compile(r"Dynamic range would not be set for tensor (?P<t>.+?) for nbSpatialDims")
NO_NON_INT8_RE = re.compile(r"No non-int8 implementation of layer (?P<l>.+?) is supported")

TRTEXEC_HEADER_RE = re.compile(
    r"&&&& (?P<state>RUNNING|PASSED|FAILED|WAIVED) TensorRT\.(?P<tool>[\w.]+)"
    r"(?: \[TensorRT v(?P<v>\d+)\])?(?: \[b\d+\])?\s*#\s*(?P<cmd>.*)"
)
PRECISION_RE = re.compile(r"^Precision:\s*(?P<p>.+)$")
FP32_INT8_NOTICE = "FP32 and INT8 precisions have been specified"
CALIBRATION_OPT_RE = re.compile(r"^Calibration:\s*(?P<v>.*)$")
FLAGS_RE = re.compile(r"^Flags\s*\|\s*\[(?P<f>[^\]]*)\]")
#: A build script's own print of its builder flags ("Building with flags: FP16 | INT8").
USER_FLAGS_RE = re.compile(r"(?i)\bflags\s*[:=]\s*\[?(?P<f>[A-Z0-9_]+(?:\s*[,|]\s*[A-Z0-9_]+)*)\]?\s*$")
_BUILDER_FLAGS = frozenset({"INT8", "FP16", "BF16", "FP8", "INT4", "TF32", "STRONGLY_TYPED", "STRICT_TYPES",
                            "OBEY_PRECISION_CONSTRAINTS", "PREFER_PRECISION_CONSTRAINTS", "SPARSE_WEIGHTS"})
POLY_CALIBRATOR_RE = re.compile(r"^Calibrator\s*\|\s*(?P<v>.+)$")
BASECLASS_RE = re.compile(r"BaseClass=<class '(?:tensorrt\.)*(?P<c>\w+)'>")
CALIB_CLASS_RE = re.compile(
    r"\b(?P<c>IInt8(?:EntropyCalibrator2|EntropyCalibrator|MinMaxCalibrator|LegacyCalibrator))\b"
)
POLY_CACHE_RE = re.compile(r"cache='(?P<c>[^']*)'")
COMMAND_RE = re.compile(r"(?:RUNNING \| Command:|Command:)\s*(?P<cmd>.+)$")

CALIB_START_RE = re.compile(r"^Starting Calibration(?: with batch size (?P<bs>\d+))?\.?")
CALIB_BATCH_RE = re.compile(r"^Calibrated batch (?P<n>\d+) in (?P<s>[\d.eE+-]+) seconds")
CALIB_POST_RE = re.compile(r"^Post Processing Calibration data in (?P<s>[\d.eE+-]+) seconds")
CALIB_DONE_RE = re.compile(r"^Calibration completed in (?P<s>[\d.eE+-]+) seconds")
CALIB_WRITE_RE = re.compile(r"Writing Calibration Cache for calibrator: (?P<c>\S+)")
CALIB_READ_RE = re.compile(r"Reading Calibration Cache for calibrator: (?P<c>\S+)")
CALIB_LOADING_RE = re.compile(r"(?:Loading|Reading) calibration cache (?:from )?(?P<f>\S+)", re.IGNORECASE)
CALIB_SAVING_RE = re.compile(r"(?:Saving|Writing) calibration cache to (?P<f>\S+)", re.IGNORECASE)
CALIB_GENERATED = "Generated calibration scales using calibration cache"
CALIB_NOT_USED = "Calibrator is not being used"
CALIB_EXPLICIT = "Calibrator won't be used in explicit precision mode"
CALIB_PROFILE_UNDEFINED = "Calibration Profile is not defined"
CALIB_FAILURE = "Calibration failure occurred"
CALIB_USING_PROFILE_RE = re.compile(r"^Using calibration profile:\s*(?P<p>.*)$")

PARSING_NODE_RE = re.compile(r"^Parsing node: (?P<n>.*?) \[(?P<op>[^\[\]]+)\]$")
STATIC_CHECK_RE = re.compile(r"^Static check for parsing node: ")
REG_LAYER_NODE_RE = re.compile(r"^Registering layer: (?P<l>.*?) for ONNX node: ?(?P<n>.*)$")
REG_LAYER_HELPER_RE = re.compile(r"^Registering layer: (?P<l>.*?) required by ONNX-TRT$")
REG_CONSTANT_RE = re.compile(r"^Registering constant layer: (?P<l>.*?) for ONNX initializer: (?P<w>.*)$")
REG_TENSOR_RE = re.compile(r"^Registering tensor: (?P<t>.*?) for ONNX tensor: (?P<o>.*)$")
NODE_OUTPUTS_RE = re.compile(r"^(?P<n>.*?) \[(?P<op>[^\[\]]+)\] outputs: \[")
ADD_INPUT_RE = re.compile(
    r"^Adding network input: (?P<n>.*?) with dtype: (?P<dt>\w+), dimensions: (?P<d>\(.*\))"
)
MARK_OUTPUT_RE = re.compile(r"^Marking (?P<t>.*?) as output: (?P<o>.*)$")
LAYER_INFO_RE = re.compile(r"^Layer\((?P<type>[^)]*)\): ")
PLUGIN_IMPORT_RE = re.compile(
    r"(?:No importer registered for op: (?P<op>\S+)\. Attempting to import as plugin"
    r"|Successfully created plugin: (?P<p>\S+)|Searching for plugin: (?P<s>\S+))"
)

#: TensorRT 11 removed implicit INT8 (BuilderFlag.INT8/FP16, IInt8Calibrator*, CalibrationAlgoType,
#: trtexec --int8/--fp16/--best/--calib). These are the errors users hit after upgrading.
TRT11_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "python-attribute-removed",
        re.compile(
            r"has no attribute '(?P<a>CalibrationAlgoType|IInt8\w*|int8_calibrator|"
            r"set_calibration_profile|get_calibration_profile|INT8|FP16|BF16|FP8|INT4|"
            r"OBEY_PRECISION_CONSTRAINTS|PREFER_PRECISION_CONSTRAINTS|set_dynamic_range|dynamic_range)'"
        ),
    ),
    ("fp16-strongly-typed", re.compile(r"BuilderFlag::k\w+ is not compatible with a strongly typed network")),
    ("best-strongly-typed", re.compile(r"--best is incompatible with --stronglyTyped")),
    (
        "polygraphy-unavailable",
        re.compile(r"(?:int8|fp16|calibrator)\S* in \w+ is not available on TensorRT version 1[1-9]"),
    ),
    ("trtexec-unknown-option", re.compile(r"Unknown option:?\s*--(?:int8|fp16|best|calib|bf16|fp8|int4)")),
)
DEPRECATION_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("weakly-typed-deprecated", re.compile(r"Weakly-typed networks have been deprecated")),
    (
        "calibrator-deprecated",
        re.compile(r"'?IInt8\w*'? is deprecated|Calibrat\w* (?:API )?(?:is|are|has been) deprecated"),
    ),
    ("flag-deprecated", re.compile(r"--(?:int8|fp16|best|calib)\b.*(?:deprecated|superseded by strong typing)")),
    ("dynamic-range-deprecated", re.compile(r"(?:setDynamicRange|set_dynamic_range|dynamic_range)\b.*[Dd]eprecated")),
)

MAX_LINES_PER_TENSOR = 20
MAX_EVENTS = 200




# --- result data --------------------------------------------------------------------------------
















# --- collector ----------------------------------------------------------------------------------

_PRODUCER_BY_PREFIX: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^\[\d\d/\d\d/\d{4}-[\d:]+\] \[TRT\] \[[VIWEF]\] "), "python-api"),
    (re.compile(r"^\[TensorRT\] (?:VERBOSE|INFO|WARNING|ERROR):"), "python-api"),
    (re.compile(r":onnxruntime:"), "ort-trt-ep"),
    (re.compile(r"^(?:WARNING|ERROR|INFO): \[TRT\]:|nvdsinfer"), "deepstream"),
    (re.compile(r"Conversion Context\]"), "torch-tensorrt"),
    (re.compile(r"^\[\d\d/\d\d/\d{4}-[\d:]+\] \[[VIWEF]\] \[TRT\] "), "trtexec"),
)


class LogCollector:
    """Feeds on :class:`Line` objects in order and accumulates :class:`LogFacts`.

    Kept as an explicit state machine (not a parse of the whole file) so the reader can stream.
    """

    def __init__(self) -> None:
        self._ms_index: dict[str, int] = {}
        self._ms_names: list[str] = []
        self._ms_count: list[int] = []
        self._ms_first: list[int] = []
        self._ms_lines: list[list[int]] = []
        self._ms_wording: list[str] = []
        self._order = array("I")
        self._no_int8: list[Event] = []
        self._cfg: dict[str, object] = {}
        self._evidence: dict[str, int] = {}
        self._producer_votes: dict[str, int] = {}
        self._calib_events: list[Event] = []
        self._calib_start: int | None = None
        self._calib_bs: int | None = None
        self._calib_batches = 0
        self._calib_seconds = 0.0
        self._calib_done: tuple[float, int] | None = None
        self._parsed: list[ParsedNode] = []
        self._current_node: str | None = None
        self._regs: list[Registration] = []
        self._tensor_regs: list[tuple[str, str, int]] = []
        self._inputs: list[tuple[str, str, str, int]] = []
        self._outputs: list[tuple[str, str, int]] = []
        self._trt11: list[Event] = []
        self._deprecations: list[Event] = []
        self._plugins: list[Event] = []
        self._layer_info = 0
        self._last_incomplete: int | None = None

    # -- helpers
    def _set(self, key: str, value: object, line: int, *, overwrite: bool = False) -> None:
        if overwrite or key not in self._cfg:
            self._cfg[key] = value
            self._evidence[key] = line

    def _set_version(self, version: str, source: str, line: int, rank: int) -> None:
        """Keep the most authoritative version signal (lower rank wins)."""
        current = self._cfg.get("_version_rank")
        if current is None or rank < int(current):  # type: ignore[call-overload]
            self._cfg["_version_rank"] = rank
            self._set("tensorrt_version", version, line, overwrite=True)
            self._set("tensorrt_version_source", source, line, overwrite=True)

    def _flags_from_command(self, cmd: str, line: int) -> None:
        tokens = cmd.split()
        lowered = [t.lower() for t in tokens]
        if any(t == "--int8" for t in lowered):
            self._set("int8", True, line)
        if any(t == "--fp16" for t in lowered):
            self._set("fp16", True, line)
        if any(t == "--best" for t in lowered):
            self._set("best", True, line)
            self._set("int8", True, line)
            self._set("fp16", True, line)
        if any(t in ("--stronglytyped", "--strongly-typed") for t in lowered):
            self._set("strongly_typed", True, line)
        for t in tokens:
            if t.startswith("--calib=") and t != "--calib=":
                self._set("calibration_cache_read", t.split("=", 1)[1], line)
            if t.startswith("--calibration-cache") and "=" in t:
                self._set("calibration_cache_read", t.split("=", 1)[1], line)
        if "--calibration-cache" in tokens:
            i = tokens.index("--calibration-cache")
            if i + 1 < len(tokens):
                self._set("calibration_cache_read", tokens[i + 1], line)

    def _precision(self, value: str, line: int) -> None:
        upper = value.upper()
        self._set("precision", value, line, overwrite=True)
        self._set("int8", "INT8" in upper, line, overwrite=True)
        self._set("fp16", "FP16" in upper, line, overwrite=True)

    def _vote(self, producer: str, weight: int = 1) -> None:
        self._producer_votes[producer] = self._producer_votes.get(producer, 0) + weight

    def _event(self, bucket: list[Event], kind: str, line: Line) -> None:
        if len(bucket) < MAX_EVENTS:
            bucket.append(Event(kind, line.number, line.message))

    # -- main entry
    def feed(self, line: Line) -> None:
        msg = line.message
        n = line.number
        self._last_incomplete = None
        if line.has_prefix and len(self._producer_votes) < 50:
            for pattern, producer in _PRODUCER_BY_PREFIX:
                if pattern.search(line.raw):
                    self._vote(producer)
                    break

        if "Missing " in msg:
            m = MISSING_RE.search(msg)
            if m:
                self._missing(m.group("t"), n, "dynamic-range" if m.group("kind") == "dynamic range" else
                              "scale-and-zero-point")
                return
            # A warning cut short (no ", expect fall back" tail) marks a truncated log if it is last.
            self._last_incomplete = n
        if "Dynamic range would" in msg:
            m = NBSPATIAL_RE.search(msg)
            if m:
                self._missing(m.group("t"), n, "nbspatialdims")
                return
        if "No non-int8" in msg:
            m = NO_NON_INT8_RE.search(msg)
            if m:
                self._no_int8.append(Event("no-non-int8-implementation", n, m.group("l")))
                return

        # verbose ONNX parser lines (the most frequent candidates in verbose logs)
        if msg.startswith("Registering "):
            if not self._registration(msg, n):
                self._last_incomplete = n
            return
        if msg.startswith("Parsing node: "):
            m = PARSING_NODE_RE.match(msg)
            if m:
                self._current_node = m.group("n")
                self._parsed.append(ParsedNode(m.group("n"), m.group("op"), n))
            return
        if "outputs: [" in msg:
            m = NODE_OUTPUTS_RE.match(msg)
            if m and m.group("n") == self._current_node:
                self._current_node = None
            return
        if msg.startswith("Adding network input: "):
            m = ADD_INPUT_RE.match(msg)
            if m:
                self._inputs.append((m.group("n"), m.group("dt"), m.group("d"), n))
            return
        if msg.startswith("Marking "):
            m = MARK_OUTPUT_RE.match(msg)
            if m:
                self._outputs.append((m.group("t"), m.group("o"), n))
            return
        if msg.startswith("Layer("):
            if LAYER_INFO_RE.match(msg):
                self._layer_info += 1
                # Engine layers running in Half/Int8 show which precisions the builder had.
                if "Half" in msg:
                    self._set("observed_fp16", True, n)
                if "Int8" in msg:
                    self._set("observed_int8", True, n)
            return

        if "&&&&" in msg:
            m = TRTEXEC_HEADER_RE.search(msg)
            if m:
                tool = m.group("tool")
                self._vote("trtexec" if tool == "trtexec" else "samples", 100)
                if m.group("v"):
                    self._set_version(decode_trt_version(m.group("v")), "trtexec header", n, 0)
                if m.group("state") == "RUNNING":
                    self._set("command", m.group("cmd").strip(), n)
                    self._flags_from_command(m.group("cmd"), n)
        if "TensorRT" in msg or "tensorrt==" in msg:
            m = TRT_VERSION_LINE_RE.search(msg)
            if m:
                self._set_version(m.group("v"), "'TensorRT version' line", n, 1)
            m = TRT_PATH_VERSION_RE.search(msg)
            if m:
                self._set_version(m.group("v"), "TensorRT install path", n, 3)
            m = TRT_PIP_VERSION_RE.search(msg)
            if m:
                self._set_version(m.group("v"), "pip package version", n, 2)
        if "TRT-" in msg:
            m = CACHE_HEADER_RE.search(msg)
            if m and ("alibrat" in msg or msg.startswith("TRT-")):
                self._set_version(decode_trt_version(m.group("code")), "calibration cache header", n, 4)
                self._set("calibration_algorithm", m.group("algo"), n)

        stripped = msg.strip()
        if "Precision" in msg:
            m = PRECISION_RE.match(stripped)
            if m:
                self._precision(m.group("p"), n)
        if FP32_INT8_NOTICE in msg:
            self._set("fp32_int8_notice", True, n)
            self._set("int8", True, n)
            self._set("fp16", False, n)
        if stripped.startswith("Flags"):
            m = FLAGS_RE.match(stripped)
            if m:
                flags = {f.strip().upper() for f in m.group("f").split(",") if f.strip()}
                self._set("int8", "INT8" in flags, n, overwrite=True)
                self._set("fp16", "FP16" in flags, n, overwrite=True)
                if "STRONGLY_TYPED" in flags:
                    self._set("strongly_typed", True, n)
                self._set("precision", "Flags: [" + ", ".join(sorted(flags)) + "]", n)
                self._vote("polygraphy", 50)
        elif "flags" in msg:
            m = USER_FLAGS_RE.search(stripped)
            if m:
                flags = {f.strip().upper() for f in re.split(r"[,|]", m.group("f")) if f.strip()}
                if flags & _BUILDER_FLAGS:
                    self._set("int8", "INT8" in flags, n)
                    self._set("fp16", "FP16" in flags, n)
                    self._set("precision", "flags: " + " | ".join(sorted(flags)), n)
        if "Command:" in msg:
            m = COMMAND_RE.search(msg)
            if m:
                cmd = m.group("cmd").strip()
                if "polygraphy" in cmd:
                    self._vote("polygraphy", 100)
                self._set("command", cmd, n)
                self._flags_from_command(cmd, n)
        elif ("--int8" in msg or "--fp16" in msg or "--best" in msg or "trongly" in msg) and (
            "trtexec" in msg or "polygraphy" in msg
        ):
            self._flags_from_command(msg, n)
        if "alibrat" in msg or "IInt8" in msg:
            self._calibration(line, stripped)
        if "trongly" in msg and ("--stronglyTyped" in msg or "STRONGLY_TYPED" in msg):
            self._set("strongly_typed", True, n)
        for kind, pattern in TRT11_PATTERNS:
            if pattern.search(msg):
                self._event(self._trt11, kind, line)
                break
        if "eprecat" in msg:
            for kind, pattern in DEPRECATION_PATTERNS:
                if pattern.search(msg):
                    self._event(self._deprecations, kind, line)
                    break
        if "lugin" in msg:
            m = PLUGIN_IMPORT_RE.search(msg)
            if m:
                self._event(self._plugins, "plugin-import", line)

    def _missing(self, tensor: str, n: int, wording: str) -> None:
        idx = self._ms_index.get(tensor)
        if idx is None:
            idx = len(self._ms_names)
            self._ms_index[tensor] = idx
            self._ms_names.append(tensor)
            self._ms_count.append(0)
            self._ms_first.append(n)
            self._ms_lines.append([])
            self._ms_wording.append(wording)
        self._ms_count[idx] += 1
        if len(self._ms_lines[idx]) < MAX_LINES_PER_TENSOR:
            self._ms_lines[idx].append(n)
        self._order.append(idx)

    def _registration(self, msg: str, n: int) -> bool:
        m = REG_LAYER_NODE_RE.match(msg)
        if m:
            node = m.group("n")
            self._regs.append(Registration(m.group("l"), node, "node", self._current_node or node or None, n))
            return True
        m = REG_LAYER_HELPER_RE.match(msg)
        if m:
            self._regs.append(Registration(m.group("l"), None, "helper", self._current_node, n))
            return True
        m = REG_CONSTANT_RE.match(msg)
        if m:
            self._regs.append(Registration(m.group("l"), None, "constant", self._current_node, n))
            return True
        m = REG_TENSOR_RE.match(msg)
        if m:
            self._tensor_regs.append((m.group("t"), m.group("o"), n))
            return True
        return False

    def _calibration(self, line: Line, stripped: str) -> None:
        n = line.number
        m = CALIB_BATCH_RE.match(stripped)
        if m:
            self._calib_batches += 1
            self._calib_seconds += float(m.group("s"))
            return
        m = CALIB_START_RE.match(stripped)
        if m:
            if self._calib_start is None:
                self._calib_start = n
                self._calib_bs = int(m.group("bs")) if m.group("bs") else None
            self._set("int8", True, n)
            return
        if CALIB_POST_RE.match(stripped):
            return
        m = CALIB_DONE_RE.match(stripped)
        if m:
            self._calib_done = (float(m.group("s")), n)
            return
        m = CALIB_WRITE_RE.search(stripped)
        if m:
            self._event(self._calib_events, "cache-written", line)
            self._set("calibration_cache_written", m.group("c"), n)
            self._calib_algo_from(m.group("c"), n)
            return
        m = CALIB_READ_RE.search(stripped)
        if m:
            self._event(self._calib_events, "cache-read", line)
            self._set("calibration_cache_read", m.group("c"), n)
            self._calib_algo_from(m.group("c"), n)
            return
        if CALIB_GENERATED in stripped:
            self._event(self._calib_events, "scales-from-cache", line)
            self._set("calibration_cache_read", self._cfg.get("calibration_cache_read") or "(cache)", n)
            return
        if CALIB_NOT_USED in stripped:
            self._event(self._calib_events, "calibrator-not-used", line)
            return
        if CALIB_EXPLICIT in stripped:
            self._event(self._calib_events, "explicit-precision", line)
            return
        if CALIB_PROFILE_UNDEFINED in stripped:
            self._event(self._calib_events, "profile-not-defined", line)
            return
        if CALIB_FAILURE in stripped:
            self._event(self._calib_events, "calibration-failure", line)
            return
        m = CALIB_USING_PROFILE_RE.match(stripped)
        if m:
            self._event(self._calib_events, "calibration-profile", line)
            return
        m = CALIBRATION_OPT_RE.match(stripped)
        if m:
            value = m.group("v").strip()
            if value == "Dynamic":
                self._set("calibration_dynamic", True, n)
                self._event(self._calib_events, "calibration-dynamic", line)
            elif value:
                self._set("calibration_cache_read", value, n)
            return
        m = POLY_CALIBRATOR_RE.match(stripped)
        if m:
            value = m.group("v")
            cls = BASECLASS_RE.search(value)
            self._set("calibrator", cls.group("c") if cls else value, n)
            cache = POLY_CACHE_RE.search(value)
            if cache and cache.group("c"):
                self._set("calibration_cache_file", cache.group("c"), n)
            return
        m = CALIB_LOADING_RE.search(stripped)
        if m:
            self._event(self._calib_events, "cache-read", line)
            self._set("calibration_cache_read", m.group("f"), n, overwrite=True)
            return
        m = CALIB_SAVING_RE.search(stripped)
        if m:
            self._event(self._calib_events, "cache-written", line)
            self._set("calibration_cache_written", m.group("f"), n, overwrite=True)
            return
        m = CALIB_CLASS_RE.search(stripped)
        # A traceback or source line naming the class (``trt.IInt8…``, ``class X(…)``) does not mean it was used.
        if m and not re.search(r"\b(?:trt|tensorrt)\.IInt8|^class |Error\b|not available", stripped) and \
                not any(p.search(stripped) for _, p in TRT11_PATTERNS):
            self._set("calibrator", m.group("c"), n)

    def _calib_algo_from(self, text: str, n: int) -> None:
        m = CACHE_HEADER_RE.search(text)
        algo = m.group("algo") if m else text
        self._set("calibration_algorithm", algo, n)

    # -- result
    def vote_on_sample(self, sample: str) -> None:
        """Producer votes from the head of the file: its prefix style shows on lines without keywords."""
        for raw in sample.splitlines()[:2000]:
            for pattern, producer in _PRODUCER_BY_PREFIX:
                if pattern.search(raw):
                    self._vote(producer)
                    break

    def result(self, stats: ReadStats) -> LogFacts:
        cfg = dict(self._cfg)
        cfg.pop("_version_rank", None)
        cfg.pop("calibration_cache_file", None)
        observed_fp16 = cfg.pop("observed_fp16", None)
        observed_int8 = cfg.pop("observed_int8", None)
        if cfg.get("fp16") is None and observed_fp16:
            cfg["fp16"] = True
            self._evidence["fp16"] = self._evidence["observed_fp16"]
        if cfg.get("int8") is None and observed_int8:
            cfg["int8"] = True
            self._evidence["int8"] = self._evidence["observed_int8"]
        producer = "unknown"
        if self._producer_votes:
            producer = max(sorted(self._producer_votes), key=lambda k: self._producer_votes[k])
        if cfg.get("int8") is None:
            # Python-API logs print no flags; warnings about INT8 scales or calibration imply INT8.
            hint = (self._ms_first[0] if self._ms_first else None) or self._calib_start or (
                self._calib_events[0].line if self._calib_events else None
            )
            if hint is not None:
                cfg["int8"] = True
                self._evidence["int8"] = hint
        evidence = {k: v for k, v in self._evidence.items() if not k.startswith("_")}
        build = BuildConfig(producer=producer, evidence=evidence, **cfg)  # type: ignore[arg-type]
        missing = tuple(
            MissingScale(
                tensor=name,
                count=self._ms_count[i],
                first_line=self._ms_first[i],
                lines=tuple(self._ms_lines[i]),
                wording=self._ms_wording[i],
            )
            for i, name in enumerate(self._ms_names)
        )
        truncated = stats.truncated_stream or (
            not stats.ends_with_newline and self._last_incomplete is not None
        )
        reason = None
        if stats.truncated_stream:
            reason = "the gzip stream ends early"
        elif truncated:
            reason = f"the log ends in the middle of a message at line {self._last_incomplete}"
        calibration = CalibrationSummary(
            started_line=self._calib_start,
            batch_size=self._calib_bs,
            batches=self._calib_batches,
            batch_seconds=round(self._calib_seconds, 6),
            completed_seconds=self._calib_done[0] if self._calib_done else None,
            completed_line=self._calib_done[1] if self._calib_done else None,
            events=tuple(self._calib_events),
        )
        return LogFacts(
            read=stats,
            build=build,
            missing_scale=missing,
            warning_order=tuple(self._order),
            no_int8_impl=tuple(self._no_int8),
            calibration=calibration,
            parsed_nodes=tuple(self._parsed),
            registrations=tuple(self._regs),
            tensor_registrations=tuple(self._tensor_regs),
            network_inputs=tuple(self._inputs),
            network_outputs=tuple(self._outputs),
            trt11=tuple(self._trt11),
            deprecations=tuple(self._deprecations),
            plugins=tuple(self._plugins),
            layer_info_lines=self._layer_info,
            truncated=truncated,
            truncation_reason=reason,
        )


def read_log(
    path: str | os.PathLike[str],
    *,
    scanner: str = "auto",
    on_progress: Callable[[int], None] | None = None,
) -> LogFacts:
    """Read a TensorRT log (plain or gzip) and return what it says.

    Raises :class:`~trtdiag.errors.InputError` for unreadable input and
    :class:`~trtdiag.errors.TruncatedInputError` (carrying the partial :class:`LogFacts`) when the
    log ends early.
    """
    reader = LogReader(path, scanner=scanner, on_progress=on_progress)
    collector = LogCollector()
    for number, text in reader:
        collector.feed(split_prefix(number, text))
    assert reader.stats is not None
    collector.vote_on_sample(reader.head_sample)
    facts = collector.result(reader.stats)
    if facts.truncated:
        raise TruncatedInputError(f"{path}: log is truncated: {facts.truncation_reason}", partial=facts)
    return facts
