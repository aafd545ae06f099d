"""Producer: which tool wrote the log (trtexec, Polygraphy, the Python API, ONNX Runtime, DeepStream...).

Every prefixed line votes for the tool whose prefix style it has; the head of the file votes too,
because most of its lines carry no keyword. Other families add heavy votes when a line names the
tool outright (the trtexec header, Polygraphy's ``Flags`` block and command line).
"""

from __future__ import annotations

import re

from trtdiag.io.prefix import Line
from trtdiag.log.state import FactsDraft, LogState, ProducerVotes

PRODUCER_BY_PREFIX: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^\[\d\d/\d\d/\d{4}-[\d:]+\] \[TRT\] \[[VIWEF]\] "), "python-api"),
    (re.compile(r"^\[TensorRT\] (?:VERBOSE|INFO|WARNING|ERROR):"), "python-api"),
    (re.compile(r":onnxruntime:"), "ort-trt-ep"),
    (re.compile(r"^(?:WARNING|ERROR|INFO): \[TRT\]:|nvdsinfer"), "deepstream"),
    (re.compile(r"Conversion Context\]"), "torch-tensorrt"),
    (re.compile(r"^\[\d\d/\d\d/\d{4}-[\d:]+\] \[[VIWEF]\] \[TRT\] "), "trtexec"),
    (re.compile(r"^\[[VIWEF]\] \[TRT\] "), "samples"),  # the samples logger without timestamps (sampleINT8)
)
#: A TensorRT sample names itself (``sample_int8``, ``sampleINT8``, "... for INT8 sample"): it is not trtexec,
#: although its logger writes trtexec's prefixes.
SAMPLE_RE = re.compile(r"\bsample_?\w*INT8\w*|\bsample_\w+|GPU inference engine for \w+ sample", re.IGNORECASE)
SAMPLE_VOTE = 150

MAX_PRODUCERS = 50
HEAD_LINES = 2000


def vote_by_prefix(raw: str, votes: ProducerVotes) -> None:
    for pattern, producer in PRODUCER_BY_PREFIX:
        if pattern.search(raw):
            votes.vote(producer)
            break


def vote_on_sample(sample: str, votes: ProducerVotes) -> None:
    """Votes from the head of the file: its prefix style shows on lines without keywords."""
    for raw in sample.splitlines()[:HEAD_LINES]:
        vote_by_prefix(raw, votes)


#: Samples whose source fixes the precision flags whatever the log says.
INT8_ONLY_SAMPLE_RE = re.compile(r"\bsample_int8_api\b|\bsampleINT8API\b", re.IGNORECASE)


class ProducerHandler:
    keywords: tuple[bytes, ...] = (b"sample_", b"sampleINT8", b" sample")

    def __init__(self) -> None:
        self._sample = False

    def feed(self, line: Line, state: LogState) -> bool:
        if line.has_prefix and len(state.votes) < MAX_PRODUCERS:
            vote_by_prefix(line.raw, state.votes)
        if not self._sample and "ample" in line.message and SAMPLE_RE.search(line.message):
            self._sample = True
            state.votes.vote("samples", SAMPLE_VOTE)
            if INT8_ONLY_SAMPLE_RE.search(line.message):
                # sampleINT8API sets BuilderFlag::kINT8 (and GPU_FALLBACK) only, with its own dynamic ranges
                # (samples/sampleINT8API/sampleINT8API.cpp, build()): an INT8 build without FP16.
                state.config.set("int8", True, line.number)
                state.config.set("fp16", False, line.number)
        return False

    def contribute(self, draft: FactsDraft) -> None:
        """The winner goes into the build configuration (see :mod:`trtdiag.log.collector`)."""
