"""TensorRT version strings as logs, caches and headers print them."""

from __future__ import annotations

import re

#: ``&&&& RUNNING TensorRT.trtexec [TensorRT v8601]``: the encoded version code.
TRTEXEC_VERSION_RE = re.compile(r"\[TensorRT v(?P<v>\d{4,6})\]")
TRT_VERSION_LINE_RE = re.compile(r"TensorRT version:?\s*(?P<v>\d+\.\d+(?:\.\d+){0,2})")


TRT_PATH_VERSION_RE = re.compile(r"TensorRT-(?P<v>\d+\.\d+\.\d+(?:\.\d+)?)")


TRT_PIP_VERSION_RE = re.compile(r"tensorrt(?:[-_]cu\d+)?==(?P<v>\d+\.\d+(?:\.\d+){0,2})")


CACHE_HEADER_RE = re.compile(r"TRT-(?P<code>\d{4,6})-(?P<algo>[A-Za-z0-9]+)")


def decode_trt_version(code: str) -> str:
    """``8601`` -> ``8.6.1``, ``101303`` -> ``10.13.3`` (M*1000+m*100+p below 10, MMmmpp from 10)."""
    n = int(code)
    if n >= 100000:
        return f"{n // 10000}.{(n // 100) % 100}.{n % 100}"
    return f"{n // 1000}.{(n // 100) % 10}.{n % 100}"

