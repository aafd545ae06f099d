"""read_log reads a log once: the log facts and extra consumers (here the engine layer-listing
parser) share one pass, with the same results as separate passes."""

from __future__ import annotations

import gzip
import sys
from pathlib import Path

import pytest

from trtdiag.analysis import analyze
from trtdiag.engine.artifacts import LogScan, load_artifacts
from trtdiag.engine.formats.section import LayerSectionParser
from trtdiag.engine.layers import layer_parser, read_engine_layer_sections
from trtdiag.engine.model import EngineLayers
from trtdiag.errors import TruncatedInputError
from trtdiag.log.collector import read_log
from trtdiag.log.facts import LogFacts

from .conftest import FIXTURES

ENGINE_LOGS = sorted(FIXTURES.glob("engines/*/build.log"))


def _facts(path: Path, extra_consumers: tuple[LayerSectionParser, ...] = ()) -> LogFacts:
    try:
        return read_log(path, extra_consumers=extra_consumers)
    except TruncatedInputError as exc:
        assert isinstance(exc.partial, LogFacts)
        return exc.partial


def _one_pass(path: Path) -> tuple[LogFacts, list[EngineLayers]]:
    layers = layer_parser(str(path))
    facts = _facts(path, extra_consumers=(layers,))
    return facts, layers.finish()


def _corpus_layer_logs() -> list[Path]:
    folder = FIXTURES.parent.parent / "shared" / "corpus" / "logs"
    return sorted(p for p in folder.glob("*.log") if b"Layer" in p.read_bytes()) if folder.exists() else []


@pytest.mark.parametrize("path", ENGINE_LOGS + _corpus_layer_logs(), ids=lambda p: p.parent.name + "/" + p.name[:30])
def test_one_pass_feeds_log_facts_and_layer_parser_like_separate_passes(path: Path) -> None:
    facts, sections = _one_pass(path)
    assert facts == _facts(path)
    assert sections == read_engine_layer_sections(path)


def test_fixture_engine_logs_hold_layer_listings() -> None:
    assert ENGINE_LOGS and all(_one_pass(p)[1] for p in ENGINE_LOGS)


_OPENED: list[str] | None = None


def _audit(event: str, args: tuple[object, ...]) -> None:
    if event == "open" and _OPENED is not None and args and isinstance(args[0], (str, Path)):
        _OPENED.append(str(args[0]))


sys.addaudithook(_audit)  # hooks cannot be removed: it records only while _OPENED is a list


@pytest.mark.parametrize("gz", [False, True])
def test_read_log_opens_the_file_once_even_with_an_extra_consumer(tmp_path: Path, gz: bool) -> None:
    global _OPENED
    source = ENGINE_LOGS[-1].read_bytes()
    path = tmp_path / ("build.log.gz" if gz else "build.log")
    if gz:
        source = gzip.compress(source)
    path.write_bytes(source)
    read_log(path)  # warm up lazy imports (their files are opened too, under other names)
    for extra in ((), (layer_parser(str(path)),)):
        _OPENED = []
        try:
            read_log(path, extra_consumers=extra)
            opens = [p for p in _OPENED if Path(p) == path]
        finally:
            _OPENED = None
        assert len(opens) == 1, opens


def test_analyze_streams_the_build_log_once_when_it_is_also_the_int8_artifact(tmp_path: Path) -> None:
    """The build log serves as log and INT8 engine artifact (layer listing, profile, summary): one open."""
    global _OPENED
    engines = FIXTURES / "engines"
    log = tmp_path / "build.log"
    log.write_bytes((engines / "int8_implicit" / "build.log").read_bytes())
    fp16 = [engines / "fp16" / "layers.json", engines / "fp16" / "profile.json"]
    baseline = analyze(log, fp16=list(fp16))  # warm up lazy imports
    assert baseline.comparison is not None and baseline.comparison.int8.layers
    _OPENED = []
    try:
        result = analyze(log, fp16=list(fp16))
        opens = [p for p in _OPENED if Path(p) == log]
    finally:
        _OPENED = None
    assert len(opens) == 1, opens
    assert result.comparison is not None
    assert result.comparison.to_dict(timestamp=False) == baseline.comparison.to_dict(timestamp=False)


def test_the_log_read_as_an_artifact_in_the_scan_equals_a_separate_read() -> None:
    """LogScan (fed by read_log's pass) finds what reading the log as an artifact finds."""
    log = FIXTURES / "engines" / "int8_implicit" / "build.log"
    scanned = LogScan(log)
    read_log(log, extra_consumers=scanned.consumers)
    assert load_artifacts([log], "INT8", scanned) == load_artifacts([log], "INT8")
