"""From log lines to :class:`~trtdiag.log.facts.LogFacts`: dispatch to the message-family handlers
(:mod:`trtdiag.log.handlers`) and assembly of their results.

:func:`read_log` is the entry point: one pass over the file (:func:`trtdiag.io.scan.scan`) feeds
the :class:`LogCollector` and any extra consumers (e.g. the engine layer-listing parser) at once.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Callable, Sequence
from dataclasses import fields, replace

from trtdiag.errors import InputError, TruncatedInputError
from trtdiag.io.dispatch import ScanControl
from trtdiag.io.prefix import Line, split_prefix
from trtdiag.io.scan import LineConsumer, ReadStats, scan
from trtdiag.io.sniff import TextSignals, text_signals
from trtdiag.log.deferred import HeldLines, deferrable, replay
from trtdiag.log.facts import BuildConfig, BuildSegment, LogFacts
from trtdiag.log.handlers import HANDLERS
from trtdiag.log.handlers.int8_evidence import QDQ_KINDS, Int8EvidenceHandler
from trtdiag.log.handlers.missing_scale import MissingScaleHandler
from trtdiag.log.handlers.producer import MAX_PRODUCERS, ProducerHandler, vote_on_sample
from trtdiag.log.routing import ALL_ROUTES, BLOCK_BIT, SEGMENT_BIT, Router, plain_missing_scale
from trtdiag.log.segments import KEYWORDS as SEGMENT_KEYWORDS
from trtdiag.log.segments import BuildSplitter, Marker, marker_of
from trtdiag.log.state import ConfigBoard, FactsDraft, Handler, LogState, ProducerVotes

#: Stand-in read statistics of a build that is not the last: the file's are known only at its end.
_NO_STATS = ReadStats(path="", size_bytes=0, compressed=False, lines=0, candidate_lines=0, crlf=False,
                      undecodable_lines=0, ends_with_newline=True, truncated_stream=False, scanner="")

#: Messages are matched on their first MESSAGE_CAP characters: a TensorRT message is never
#: megabytes long, and the cap bounds the work of every handler pattern on an adversarial line.
MESSAGE_CAP = 16384


class LogCollector:
    """A :class:`~trtdiag.io.scan.LineConsumer` that accumulates :class:`LogFacts`, build by build.

    Kept as an explicit state machine (not a parse of the whole file) so the reader can stream.
    Its ``keywords`` are the union of the handlers' keywords and the build start markers
    (:mod:`trtdiag.log.segments`). At a start marker that opens a new build, the current build's
    facts are finished and a fresh set of handlers starts; only the summary of a finished build is
    kept (and its facts while it is the chosen one or the last), so memory does not grow with the
    number of builds. ``build`` (1-based) picks the build whose facts :meth:`result` returns; the
    default is the last one.
    """

    def __init__(self, handlers: Sequence[Callable[[], Handler]] = HANDLERS, *, build: int | None = None,
                 control: ScanControl | None = None, gate_others: bool = False) -> None:
        self._factories = tuple(handlers)
        self._wanted = build
        # The pass's control (trtdiag/io/dispatch.py): where each build begins in the file and, with gate_others,
        # the other consumers stopped once a second build begins (trtdiag/log_pass.py reads the analysed build's
        # part again for them).
        self._control = control
        self._gate_others = gate_others
        self.build_starts: list[tuple[int, int]] = [(1, 0)]  # (first line, file offset; -1: unknown)
        self.gated = False  # the other consumers were stopped after the first build
        self.listing_markers = 0  # "Engine Layer Information" lines
        self._head_votes: ProducerVotes | None = None  # the votes of the file's head, cast once per file
        self._splitter = BuildSplitter()
        self._segments: list[BuildSegment] = []
        self._kept: LogFacts | None = None  # the wanted build, once finished
        self._previous: LogFacts | None = None  # the last finished build (an empty tail folds back into it)
        self._previous_open: tuple[tuple[Handler, ...], LogState, HeldLines] | None = None  # its held lines
        self._first_line = 1
        self._last_number = 0
        self.signals = TextSignals()  # is it a TensorRT log at all (trtdiag/io/sniff.py)
        self._prefixed = 0  # keyword lines with a TensorRT-style severity prefix
        self.long_messages = 0  # lines matched on their first MESSAGE_CAP characters only
        self._start()
        self.keywords: tuple[bytes, ...] = tuple(dict.fromkeys(
            [*SEGMENT_KEYWORDS, *(k for h in self._handlers for k in h.keywords)]))
        self._router = Router(self._handlers)
        self.routes = self._router.routes  # read by the scanner: see trtdiag.io.scan.RoutedConsumer
        # The plain missing-scale fast path stands for the producer vote, the INT8 evidence and the missing-scale
        # handlers: only when the registry holds them and no other handler looks at every line.
        self._fast_route = self._router.bit(Int8EvidenceHandler) | self._router.bit(MissingScaleHandler)
        # Lines of deferrable handlers only (trtdiag/log/deferred.py) are held back on the same condition.
        self._hold_mask = sum(self._router.bit(type(h)) for h in self._handlers if deferrable(h))
        if self._router.always() != self._router.bit(ProducerHandler) or self._fast_route.bit_count() != 2:
            self._fast_route = -1
        if self._router.always() != self._router.bit(ProducerHandler):
            self._hold_mask = 0
        self._producer = next((i for i, h in enumerate(self._handlers) if isinstance(h, ProducerHandler)), -1)
        # read by the scanner: see trtdiag.io.scan.FastConsumer
        self.fast_mask = (self._fast_route if self._fast_route > 0 else 0) | self._hold_mask

    def _start(self) -> None:
        self._handlers = tuple(make() for make in self._factories)
        self._missing = next((h for h in self._handlers if isinstance(h, MissingScaleHandler)), None)
        self._evidence = next((h for h in self._handlers if isinstance(h, Int8EvidenceHandler)), None)
        self._fast_ready = False  # see feed_fast
        self._fast_votes = 0  # producer votes of the fast path not yet cast
        self._fast_add: Callable[[str, int, str], None] = _not_ready
        self._held = HeldLines()
        self.state = LogState()
        if self._head_votes is not None:
            self.state.votes.add(self._head_votes)
        self._splitter.reset()

    def feed(self, number: int, text: str) -> bool:
        """A line without routing information: offered to every handler."""
        return self.feed_routed(number, text, ALL_ROUTES)

    def feed_routed(self, number: int, text: str, route: int) -> bool:
        """A line and the route bits of the strings it holds (:mod:`trtdiag.log.routing`)."""
        if route == self._fast_route and self._feed_missing(number, text):
            return False
        if route & self._hold_mask and self._held.lines:
            self._replay()  # a deferrable handler gets its lines in log order, held ones first
        self._held.last_fed = False
        if len(text) > MESSAGE_CAP:
            self.long_messages += 1
            text = text[:MESSAGE_CAP]
        line = split_prefix(number, text)
        if line.severity:
            self._prefixed += 1
        if route & SEGMENT_BIT:
            self._marker(line)
        self._last_number = number
        state = self.state
        state.incomplete = None
        state.other_producer_markers = bool(route & BLOCK_BIT)
        handlers = self._handlers
        for i in self._router.targets(route):
            if handlers[i].feed(line, state):
                break
        return False  # a log message is one line: never inside a section

    def feed_fast(self, number: int, text: str, route: int) -> bool:
        """A line whose route bits are all in ``fast_mask``: a plain missing-scale warning, or a line of the
        deferrable handlers only, held back (trtdiag/log/deferred.py). False: feed it the usual way."""
        if route == self._fast_route:
            return self._feed_missing(number, text)
        if route & self._hold_mask != route or len(text) > MESSAGE_CAP or not self._held.hold(number, text, route):
            return False
        self._prefixed += 1
        self._last_number = number
        self.state.incomplete = None
        if self._held.full():
            self._replay()
        return True

    def _replay(self) -> None:
        replay(self._held, self._handlers, self.state, self._router.targets, self._producer)

    def _feed_missing(self, number: int, text: str) -> bool:
        """A line of ``fast_route`` (only missing-scale strings on it), taken if it is a plain trtexec warning
        (:func:`trtdiag.log.routing.plain_missing_scale`): what split_prefix and the producer, INT8-evidence and
        missing-scale handlers would do. The build's first warning goes the general way (the evidence records
        it); long lines, CRLF and bad bytes too (the general path counts them)."""
        if not self._fast_ready:
            evidence, missing = self._evidence, self._missing
            if evidence is None or missing is None or not evidence.has("missing-scale"):
                return False
            self._fast_ready = True
            self._fast_add = missing.add
        if len(text) > MESSAGE_CAP or text[-1:] == "\r" or "\ufffd" in text:
            return False
        tensor = plain_missing_scale(text)
        if tensor is None:
            return False
        self._held.last_fed = False
        self._prefixed += 1
        self._last_number = number
        state = self.state
        state.incomplete = None
        self._fast_votes += 1  # cast in _flush_votes, before anything reads the votes
        self._fast_add(tensor, number, "scale-and-zero-point")
        return True

    def _flush_votes(self) -> None:
        """Cast the fast path's "trtexec" votes. Counts add up, so casting them late changes nothing; the
        MAX_PRODUCERS check holds for each as it would have (there are far fewer producer names than that)."""
        held = self._held
        counts = (("trtexec", self._fast_votes + held.trtexec_votes), ("python-api", held.python_api_votes))
        for producer, count in counts:
            if count and len(self.state.votes) < MAX_PRODUCERS:
                self.state.votes.vote(producer, count)
        self._fast_votes = held.trtexec_votes = held.python_api_votes = 0

    def _marker(self, line: Line) -> None:
        """A build start marker may close the current build and open a new one (:mod:`trtdiag.log.segments`)."""
        number = line.number
        marker = marker_of(line.message)
        if marker is not None:
            self.listing_markers += marker is Marker.LAYERS
            if self._splitter.opens_build(marker, lambda: _has_content(self._draft())):
                self._finish(number - 1)
                self._first_line = number
                previous = self.state
                self._start()
                _carry_over(previous, self.state, marker)
                self._opened(number)
            self._splitter.saw(marker)
            if marker is Marker.SAMPLE_RUN:  # "INT8 run:..." states the precision of sampleINT8's engine
                precision = line.message.split(" ", 1)[0]
                self.state.config.set("precision", precision, number)
                if precision in ("INT8", "FP16"):  # one flag per run (samples/sampleINT8: INT8 without FP16)
                    self.state.config.set(precision.lower(), True, number)
                    self.state.config.set("fp16" if precision == "INT8" else "int8", False, number)
                else:  # an FP32 run: neither
                    self.state.config.set("int8", False, number)
                    self.state.config.set("fp16", False, number)

    def _opened(self, number: int) -> None:
        """A build began at line ``number``: note where it begins in the file, and gate the other consumers."""
        control = self._control
        if control is None:
            return
        self.build_starts.append((number, control.offset))
        if self._gate_others and len(self._segments) == 1 and control.offset >= 0:
            control.disabled = ~1  # every consumer of the pass but this one
            self.gated = True

    def vote_on_sample(self, sample: str) -> None:
        """Producer votes and the is-it-a-log signals from the head of the file (see
        :mod:`trtdiag.log.handlers.producer` and :mod:`trtdiag.io.sniff`)."""
        self._head_votes = ProducerVotes()
        vote_on_sample(sample, self._head_votes)
        self.state.votes.add(self._head_votes)
        self.signals = text_signals(sample.encode("utf-8", errors="replace"))

    def _draft(self, *, replay_held: bool = True) -> FactsDraft:
        if replay_held:
            self._replay()
        draft = FactsDraft()
        for handler in self._handlers:
            handler.contribute(draft)
        return draft

    def _finish(self, last_line: int) -> None:
        """Close the current build: its summary row, and its facts if they may be returned."""
        self._flush_votes()
        index = len(self._segments) + 1
        # Its held lines are replayed only if its facts may be returned: when it is the wanted build, or (see
        # result) when what follows it turns out to hold no build of its own.
        draft = self._draft(replay_held=index == self._wanted)
        facts = _facts(self.state, draft, _NO_STATS)
        self._segments.append(segment_of(facts, index, self._first_line, max(last_line, self._first_line)))
        if index == self._wanted:
            self._kept = facts
        self._previous = facts
        self._previous_open = (self._handlers, self.state, self._held) if self._held.lines else None

    def result(self, stats: ReadStats) -> LogFacts:
        self._flush_votes()
        draft = self._draft()
        truncated = stats.truncated_stream or (not stats.ends_with_newline and self.state.incomplete is not None)
        reason = None
        if stats.truncated_stream:
            reason = "the gzip stream ends early"
        elif truncated:
            reason = f"the log ends in the middle of a message at line {self.state.incomplete}"
        last = max(stats.lines, self._last_number, self._first_line)
        if self._previous is not None and not _has_content(draft):
            # An inference tail or trailing text after the last build: part of that build, not one of its own.
            tail = self._segments[-1]
            self._segments[-1] = replace(tail, last_line=last)
            current = self._completed_previous()
        else:
            current = _facts(self.state, draft, stats)
            self._segments.append(segment_of(current, len(self._segments) + 1, self._first_line, last))
        segments = tuple(self._segments)
        chosen = self._wanted or len(segments)
        if not 1 <= chosen <= len(segments):
            raise InputError(f"{stats.path}: the log holds {len(segments)} build(s); there is no build {chosen}")
        facts = current if chosen == len(segments) else self._kept
        assert facts is not None
        signals = replace(self.signals, tensorrt_lines=self.signals.tensorrt_lines + self._prefixed)
        return replace(facts, read=stats, truncated=truncated, truncation_reason=reason, builds=segments,
                       build_index=chosen, signals=signals,
                       long_messages=self.long_messages)


    def _completed_previous(self) -> LogFacts:
        """The facts of the last finished build, its held lines replayed (they were not when it finished)."""
        assert self._previous is not None
        if self._previous_open is None:
            return self._previous
        handlers, state, held = self._previous_open
        replay(held, handlers, state, self._router.targets, self._producer)
        draft = FactsDraft()
        for handler in handlers:
            handler.contribute(draft)
        return _facts(state, draft, _NO_STATS)


def _not_ready(_tensor: str, _line: int, _wording: str) -> None:
    """Stands for the missing-scale handler's ``add`` until the fast path is ready (never called)."""
    raise AssertionError("the missing-scale fast path was used before it was ready")


