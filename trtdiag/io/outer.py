"""Prefixes that other tools put in front of a TensorRT log line, removed before the TensorRT prefix is read.

Why: the logs users bring are rarely bare. CI runners stamp every line (GitHub Actions
``2024-05-01T10:11:12.1234567Z``), ``docker compose`` names the service (``builder-1  | ``), Triton and other
glog users write ``I1201 10:11:12.123456 1 model.cc:10] ``, journald/syslog ``Dec 01 10:11:12 host app[42]: ``,
and terminals colour the severity (``\\x1b[33m[W]\\x1b[0m``). With any of these in front, the TensorRT prefix
is not at the start of the line, so anchored messages (``Precision: FP32+INT8``, the trtexec option block)
are not recognised and evidence lines keep the noise. :func:`strip_outer` removes one such prefix (and every
ANSI colour code), so :func:`trtdiag.io.prefix.split_prefix` sees the line as TensorRT wrote it.
"""

from __future__ import annotations

import re

#: Terminal colour and style codes (SGR) anywhere in the line.
_ANSI = re.compile(r"\x1b\[[0-9;]{0,32}m")

#: One outer prefix at the very start of a line; the alternatives are mutually exclusive by their first tokens.
_OUTER = re.compile(
    r"""
    (?:
        \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:Z|[+-]\d\d:?\d\d)\ ?     # CI runner: RFC 3339 with a zone
      | [\w.-]{0,63}[-_]\d{1,4}\s{1,32}\|\ ?                                   # docker compose: name-1  |
      | (?P<glog>[IWEF])\d{4}\ \d\d:\d\d:\d\d\.\d{1,9}\s{1,16}\d{1,10}\ [\w.-]{1,128}:\d{1,7}\]\ ?  # glog
      | [A-Z][a-z]{2}\ [\ \d]\d\ \d\d:\d\d:\d\d\ [\w.-]{1,64}\ [\w./-]{1,64}(?:\[\d{1,10}\])?:\ ?  # syslog
    )
    """,
    re.VERBOSE,
)

#: glog's severity letter, for lines whose TensorRT prefix carries none (Triton's TensorRT backend).
GLOG_SEVERITY = {"I": "I", "W": "W", "E": "E", "F": "F"}


def strip_outer(text: str) -> tuple[str, str]:
    """(the line without colour codes and one outer prefix, the outer prefix's severity letter or "")."""
    if "\x1b" in text:
        text = _ANSI.sub("", text)
    head = text[:1]
    if not head or head == "[" or head == " ":
        return text, ""  # the common case: a TensorRT prefix or an indented continuation
    m = _OUTER.match(text)
    if m is None:
        return text, ""
    glog = m.group("glog")
    return text[m.end():], GLOG_SEVERITY.get(glog, "") if glog else ""
