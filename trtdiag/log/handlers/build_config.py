"""Build configuration as the log states it: precision lines, builder flags, command lines.

Sources by producer: trtexec's ``Precision:`` line and its command line (``--int8``, ``--best``,
``--calib=``), the "FP32 and INT8 precisions have been specified" notice, Polygraphy's
``Flags | [...]`` block and ``Command:`` line, and a build script's own print of its flags.
"""

from __future__ import annotations

import re

from trtdiag.io.prefix import Line
from trtdiag.log.state import ConfigBoard, FactsDraft, LogState

PRECISION_RE = re.compile(r"^Precision:\s*(?P<p>.+)$")
FP32_INT8_NOTICE = "FP32 and INT8 precisions have been specified"
FLAGS_RE = re.compile(r"^Flags\s*\|\s*\[(?P<f>[^\]]*)\]")
#: A build script's own print of its builder flags ("Building with flags: FP16 | INT8").
USER_FLAGS_RE = re.compile(r"(?i)\bflags\s*[:=]\s*\[?(?P<f>[A-Z0-9_]+(?:\s*[,|]\s*[A-Z0-9_]+)*)\]?\s*$")
BUILDER_FLAGS = frozenset({"INT8", "FP16", "BF16", "FP8", "INT4", "TF32", "STRONGLY_TYPED", "STRICT_TYPES",
                           "OBEY_PRECISION_CONSTRAINTS", "PREFER_PRECISION_CONSTRAINTS", "SPARSE_WEIGHTS"})
COMMAND_RE = re.compile(r"(?:RUNNING \| Command:|Command:)\s*(?P<cmd>.+)$")


def flags_from_command(config: ConfigBoard, cmd: str, line: int) -> None:
    """The precision flags and calibration cache of a trtexec/Polygraphy command line."""
    tokens = cmd.split()
    lowered = {t.lower() for t in tokens}
    if "--int8" in lowered:
        config.set("int8", True, line)
    if "--fp16" in lowered:
        config.set("fp16", True, line)
    if "--best" in lowered:
        config.set("best", True, line)
        config.set("int8", True, line)
        config.set("fp16", True, line)
    if lowered & {"--stronglytyped", "--strongly-typed"}:
        config.set("strongly_typed", True, line)
    for t in tokens:
        if t.startswith("--calib=") and t != "--calib=":
            config.set("calibration_cache_read", t.split("=", 1)[1], line)
        if t.startswith("--calibration-cache") and "=" in t:
            config.set("calibration_cache_read", t.split("=", 1)[1], line)
    if "--calibration-cache" in tokens:
        i = tokens.index("--calibration-cache")
        if i + 1 < len(tokens):
            config.set("calibration_cache_read", tokens[i + 1], line)


class BuildConfigHandler:
    keywords = (b"Precision", b"precisions have", b"Flags", b"flags:", b"flags=", b"--int8", b"--fp16", b"--best",
                b"Command:")
    #: What :meth:`feed` tests before acting (see trtdiag/log/routing.py).
    triggers = (b"Precision", FP32_INT8_NOTICE.encode(), b"Flags", b"flags", b"Command:", b"--int8", b"--fp16",
                b"--best", b"trongly")

    def feed(self, line: Line, state: LogState) -> bool:
        msg = line.message
        n = line.number
        config = state.config
        stripped = msg.strip()
        if "Precision" in msg:
            m = PRECISION_RE.match(stripped)
            if m:
                value = m.group("p")
                config.set("precision", value, n, overwrite=True)
                config.set("int8", "INT8" in value.upper(), n, overwrite=True)
                config.set("fp16", "FP16" in value.upper(), n, overwrite=True)
        if FP32_INT8_NOTICE in msg:
            config.set("fp32_int8_notice", True, n)
            config.set("int8", True, n)
            config.set("fp16", False, n)
        if stripped.startswith("Flags"):
            self._polygraphy_flags(stripped, n, state)
        elif "flags" in msg:
            self._user_flags(stripped, n, config)
        if "Command:" in msg:
            m = COMMAND_RE.search(msg)
            if m:
                cmd = m.group("cmd").strip()
                if "polygraphy" in cmd:
                    state.votes.vote("polygraphy", 100)
                config.set("command", cmd, n)
                flags_from_command(config, cmd, n)
        elif ("--int8" in msg or "--fp16" in msg or "--best" in msg or "trongly" in msg) and (
            "trtexec" in msg or "polygraphy" in msg
        ):
            flags_from_command(config, msg, n)
        return False

    @staticmethod
    def _polygraphy_flags(stripped: str, n: int, state: LogState) -> None:
        m = FLAGS_RE.match(stripped)
        if not m:
            return
        flags = {f.strip().upper() for f in m.group("f").split(",") if f.strip()}
        state.config.set("int8", "INT8" in flags, n, overwrite=True)
        state.config.set("fp16", "FP16" in flags, n, overwrite=True)
        if "STRONGLY_TYPED" in flags:
            state.config.set("strongly_typed", True, n)
        state.config.set("precision", "Flags: [" + ", ".join(sorted(flags)) + "]", n)
        state.votes.vote("polygraphy", 50)

    @staticmethod
    def _user_flags(stripped: str, n: int, config: ConfigBoard) -> None:
        m = USER_FLAGS_RE.search(stripped)
        if not m:
            return
        flags = {f.strip().upper() for f in re.split(r"[,|]", m.group("f")) if f.strip()}
        if flags & BUILDER_FLAGS:
            config.set("int8", "INT8" in flags, n)
            config.set("fp16", "FP16" in flags, n)
            config.set("precision", "flags: " + " | ".join(sorted(flags)), n)

    def contribute(self, draft: FactsDraft) -> None:
        """The statements live on the shared :class:`~trtdiag.log.state.ConfigBoard`."""
