"""Calibration: the run (start, batches, completion), calibration caches read and written, the
calibrator class, and the notices that say calibration was skipped or failed.

A message is matched against the steps in order and the first that recognises it wins; the order
matters where wordings overlap (e.g. a cache path that contains "Calibration").
"""

from __future__ import annotations

import re

from trtdiag.io.prefix import Line
from trtdiag.io.versions import CACHE_HEADER_RE
from trtdiag.log.facts import CalibrationSummary, Event
from trtdiag.log.handlers.trt11 import trt11_kind
from trtdiag.log.state import ConfigBoard, FactsDraft, LogState, add_event

CALIB_START_RE = re.compile(r"^Starting Calibration(?: with batch size (?P<bs>\d+))?\.?")
CALIB_BATCH_RE = re.compile(r"^Calibrated batch (?P<n>\d+) in (?P<s>[\d.eE+-]+) seconds")
CALIB_POST_RE = re.compile(r"^Post Processing Calibration data in (?P<s>[\d.eE+-]+) seconds")
CALIB_DONE_RE = re.compile(r"^Calibration completed in (?P<s>[\d.eE+-]+) seconds")
CALIB_WRITE_RE = re.compile(r"Writing Calibration Cache for calibrator: (?P<c>\S+)")
CALIB_READ_RE = re.compile(r"Reading Calibration Cache for calibrator: (?P<c>\S+)")
CALIB_LOADING_RE = re.compile(r"(?:Loading|Reading) calibration cache (?:from )?(?P<f>\S+)", re.IGNORECASE)
CALIB_SAVING_RE = re.compile(r"(?:Saving|Writing) calibration cache to (?P<f>\S+)", re.IGNORECASE)
CALIB_GENERATED = "Generated calibration scales using calibration cache"
#: Notices recorded as events only, by phrase.
CALIB_NOTICES: tuple[tuple[str, str], ...] = (
    ("Calibrator is not being used", "calibrator-not-used"),
    ("Calibrator won't be used in explicit precision mode", "explicit-precision"),
    ("Calibration Profile is not defined", "profile-not-defined"),
    ("Calibration failure occurred", "calibration-failure"),
)
CALIB_USING_PROFILE_RE = re.compile(r"^Using calibration profile:\s*(?P<p>.*)$")
CALIBRATION_OPT_RE = re.compile(r"^Calibration:\s*(?P<v>.*)$")
POLY_CALIBRATOR_RE = re.compile(r"^Calibrator\s*\|\s*(?P<v>.+)$")
BASECLASS_RE = re.compile(r"BaseClass=<class '(?:tensorrt\.)*(?P<c>\w+)'>")
POLY_CACHE_RE = re.compile(r"cache='(?P<c>[^']*)'")
CALIB_CLASS_RE = re.compile(
    r"\b(?P<c>IInt8(?:EntropyCalibrator2|EntropyCalibrator|MinMaxCalibrator|LegacyCalibrator))\b"
)
#: A traceback or source line naming the class (``trt.IInt8…``, ``class X(…)``) does not mean it was used.
NOT_A_USE_RE = re.compile(r"\b(?:trt|tensorrt)\.IInt8|^class |Error\b|not available")


def _algorithm_from(config: ConfigBoard, text: str, n: int) -> None:
    m = CACHE_HEADER_RE.search(text)
    config.set("calibration_algorithm", m.group("algo") if m else text, n)