def _carry_over(previous: LogState, state: LogState, marker: Marker) -> None:
    """What a new build inherits: within one process (not a new ``&&&& RUNNING``) the producer; within one
    Polygraphy ``debug`` command also its configuration (every iteration builds with the same flags)."""
    if marker is Marker.RUN:
        return
    state.votes = copy.deepcopy(previous.votes)
    if marker is Marker.ITERATION:
        state.config = copy.deepcopy(previous.config)


def _has_content(draft: FactsDraft) -> bool:
    """Does a build hold anything of its own (see :mod:`trtdiag.log.segments`)?"""
    return bool(draft.missing_scale or draft.parsed_nodes or draft.registrations or draft.layer_info_lines
                or draft.no_int8_impl or draft.calibration.batches or draft.calibration.started_line
                or draft.outcome.line is not None or draft.outcome.failures
                or any(e.kind != "config" for e in draft.int8_evidence))  # a command line alone is a header


def _facts(state: LogState, draft: FactsDraft, stats: ReadStats) -> LogFacts:
    """The draft's fields as they are (one place to add a field: FactsDraft and LogFacts), plus the rest."""
    contributed = {f.name: getattr(draft, f.name) for f in fields(draft)}
    return LogFacts(read=stats, build=_build_config(state, draft), truncated=False, truncation_reason=None,
                    **contributed)


