"""The buffered log writer: size, line count, clock and the counters the summary reports."""

from __future__ import annotations

from datetime import timedelta
from typing import BinaryIO

from biglog.model import MIB, MISSING_SCALE, START_TIME, TS_PLACEHOLDER

# --------------------------------------------------------------------------------------------
# Writer
# --------------------------------------------------------------------------------------------


class LogWriter:
    """Buffered byte writer that tracks size, line count, the clock and the counters we report.

    Why: the summary must state exactly how many missing-scale lines were written, and the
    body loop needs the running size to stop at the requested size.
    """

    FLUSH_AT = 8 * MIB

    def __init__(self, fh: BinaryIO) -> None:
        self.fh = fh
        self.buf: list[bytes] = []
        self.buffered = 0
        self.bytes = 0
        self.lines = 0
        self.missing_scale = 0
        self.missing_scale_tensors: dict[str, int] = {}
        self.now = START_TIME
        self._ts = self._fmt_ts()

    def _fmt_ts(self) -> bytes:
        return self.now.strftime("[%m/%d/%Y-%H:%M:%S]").encode()

    def tick(self, seconds: float) -> None:
        if seconds > 0:
            self.now += timedelta(seconds=seconds)
            self._ts = self._fmt_ts()

    def _put(self, data: bytes, nlines: int) -> None:
        self.buf.append(data)
        self.buffered += len(data)
        self.bytes += len(data)
        self.lines += nlines
        if self.buffered >= self.FLUSH_AT:
            self.flush()

    def flush(self) -> None:
        if self.buf:
            self.fh.write(b"".join(self.buf))
            self.buf.clear()
            self.buffered = 0

    def block(self, tmpl: bytes) -> None:
        """A pre-rendered block; the placeholder has the real timestamp's width."""
        self._put(tmpl.replace(TS_PLACEHOLDER, self._ts), tmpl.count(b"\n"))

    def raw(self, text: str) -> None:
        self._put(text.encode() + b"\n", 1 + text.count("\n"))

    def msg(self, level: str, text: str, trt: bool = True) -> None:
        tag = b" [TRT] " if trt else b" "
        line = self._ts + b" [" + level.encode() + b"]" + tag + text.encode()
        self._put(line.rstrip(b" ") + b"\n", 1)

    def v(self, text: str) -> None:
        self.msg("V", text)

    def warn_missing_scale(self, tensor: str) -> None:
        self.msg("W", MISSING_SCALE.format(tensor))
        self.missing_scale += 1
        self.missing_scale_tensors[tensor] = self.missing_scale_tensors.get(tensor, 0) + 1
