"""The ``&&&& RUNNING TensorRT.trtexec [TensorRT v8601] # trtexec ...`` header of trtexec and the samples.

It names the tool (a strong producer vote), the version (the most authoritative source) and,
on the RUNNING line, the full command line with its precision flags.
"""

from __future__ import annotations

import re

from trtdiag.io.prefix import Line
from trtdiag.io.versions import decode_trt_version
from trtdiag.log.handlers.build_config import flags_from_command
from trtdiag.log.state import FactsDraft, LogState

TRTEXEC_HEADER_RE = re.compile(
    r"&&&& (?P<state>RUNNING|PASSED|FAILED|WAIVED) TensorRT\.(?P<tool>[\w.]+)"
    r"(?: \[TensorRT v(?P<v>\d+)\])?(?: \[b\d+\])?\s*#\s*(?P<cmd>.*)"
)

#: Rank of this source among the version signals (lower wins), see ConfigBoard.set_version.
VERSION_RANK = 0


class TrtexecHeaderHandler:
    keywords = (b"&&&&",)

    def feed(self, line: Line, state: LogState) -> bool:
        msg = line.message
        if "&&&&" not in msg:
            return False
        m = TRTEXEC_HEADER_RE.search(msg)
        if m:
            n = line.number
            state.votes.vote("trtexec" if m.group("tool") == "trtexec" else "samples", 100)
            if m.group("v"):
                state.config.set_version(decode_trt_version(m.group("v")), "trtexec header", n, VERSION_RANK)
            if m.group("state") == "RUNNING":
                state.config.set("command", m.group("cmd").strip(), n)
                flags_from_command(state.config, m.group("cmd"), n)
        return False

    def contribute(self, draft: FactsDraft) -> None:
        """Everything goes to the shared build configuration and producer votes."""
