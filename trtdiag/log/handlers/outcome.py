"""How the build ended: built, failed, crashed, or the log does not say.

Why a handler of its own: a log full of missing-scale warnings that ends in ``&&&& FAILED`` or a
segmentation fault must never read as a finished INT8 build. Failure lines come in two strengths:

- *hard* ones fail the build wherever they appear (``&&&& FAILED``, ONNX parser errors, ``Network
  validation failed``, no implementation found, engine not created, a crash);
- *soft* ones (out of memory, ``No non-int8 implementation``, a Python traceback after the engine was
  saved) also appear in builds that end well: TensorRT logs ``Error Code 1: Cuda Runtime (out of
  memory)`` for a tactic it then skips, and a script may fail after saving its engine. They fail the
  build only when nothing shows an engine was built.

The DeepStream "INT8 calibration file not specified. Trying FP16 mode." notice is kept too: INT8 was
asked for and silently dropped.
"""

from __future__ import annotations

import re

from trtdiag.io.prefix import Line
from trtdiag.log.facts import BuildOutcome, Event, Outcome
from trtdiag.log.state import FactsDraft, LogState, add_event

#: (needles, pattern, cause id, hard, crash). The first matching entry names the line's cause. The pattern is
#: searched only on a line holding one of its needles (substrings every match contains; lower case for the
#: case-insensitive patterns, looked for in the lowered line): ten regex searches per line cost 20 µs on a long
#: trtexec command line, and most lines this handler sees are no failure.
FAILURE_PATTERNS: tuple[tuple[tuple[str, ...], re.Pattern[str], str, bool, bool], ...] = (
    (("Segmentation fault", "core dumped", "SIGSEGV", "Fatal Python error"),
     re.compile(r"Segmentation fault|core dumped|SIGSEGV|Fatal Python error"), "crash", True, True),
    (("invalid weights type of Int8",), re.compile(r"invalid weights type of Int8"), "onnx-int8-weights", True, False),
    (("failed to parse", "onnx2trt", "parsegraph"),
     re.compile(r"Failed to parse (?:the )?onnx(?: file| model)?|ERROR:.*onnx2trt|\bparseGraph\b.*INVALID_"
                r"|Failed to parse ONNX", re.IGNORECASE), "onnx-parse", True, False),
    (("Network validation failed",), re.compile(r"Network validation failed"), "network-validation", True, False),
    (("Unable to find valid implementation", "Could not find any implementation"),
     re.compile(r"Unable to find valid implementation|Could not find any implementation"), "no-implementation",
     True, False),
    (("engine could not be created", "failed to create", "unable to build", "engine creation failed"),
     re.compile(r"Engine could not be created|Failed to create (?:the )?engine|Unable to build (?:the )?engine"
                r"|Engine creation failed", re.IGNORECASE), "engine-not-created", True, False),
    (("Builder failed",), re.compile(r"Builder failed"), "builder-failed", True, False),
    (("&&&& FAILED",), re.compile(r"&&&& FAILED"), "run-failed", True, False),
    (("out of memory", "outofmemory", "std::bad_alloc"),
     re.compile(r"out of memory|OutOfMemory|std::bad_alloc", re.IGNORECASE), "out-of-memory", False, False),
    (("No non-int8 implementation of layer",), re.compile(r"^No non-int8 implementation of layer"),
     "no-int8-fallback", False, False),
)
#: An error line of the ONNX parser (``[E] [TRT] ModelImporter.cpp:...``); its info/verbose lines are not failures.
PARSER_ERROR_RE = re.compile(r"ModelImporter|onnx2trt|parseGraph")
#: Every match of BUILT_RE holds one of these (checked before the search).
BUILT_NEEDLES = ("PASSED", "ngine", "Succeeded building")
BUILT_RE = re.compile(
    r"&&&& PASSED|Engine built in|Engine generation completed|[Ss]erializ(?:ed|ing) (?:the )?[Ee]ngine|"
    r"[Ee]ngine (?:serialized|saved)|Sav(?:ed|ing) (?:the )?engine|Succeeded building|serialize cuda engine to file"
    r"|Engine Layer Information"
)
#: The strings of BUILT_RE's serialization alternatives, not ``erializ`` alone: a verbose build prints a dozen
#: other serialization lines ("Serialized 261 timing cache entries", "Deserialization required ...") that say
#: nothing of the outcome.
SERIALIZED_ENGINE = (*(f"eriali{verb} {the}{e}ngine".encode() for verb in ("zed", "zing") for the in ("", "the ")
                       for e in "eE"), b"ngine serialized", b"serialize cuda engine")