class CalibrationHandler:
    keywords = (b"alibrat", b"IInt8")

    def __init__(self) -> None:
        self._events: list[Event] = []
        self._start: int | None = None
        self._batch_size: int | None = None
        self._batches = 0
        self._seconds = 0.0
        self._done: tuple[float, int] | None = None
        self._first_batch: int | None = None

    def feed(self, line: Line, state: LogState) -> bool:
        msg = line.message
        if "alibrat" in msg or "IInt8" in msg:
            stripped = msg.strip()
            for step in (self._run, self._cache, self._notice, self._option, self._cache_file, self._class_mention):
                if step(stripped, line, state.config):
                    break
        return False

    def _run(self, stripped: str, line: Line, config: ConfigBoard) -> bool:
        m = CALIB_BATCH_RE.match(stripped)
        if m:
            if self._first_batch is None:
                self._first_batch = line.number
            self._batches += 1
            self._seconds += float(m.group("s"))
            return True
        m = CALIB_START_RE.match(stripped)
        if m:
            if self._start is None:
                self._start = line.number
                self._batch_size = int(m.group("bs")) if m.group("bs") else None
            config.set("int8", True, line.number)
            return True
        if CALIB_POST_RE.match(stripped):
            return True
        m = CALIB_DONE_RE.match(stripped)
        if m:
            self._done = (float(m.group("s")), line.number)
            return True
        return False

    def _cache(self, stripped: str, line: Line, config: ConfigBoard) -> bool:
        n = line.number
        for rx, kind, key in ((CALIB_WRITE_RE, "cache-written", "calibration_cache_written"),
                              (CALIB_READ_RE, "cache-read", "calibration_cache_read")):
            m = rx.search(stripped)
            if m:
                add_event(self._events, kind, line)
                config.set(key, m.group("c"), n)
                _algorithm_from(config, m.group("c"), n)
                return True
        if CALIB_GENERATED in stripped:
            add_event(self._events, "scales-from-cache", line)
            config.set("calibration_cache_read", config.get("calibration_cache_read") or "(cache)", n)
            return True
        return False

    def _notice(self, stripped: str, line: Line, _config: ConfigBoard) -> bool:
        for phrase, kind in CALIB_NOTICES:
            if phrase in stripped:
                add_event(self._events, kind, line)
                return True
        return False

    def _option(self, stripped: str, line: Line, config: ConfigBoard) -> bool:
        n = line.number
        if CALIB_USING_PROFILE_RE.match(stripped):
            add_event(self._events, "calibration-profile", line)
            return True
        m = CALIBRATION_OPT_RE.match(stripped)
        if m:
            value = m.group("v").strip()
            if value == "Dynamic":
                config.set("calibration_dynamic", True, n)
                add_event(self._events, "calibration-dynamic", line)
            elif value:
                config.set("calibration_cache_read", value, n)
            return True
        m = POLY_CALIBRATOR_RE.match(stripped)
        if m:
            value = m.group("v")
            cls = BASECLASS_RE.search(value)
            config.set("calibrator", cls.group("c") if cls else value, n)
            cache = POLY_CACHE_RE.search(value)
            if cache and cache.group("c"):
                config.set("calibration_cache_file", cache.group("c"), n)
            return True
        return False

    def _cache_file(self, stripped: str, line: Line, config: ConfigBoard) -> bool:
        for rx, kind, key in ((CALIB_LOADING_RE, "cache-read", "calibration_cache_read"),
                              (CALIB_SAVING_RE, "cache-written", "calibration_cache_written")):
            m = rx.search(stripped)
            if m:
                add_event(self._events, kind, line)
                config.set(key, m.group("f"), line.number, overwrite=True)
                return True
        return False

    def _class_mention(self, stripped: str, line: Line, config: ConfigBoard) -> bool:
        m = CALIB_CLASS_RE.search(stripped)
        if m and not NOT_A_USE_RE.search(stripped) and trt11_kind(stripped) is None:
            config.set("calibrator", m.group("c"), line.number)
            return True
        return False

    def contribute(self, draft: FactsDraft) -> None:
        draft.calibration = CalibrationSummary(
            # An excerpt may keep the "Calibrated batch" lines without "Starting Calibration": it still calibrated.
            started_line=self._start if self._start is not None else self._first_batch,
            batch_size=self._batch_size,
            batches=self._batches,
            batch_seconds=round(self._seconds, 6),
            completed_seconds=self._done[0] if self._done else None,
            completed_line=self._done[1] if self._done else None,
            events=tuple(self._events),
        )
