"""From log lines to :class:`~trtdiag.log.facts.LogFacts`: dispatch to the message-family handlers
(:mod:`trtdiag.log.handlers`) and assembly of their results.

:func:`read_log` is the entry point: one pass over the file (:func:`trtdiag.io.scan.scan`) feeds
the :class:`LogCollector` and any extra consumers (e.g. the engine layer-listing parser) at once.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

from trtdiag.errors import TruncatedInputError
from trtdiag.io.prefix import split_prefix
from trtdiag.io.scan import LineConsumer, ReadStats, scan
from trtdiag.log.facts import BuildConfig, LogFacts
from trtdiag.log.handlers import HANDLERS
from trtdiag.log.handlers.producer import vote_on_sample
from trtdiag.log.state import ConfigBoard, FactsDraft, Handler, LogState

#: Messages are matched on their first MESSAGE_CAP characters: a TensorRT message is never
#: megabytes long, and the cap bounds the work of every handler pattern on an adversarial line.
MESSAGE_CAP = 16384


class LogCollector:
    """A :class:`~trtdiag.io.scan.LineConsumer` that accumulates :class:`LogFacts`.

    Kept as an explicit state machine (not a parse of the whole file) so the reader can stream.
    Its ``keywords`` are the union of the handlers' keywords.
    """

    def __init__(self, handlers: Sequence[Callable[[], Handler]] = HANDLERS) -> None:
        self._handlers = tuple(make() for make in handlers)
        self.state = LogState()
        self.long_messages = 0
        self.keywords: tuple[bytes, ...] = tuple(dict.fromkeys(k for h in self._handlers for k in h.keywords))

    def feed(self, number: int, text: str) -> bool:
        if len(text) > MESSAGE_CAP:
            self.long_messages += 1
            text = text[:MESSAGE_CAP]
        line = split_prefix(number, text)
        state = self.state
        state.incomplete = None
        for handler in self._handlers:
            if handler.feed(line, state):
                break
        return False  # a log message is one line: never inside a section

    def vote_on_sample(self, sample: str) -> None:
        """Producer votes from the head of the file (see :mod:`trtdiag.log.handlers.producer`)."""
        vote_on_sample(sample, self.state.votes)

    def result(self, stats: ReadStats) -> LogFacts:
        draft = FactsDraft()
        for handler in self._handlers:
            handler.contribute(draft)
        truncated = stats.truncated_stream or (not stats.ends_with_newline and self.state.incomplete is not None)
        reason = None
        if stats.truncated_stream:
            reason = "the gzip stream ends early"
        elif truncated:
            reason = f"the log ends in the middle of a message at line {self.state.incomplete}"
        return LogFacts(
            read=stats,
            build=_build_config(self.state, draft),
            missing_scale=draft.missing_scale,
            warning_order=draft.warning_order,
            no_int8_impl=draft.no_int8_impl,
            calibration=draft.calibration,
            parsed_nodes=draft.parsed_nodes,
            registrations=draft.registrations,
            tensor_registrations=draft.tensor_registrations,
            network_inputs=draft.network_inputs,
            network_outputs=draft.network_outputs,
            trt11=draft.trt11,
            deprecations=draft.deprecations,
            plugins=draft.plugins,
            layer_info_lines=draft.layer_info_lines,
            truncated=truncated,
            truncation_reason=reason,
            long_messages=self.long_messages,
        )


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
) -> LogFacts:
    """Read a TensorRT log (plain or gzip) and return what it says.

    ``extra_consumers`` are fed in the same single pass over the file (see
    :func:`trtdiag.io.scan.scan`); the log's facts do not depend on them. Raises
    :class:`~trtdiag.errors.InputError` for unreadable input and
    :class:`~trtdiag.errors.TruncatedInputError` (carrying the partial :class:`LogFacts`) when the
    log ends early.
    """
    collector = LogCollector()
    stats = scan(path, (collector, *extra_consumers), scanner=scanner, on_progress=on_progress,
                 on_head=collector.vote_on_sample)
    facts = collector.result(stats)
    if facts.truncated:
        raise TruncatedInputError(f"{path}: log is truncated: {facts.truncation_reason}", partial=facts)
    return facts
