"""TensorRT version lines: ``TensorRT version: 8.6.1``, install paths, pip pins, calibration cache headers.

Several may appear; :meth:`~trtdiag.log.state.ConfigBoard.set_version` keeps the most
authoritative (the trtexec header, rank 0, is handled by :mod:`trtdiag.log.handlers.trtexec_header`).
"""

from __future__ import annotations

import re

from trtdiag.io.prefix import Line
from trtdiag.io.versions import (
    CACHE_HEADER_RE,
    TRT_PATH_VERSION_RE,
    TRT_PIP_VERSION_RE,
    TRT_VERSION_LINE_RE,
    decode_trt_version,
)
from trtdiag.log.state import FactsDraft, LogState

#: ``libnvinfer.so.8.6.1``, ``libnvinfer_plugin.so.10.3.0``: ldd output, loader errors, install listings.
LIBNVINFER_RE = re.compile(r"libnvinfer(?:_[a-z_]+)?\.so\.(?P<v>\d+\.\d+\.\d+(?:\.\d+)?)")


class VersionHandler:
    #: ``TensorRT-`` only before a digit (TRT_PATH_VERSION_RE), not in "TensorRT-managed allocation" lines;
    #: ``tensorrt-cu12==`` pins as TRT_PIP_VERSION_RE reads them.
    keywords = (b"TensorRT v", *(f"TensorRT-{d}".encode() for d in range(10)), b"tensorrt==", b"tensorrt-cu",
                b"tensorrt_cu", b"libnvinfer")
    #: what feed tests (trtdiag/log/routing.py)
    triggers = (b"TensorRT", b"tensorrt==", b"tensorrt-cu", b"tensorrt_cu", b"libnvinfer", b"TRT-")

    def feed(self, line: Line, state: LogState) -> bool:
        msg = line.message
        n = line.number
        config = state.config
        if "TensorRT" in msg or "tensorrt" in msg:
            m = TRT_VERSION_LINE_RE.search(msg)
            if m:
                config.set_version(m.group("v"), "'TensorRT version' line", n, 1)
            m = TRT_PATH_VERSION_RE.search(msg)
            if m:
                config.set_version(m.group("v"), "TensorRT install path", n, 3)
            m = TRT_PIP_VERSION_RE.search(msg)
            if m:
                config.set_version(m.group("v"), "pip package version", n, 2)
        if "libnvinfer" in msg:
            m = LIBNVINFER_RE.search(msg)
            if m:
                config.set_version(m.group("v"), "libnvinfer library path", n, 3)
        if "TRT-" in msg:
            # "TRT-8601-EntropyCalibration2": a calibration cache header, quoted by the calibration messages
            m = CACHE_HEADER_RE.search(msg)
            if m and ("alibrat" in msg or msg.startswith("TRT-")):
                config.set_version(decode_trt_version(m.group("code")), "calibration cache header", n, 4)
                config.set("calibration_algorithm", m.group("algo"), n)
        return False

    def contribute(self, draft: FactsDraft) -> None:
        """The version lives on the shared build configuration."""