def segment_of(facts: LogFacts, index: int, first_line: int, last_line: int) -> BuildSegment:
    """The summary row of one build."""
    b = facts.build
    explicit = any(e.kind in QDQ_KINDS for e in facts.int8_evidence)
    return BuildSegment(index=index, first_line=first_line, last_line=last_line, producer=b.producer,
                        tensorrt_version=b.tensorrt_version, int8=b.int8, fp16=b.fp16,
                        quantization="explicit" if explicit else None, outcome=facts.outcome.outcome,
                        missing_scale_count=len(facts.missing_scale))


def require_tensorrt_lines(facts: LogFacts) -> None:
    """InputError when the file given as a log holds no TensorRT line at all (whitespace, a README, a
    calibration cache, a layer-information JSON...): analysing it would only say "no INT8 build".

    Decided from what the pass already gathered (prefixed lines, understood messages), at no cost.
    """
    if facts.has_tensorrt_lines:
        return
    name = facts.read.path
    if facts.truncated:
        raise InputError(f"no TensorRT log lines in {name} before it ends early ({facts.truncation_reason})")
    if facts.signals.blank:
        raise InputError(f"log file is empty (only whitespace): {name}")
    hint = facts.signals.hint or ("expected the output of trtexec, Polygraphy or a TensorRT builder "
                                  "(its [I]/[W]/[TRT] lines)")
    raise InputError(f"no TensorRT log lines in {name}: {hint}")


