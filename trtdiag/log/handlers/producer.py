"""Producer: which tool wrote the log (trtexec, Polygraphy, the Python API, ONNX Runtime, DeepStream...).

Every prefixed line votes for the tool whose prefix style it has; the head of the file votes too,
because most of its lines carry no keyword. Other families add heavy votes when a line names the
tool outright (the trtexec header, Polygraphy's ``Flags`` block and command line).
"""

from __future__ import annotations

import re

from trtdiag.io.prefix import Line
from trtdiag.log.state import FactsDraft, LogState, ProducerVotes

#: (substrings one of which the line must hold, pattern, producer): the substring tests are C-level and
#: rule most lines out before any regex runs (every prefixed candidate line is voted on).
PRODUCER_BY_PREFIX: tuple[tuple[tuple[str, ...], re.Pattern[str], str], ...] = (
    (("[TRT] [",), re.compile(r"^\[\d\d/\d\d/\d{4}-[\d:]+\] \[TRT\] \[[VIWEF]\] "), "python-api"),
    (("[TensorRT] ",), re.compile(r"^\[TensorRT\] (?:VERBOSE|INFO|WARNING|ERROR):"), "python-api"),
    ((":onnxruntime:",), re.compile(r":onnxruntime:"), "ort-trt-ep"),
    ((" [TRT]:", "nvdsinfer"), re.compile(r"^(?:WARNING|ERROR|INFO): \[TRT\]:|nvdsinfer"), "deepstream"),
    (("Conversion Context]",), re.compile(r"Conversion Context\]"), "torch-tensorrt"),
    (("] [TRT] ",), re.compile(r"^\[\d\d/\d\d/\d{4}-[\d:]+\] \[[VIWEF]\] \[TRT\] "), "trtexec"),
    (("] [TRT] ",), re.compile(r"^\[[VIWEF]\] \[TRT\] "), "samples"),  # the samples logger without timestamps
)
#: A TensorRT sample names itself (``sample_int8``, ``sampleINT8``, "... for INT8 sample"): it is not trtexec,
#: although its logger writes trtexec's prefixes.
SAMPLE_RE = re.compile(r"\bsample_?\w*INT8\w*|\bsample_\w+|GPU inference engine for \w+ sample", re.IGNORECASE)
SAMPLE_VOTE = 150

MAX_PRODUCERS = 50
HEAD_LINES = 2000


def producer_of_prefix(raw: str) -> str | None:
    """The producer whose prefix style a raw line has, if any (the first entry that matches wins)."""
    for needles, pattern, producer in PRODUCER_BY_PREFIX:
        for needle in needles:
            if needle in raw:
                if pattern.search(raw):
                    return producer
                break
    return None


#: Entries "python-api" and "trtexec" of PRODUCER_BY_PREFIX in one match: for a line that starts with a date and
#: holds no other producer's marker, no other entry can match, and these two exclude each other.
DATED_PREFIX = re.compile(r"\[\d\d/\d\d/\d{4}-[\d:]+\] (?:(?P<py>\[TRT\] \[[VIWEF]\] )|\[[VIWEF]\] \[TRT\] )")


def vote_by_prefix(raw: str, votes: ProducerVotes) -> None:
    producer = producer_of_prefix(raw)
    if producer is not None:
        votes.vote(producer)


def vote_on_sample(sample: str, votes: ProducerVotes) -> None:
    """Votes from the head of the file: its prefix style shows on lines without keywords."""
    for raw in sample.splitlines()[:HEAD_LINES]:
        vote_by_prefix(raw, votes)


#: Samples whose source fixes the precision flags whatever the log says.
INT8_ONLY_SAMPLE_RE = re.compile(r"\bsample_int8_api\b|\bsampleINT8API\b", re.IGNORECASE)


class ProducerHandler:
    keywords: tuple[bytes, ...] = (b"sample_", b"sampleINT8", b" sample")
    triggers = None  # every prefixed line votes (see trtdiag/log/routing.py)

    def __init__(self) -> None:
        self._sample = False

    def feed(self, line: Line, state: LogState) -> bool:
        if line.has_prefix and len(state.votes) < MAX_PRODUCERS:
            raw = line.raw
            if not state.other_producer_markers and raw[:1] == "[" and raw[1:2].isdigit():
                m = DATED_PREFIX.match(raw)
                if m is not None:
                    state.votes.vote("python-api" if m.group("py") is not None else "trtexec")
            else:
                vote_by_prefix(raw, state.votes)
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
