"""Ground truth on real public TensorRT logs (../shared/corpus; skipped where it is absent)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from trtdiag.errors import TruncatedInputError
from trtdiag.log.collector import read_log
from trtdiag.log.facts import LogFacts

from .conftest import CORPUS


def _manifest() -> list[dict]:
    path = CORPUS / "logs" / "MANIFEST.json"
    if not path.exists():
        return [{"file": "(corpus absent)"}]  # one case, skipped by the corpus_logs fixture with the others
    return [a for a in json.loads(path.read_text())["artifacts"] if a["file"].endswith(".log")]


def _read(path: Path, build: int | None = None) -> LogFacts:
    try:
        return read_log(path, build=build)
    except TruncatedInputError as exc:  # excerpts may end mid-line; their partial result is what we test
        assert isinstance(exc.partial, LogFacts)
        return exc.partial


@pytest.mark.parametrize("artifact", _manifest(), ids=lambda a: a["file"][:40])
def test_warned_tensors_and_registrations_match_manifest(corpus_logs: Path, artifact: dict) -> None:
    path = corpus_logs / artifact["file"]
    builds = [_read(path, k) for k in range(1, len(_read(path).builds) + 1)]  # the manifest counts the whole file
    assert [t for f in builds for t in f.warned_tensors] == (artifact.get("missing_scale_tensors") or [])
    assert sum(f.node_registrations for f in builds) == (artifact.get("registrations") or 0)


def test_manifest_has_logs(corpus_logs: Path) -> None:
    assert len(_manifest()) >= 30


@pytest.mark.parametrize(("stem", "version", "producer", "int8", "fp16"), [
    ("023_", "8.6.0", "trtexec", True, False),
    ("024_", "8.6.0", "trtexec", False, True),
    ("092_", "8.0.3", "trtexec", False, True),
    ("097_", "10.16.1", "trtexec", False, True),
    ("105_", None, "polygraphy", True, False),
    ("103_", None, "python-api", True, None),
    ("081_", "7.0.0", "samples", True, False),  # sampleINT8's INT8 run: INT8 only
])
def test_build_configuration_from_real_logs(corpus_logs: Path, stem: str, version: str | None, producer: str,
                                            int8: bool, fp16: bool | None) -> None:
    path = next(corpus_logs.glob(stem + "*.log"))
    b = _read(path).build
    assert (b.tensorrt_version, b.producer, b.int8, b.fp16) == (version, producer, int8, fp16)


def test_polygraphy_stale_cache_log(corpus_logs: Path) -> None:
    facts = _read(next(corpus_logs.glob("106_*.log")))
    assert facts.build.calibrator == "IInt8EntropyCalibrator2"
    assert facts.build.calibration_cache_read == "model-trained.Int8Cache"
    assert "node_argmax_output (1)" in facts.warned_tensors
