"""TensorRT log line prefixes: every documented style is stripped to (severity, message).

See ``tests/test_log_reader.py`` for the prefix styles covered.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from trtdiag.io.outer import strip_outer


class Line(NamedTuple):
    """One log line with its TensorRT prefix removed.

    A named tuple rather than a frozen dataclass: one is made per candidate line of a log of
    millions, and a tuple is several times cheaper to build."""

    number: int
    severity: str  # one of V I W E F, or "" when the line has no recognisable prefix
    message: str
    has_prefix: bool
    raw: str = ""


_SEVERITY_WORDS = {
    "VERBOSE": "V",
    "DEBUG": "V",
    "INFO": "I",
    "WARNING": "W",
    "WARN": "W",
    "ERROR": "E",
    "INTERNAL_ERROR": "E",
    "FATAL": "F",
    "KVERBOSE": "V",
    "KINFO": "I",
    "KWARNING": "W",
    "KERROR": "E",
}


_SEVERITY_LETTERS = {"V": "V", "I": "I", "W": "W", "E": "E", "F": "F", "X": "V", "D": "V", "!": "E"}


# One token of a line prefix; tokens repeat. Covers every style of
# ``tests/test_log_reader.py`` (PREFIXES):
# trtexec "[date] [W] [TRT] ", Python "[date] [TRT] [W] ", Polygraphy "[W] ", "[TensorRT] WARNING: ",
# DeepStream "WARNING: [TRT]: ", ONNX Runtime "2023-08-21 16:33:00.1 [W:onnxruntime:…] [2023-… WARNING] ",
# custom "[2022-11-08 06:01:58 WARNING] ", TRTorch "DEBUG: [TRTorch Conversion Context] - ",
# Torch-TRT "WARNING:torch_tensorrt [TensorRT Conversion Context]:", and 7.x "ModelImporter.cpp:103: ".
_PREFIX_TOKEN = re.compile(
    r"""
    (?P<ts>\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:[.,]\d+)?\s+)
  | \[(?P<br>[^\[\]]{0,120})\]:?\s*
  | (?P<word>VERBOSE|DEBUG|INFO|WARNING|WARN|ERROR|INTERNAL_ERROR|FATAL)(?::|\s*-)\s*(?:torch_tensorrt\s*)?
  | (?P<src>(?:[\w.~-]*/)*[\w.-]+\.(?:cpp|hpp|cc|cu|h):\d+:?\s+)
  | -\s+(?=\S)
    """,
    re.VERBOSE,
)


def _severity_of_bracket(content: str) -> str:
    text = content.strip()
    if text in _SEVERITY_LETTERS:
        return _SEVERITY_LETTERS[text]
    head = text.split(":", 1)[0].upper()
    if head in _SEVERITY_LETTERS:
        return _SEVERITY_LETTERS[head]
    last = text.rsplit(" ", 1)[-1].upper()
    return _SEVERITY_WORDS.get(last, "")


_QUOTE = re.compile(r"[ \t]*>(?:[ \t]*>)*[ ]?")
_FENCES = ("```", "~~~")


def unquote(text: str) -> str:
    """A line as it was before someone pasted it into a forum post or an issue.

    Markdown quoting (``> ``, ``>> ``, ``> > ``) is removed, and a code-fence line (```` ``` ````,
    ```` ```text ````, ``~~~``) reads as a blank line: logs quoted in issues are the real logs users bring,
    and without this the listing or summary they hold is not recognised at all. Lines that do not start
    with ``>`` or a fence come back unchanged (one cheap check: this runs on every candidate line).
    """
    head = text[:1]
    if head.isspace():
        head = text.lstrip()[:1]
    if head == ">":
        m = _QUOTE.match(text)
        return text[m.end():] if m is not None else text
    if head in ("`", "~") and text.lstrip().startswith(_FENCES):
        return ""
    return text


#: The two most frequent prefixes, trtexec's ``[date] [W] [TRT] `` and the Python API's ``[date] [TRT] [W] ``,
#: as the exact sequence of :data:`_PREFIX_TOKEN` matches the general loop would make (each bracket token is
#: ``\[...\]:?\s*``): one regex match instead of three token matches and bracket checks. The general loop
#: then goes on from its end, so the result is the same by construction.
_FAST_HEAD = re.compile(
    r"\[\d\d/\d\d/\d{4}-\d\d:\d\d:\d\d\]:?\s*(?:\[(?P<a>[VIWEF])\]:?\s*(?:\[TRT\]:?\s*)?"
    r"|\[TRT\]:?\s*\[(?P<b>[VIWEF])\]:?\s*)"
)


def split_prefix(number: int, text: str) -> Line:
    """Strip a TensorRT/Polygraphy/ORT/DeepStream prefix and return the message and its severity.

    Lines with no prefix (trtexec's ``Layer(...)`` lines after ``Engine Layer Information:``,
    Polygraphy's indented blocks, pasted continuations) come back unchanged with
    ``has_prefix=False``.
    """
    raw = text
    if text[:6] == "Layer(" and "\x1b" not in text:
        # trtexec's bare layer-information lines (a verbose build prints one per layer): no prefix token, outer
        # prefix or quote starts with "Layer(", so the general path below would only strip the end
        return Line(number, "", text.rstrip(), False, raw)
    if text[:1] == "[":  # neither quoted, indented nor wrapped: unquote, strip_outer and lstrip change nothing
        fast = _FAST_HEAD.match(text)
        if fast is not None:
            return _split_from(number, raw, text, fast.end(), fast.group("a") or fast.group("b"), True)
    text, outer_severity = strip_outer(unquote(text))
    stripped = text.lstrip()
    line = _split_from(number, raw, text, len(text) - len(stripped), "", False)
    if not line.severity and outer_severity:  # glog's letter when TensorRT's own prefix gives none
        return line._replace(severity=outer_severity, has_prefix=True)
    return line


def _split_from(number: int, raw: str, text: str, pos: int, severity: str, consumed: bool) -> Line:
    """The prefix tokens of ``text`` from ``pos`` on (see :func:`split_prefix`)."""
    while True:
        m = _PREFIX_TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            break
        if m.group("br") is not None:
            br = m.group("br")
            # A bracket group is a prefix only if it looks like one (severity, logger, time, source).
            if not _is_prefix_bracket(br):
                break
            severity = severity or _severity_of_bracket(br)
        elif m.group("word") is not None:
            severity = severity or _SEVERITY_WORDS.get(m.group("word").upper(), "")
        elif m.group("ts") is None and m.group("src") is None and not consumed:
            break  # a lone "- " is only a separator after another prefix token
        consumed = True
        pos = m.end()
    return Line(number, severity, text[pos:].rstrip(), consumed, raw)


_PREFIX_BRACKET = re.compile(
    r"""^(?:
        [VIWEFXD!]                                  # [W]
      | TRT | TensorRT | trt | TensorRT-LLM          # [TRT]
      | \d\d/\d\d/\d{4}-\d\d:\d\d:\d\d              # [08/09/2023-01:38:35]
      | \d{4}-\d\d-\d\d[ T][\d:.,]+(?:\s+\w+)?       # [2022-11-08 06:01:58 WARNING]
      | (?:VERBOSE|DEBUG|INFO|WARNING|WARN|ERROR|INTERNAL_ERROR|FATAL|kWARNING|kINFO|kVERBOSE|kERROR)
      | [VIWEF]:onnxruntime:.*                      # [W:onnxruntime:Default, … log]
      | .*Conversion\ Context                       # TRTorch / Torch-TRT
      | MemUsageChange | MemUsageStats | BlockAssignment | GraphReduction
    )$""",
    re.VERBOSE,
)


def _is_prefix_bracket(content: str) -> bool:
    return _PREFIX_BRACKET.match(content.strip()) is not None