TRACEBACK = "Traceback (most recent call last)"
EXCEPTION_RE = re.compile(r"^(?:[A-Za-z_][\w.]*\.)?[A-Z]\w*(?:Error|Exception|Exit)\b(?::|$)")
#: The most frequent candidate lines of a verbose log, none of them an outcome (skipped without a search).
_OTHER_FAMILIES = ("Missing scale", "Missing dynamic", "Registering ", "Parsing node", "Layer(", "Searching for")
FALLBACK_RE = re.compile(r"INT8 calibration file not specified|Trying FP16 mode")


class OutcomeHandler:
    keywords = (b"&&&&", b"Failed to parse", b"ailed to parse ONNX", b"invalid weights type", b"onnx2trt",
                b"parseGraph", b"validation failed", b"valid implementation", b"any implementation",
                b"could not be created", b"ailed to create", b"nable to build", b"creation failed", b"Builder failed",
                b"Segmentation fault", b"core dumped", b"SIGSEGV", b"Fatal Python", b"Traceback", b"Error",
                b"Exception", b"out of memory", b"OutOfMemory", b"bad_alloc", b"No non-int8", b"ngine built",
                b"generation completed", *SERIALIZED_ENGINE, b"ngine saved", b"aved engine", b"aving engine",
                b"Succeeded building", b"Engine Layer Information", b"calibration file not specified",
                b"Trying FP16")

    #: One C-level search before any per-pattern work: most candidate lines are other families' lines.
    _trigger = re.compile("|".join(re.escape(k.decode()) for k in keywords))

    def __init__(self) -> None:
        self._hard: list[Event] = []
        self._soft: list[Event] = []
        self._crash = False
        self._built: int | None = None
        self._traceback: Line | None = None
        self._fallback: list[Event] = []

    def feed(self, line: Line, state: LogState) -> bool:
        msg = line.message
        if msg.startswith(_OTHER_FAMILIES) or self._trigger.search(msg) is None:
            return False
        if self._traceback is not None and EXCEPTION_RE.match(msg.strip()):
            self._exception(line)
            return False
        if TRACEBACK in msg:
            self._traceback = line
            return False
        if any(n in msg for n in BUILT_NEEDLES) and BUILT_RE.search(msg):
            if self._built is None:
                self._built = line.number
            return False
        if "FP16" in msg and FALLBACK_RE.search(msg):
            add_event(self._fallback, "int8-fallback-to-fp16", line)
            return False
        lowered = msg.lower()
        for needles, pattern, cause, hard, crash in FAILURE_PATTERNS:
            if not any(n in msg or n in lowered for n in needles):
                continue
            if pattern.search(msg):
                if (cause == "onnx-parse" and "Failed to parse" not in msg and "ERROR" not in line.raw
                        and line.severity not in ("E", "F")):
                    continue
                self._record(cause, line, hard=hard, crash=crash)
                return False
        if line.severity in ("E", "F") and PARSER_ERROR_RE.search(msg):
            self._record("onnx-parse", line, hard=True, crash=False)
        return False

    def _record(self, cause: str, line: Line, *, hard: bool, crash: bool) -> None:
        add_event(self._hard if hard else self._soft, cause, line)
        self._crash = self._crash or crash

    def _exception(self, line: Line) -> None:
        """The exception line closing a traceback: a hard failure before an engine was saved, soft after."""
        tb = self._traceback
        assert tb is not None
        self._traceback = None
        text = f"{TRACEBACK}: {line.message.strip()}"
        event = Event("out-of-memory" if "memory" in text.lower() else "python-exception", line.number, text)
        bucket = self._soft if self._built is not None else self._hard
        if len(bucket) < 200:
            bucket.append(event)

    def contribute(self, draft: FactsDraft) -> None:
        draft.precision_fallback = tuple(self._fallback)
        draft.outcome = self.outcome()

    def outcome(self) -> BuildOutcome:
        failures = sorted(self._hard + self._soft, key=lambda e: e.line)
        decisive = sorted(self._hard, key=lambda e: e.line) or (failures if self._built is None else [])
        if decisive:
            # The first hard failure stopped the build (later lines are its consequences); a soft
            # "No non-int8 implementation" before it is its root cause (TensorRT 6/7: a layer left without
            # INT8 scales and without a non-INT8 implementation).
            first = decisive[0]
            root = [e for e in self._soft if e.kind == "no-int8-fallback" and e.line < first.line]
            if root:
                first = root[0]
            return BuildOutcome(Outcome.CRASHED if self._crash else Outcome.FAILED, first.kind, first.line,
                                first.text, self._built, tuple(failures))
        if self._built is not None:
            return BuildOutcome(Outcome.BUILT, None, self._built, None, self._built, tuple(failures))
        return BuildOutcome(Outcome.UNKNOWN, None, None, None, None, tuple(failures))
