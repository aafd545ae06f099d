"""Where one build ends and the next begins, in a log that holds several.

Real logs hold several builds: CI jobs that run trtexec twice, retry loops, ``polygraphy debug
precision`` (one engine per iteration), ``cat fp16.log int8.log``. Merging them mixes one build's
command with another's flags. The collector asks :class:`BuildSplitter` at each start marker
whether a new build begins; the answer depends on what the current build has shown so far, so one
pass suffices and only the current build's state is kept.

Start markers, and when they open a new build:

- ``&&&& RUNNING`` (trtexec, the samples): when the current build already had one, or has content;
- ``[MemUsageChange] Init CUDA`` (every builder): only in a build without a ``&&&& RUNNING`` header
  (trtexec initialises CUDA inside its run), and when the build already had one or has content;
- Polygraphy's ``RUNNING | Iteration N`` (``debug precision``/``debug build``): as ``&&&& RUNNING``;
- a second ``Engine Layer Information`` in one build (a script building several engines with one
  builder): always;
- ``sampleINT8``'s ``FP32 run:`` / ``FP16 run:`` / ``INT8 run:`` lines (one engine per precision): as
  ``&&&& RUNNING``.

"Content" means a missing-scale warning, a parser or layer line, calibration, or an outcome line: a
preamble (``pip install``, environment dumps) is never a build of its own, and an inference tail
without content is folded back into the build before it.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from trtdiag.enums import StrEnum


class Marker(StrEnum):
    RUN = "run"
    CUDA = "cuda"
    ITERATION = "iteration"
    LAYERS = "layers"
    SAMPLE_RUN = "sample-run"


KEYWORDS = (b"&&&& RUNNING", b"Init CUDA", b"| Iteration ", b"Engine Layer Information", b" run:")
SAMPLE_RUN_RE = re.compile(r"^(?:FP32|FP16|INT8|BF16|FP8) run:\s*\d+ batches")


def marker_of(message: str) -> Marker | None:
    """The start marker a log message is, if any (substring tests only: called on every candidate line)."""
    if "&&&& RUNNING" in message:
        return Marker.RUN
    if "Init CUDA" in message and "MemUsageChange" in message:
        return Marker.CUDA
    if "| Iteration " in message and "RUNNING" in message:
        return Marker.ITERATION
    if message.startswith("Engine Layer Information"):
        return Marker.LAYERS
    if " run:" in message and SAMPLE_RUN_RE.match(message):
        return Marker.SAMPLE_RUN
    return None


class BuildSplitter:
    """The markers seen in the current build, and the decision to start a new one."""

    def __init__(self) -> None:
        self._seen: set[Marker] = set()

    def opens_build(self, marker: Marker, has_content: Callable[[], bool]) -> bool:
        """Does ``marker`` start a new build, given what the current one holds? ``has_content`` is asked
        only when the answer depends on it (it drafts the build's facts: not free on a large build)."""
        seen = self._seen
        if marker is Marker.LAYERS:
            return Marker.LAYERS in seen
        if marker is Marker.CUDA:
            return Marker.RUN not in seen and (Marker.CUDA in seen or has_content())
        return marker in seen or has_content()

    def saw(self, marker: Marker) -> None:
        self._seen.add(marker)

    def reset(self) -> None:
        self._seen.clear()