def _resolved_precisions(config: ConfigBoard, draft: FactsDraft, evidence: dict[str, int]) -> tuple[bool | None,
                                                                                                       bool | None]:
    """INT8/FP16 as stated, else as observed in engine layers; INT8 also from the messages that imply it.

    ``evidence`` gets the line of each inferred value (after the stated ones, as the JSON shows).
    """
    fp16, int8 = config.flag("fp16"), config.flag("int8")
    if fp16 is None and config.flag("observed_fp16"):
        fp16 = True
        evidence["fp16"] = evidence["observed_fp16"]
    if int8 is None and config.flag("observed_int8"):
        int8 = True
        evidence["int8"] = evidence["observed_int8"]
    if int8 is None:
        # Python-API logs print no flags; warnings about INT8 scales or calibration imply INT8.
        cal = draft.calibration
        hint = (draft.missing_scale[0].first_line if draft.missing_scale else None) or cal.started_line or (
            cal.events[0].line if cal.events else None
        )
        if hint is not None:
            int8 = True
            evidence["int8"] = hint
    if not int8 and draft.int8_evidence:
        # Q/DQ parser lines, Int8 formats, calibration batches...: the build ran INT8 whatever was stated.
        int8 = True
        evidence["int8"] = min(e.line for e in draft.int8_evidence)
    return int8, fp16


