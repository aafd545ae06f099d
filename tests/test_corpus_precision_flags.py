"""Every real log the corpus ground truth marks ``int8_without_fp16`` gets the ``int8-without-fp16`` finding,
whatever wrote it (trtexec, Polygraphy, the samples, whose source fixes their flags), and the samples'
own dynamic ranges are not called "no calibration"."""

from __future__ import annotations

from pathlib import Path

from trtdiag.analysis import analyze

from .conftest import artifact, manifest


def test_every_int8_without_fp16_log_is_found(corpus_logs: Path) -> None:
    logs = [a["file"] for a in manifest(corpus_logs)
            if "int8_without_fp16" in a.get("features", []) and a["file"].endswith(".log")
            and (corpus_logs / a["file"]).exists()]
    assert len(logs) >= 5
    missed = [f for f in logs if "int8-without-fp16" not in {x.id for x in analyze(corpus_logs / f).findings}]
    assert not missed


def test_application_dynamic_ranges_are_not_no_calibration(corpus_logs: Path) -> None:
    """sampleINT8API sets every range itself: 'Calibrator is not being used' with no missing scale after it."""
    ids = {f.id for f in analyze(artifact(corpus_logs, "082")).findings}
    assert "no-calibration" not in ids and "int8-without-fp16" in ids