def _build_config(state: LogState, draft: FactsDraft) -> BuildConfig:
    config = state.config
    evidence = dict(config.evidence)
    int8, fp16 = _resolved_precisions(config, draft, evidence)
    return BuildConfig(
        tensorrt_version=config.text("tensorrt_version"),
        tensorrt_version_source=config.text("tensorrt_version_source"),
        producer=state.votes.winner(),
        int8=int8,
        fp16=fp16,
        best=bool(config.flag("best")),
        strongly_typed=bool(config.flag("strongly_typed")),
        precision=config.text("precision"),
        command=config.text("command"),
        calibrator=config.text("calibrator"),
        calibration_algorithm=config.text("calibration_algorithm"),
        calibration_cache_read=config.text("calibration_cache_read"),
        calibration_cache_written=config.text("calibration_cache_written"),
        calibration_dynamic=bool(config.flag("calibration_dynamic")),
        fp32_int8_notice=bool(config.flag("fp32_int8_notice")),
        evidence=evidence,
    )


def read_log(
    path: str | os.PathLike[str],
    *,
    scanner: str = "auto",
    on_progress: Callable[[int], None] | None = None,
    extra_consumers: Sequence[LineConsumer] = (),
    build: int | None = None,
    collector: LogCollector | None = None,
    control: ScanControl | None = None,
) -> LogFacts:
    """Read a TensorRT log (plain or gzip) and return what it says.

    ``extra_consumers`` are fed in the same single pass over the file (see
    :func:`trtdiag.io.scan.scan`); the log's facts do not depend on them. Raises
    :class:`~trtdiag.errors.InputError` for unreadable input and
    :class:`~trtdiag.errors.TruncatedInputError` (carrying the partial :class:`LogFacts`) when the
    log ends early. A log of several builds yields the facts of the last one, or of ``build``
    (1-based); ``LogFacts.builds`` lists them all. ``collector`` (made with ``control``, see
    trtdiag/log_pass.py) replaces the default one, ``build`` then being its own.
    """
    collector = collector if collector is not None else LogCollector(build=build)
    stats = scan(path, (collector, *extra_consumers), scanner=scanner, on_progress=on_progress,
                 on_head=collector.vote_on_sample, control=control)
    facts = collector.result(stats)
    if facts.truncated:
        raise TruncatedInputError(f"{path}: log is truncated: {facts.truncation_reason}", partial=facts)
    return facts
