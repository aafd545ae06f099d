"""The engine artifact format registry: every registered format has a sample, sniffs it, reads it,
and turns every broken input into a one-line InputError (never another exception).

Adding a format means one module in ``trtdiag/engine/formats``, one line in
``trtdiag.engine.artifacts.FORMATS`` and one sample ``tests/engine_samples/<format id>.<ext>``;
this file then covers it without change.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from trtdiag.engine.artifacts import (
    FORMATS,
    ROLE_TYPES,
    ArtifactFormat,
    formats_of_head,
    load_artifacts,
    log_consumers,
    read_log_layer_sections,
    sniff_file,
)
from trtdiag.engine.formats import dump_profile, perf_summary
from trtdiag.engine.model import FormatId
from trtdiag.errors import InputError
from trtdiag.io.scan import scan_marked_lines

SAMPLES = Path(__file__).parent / "engine_samples"
BINARY = bytes(range(256)) * 40


def sample(fmt: ArtifactFormat) -> Path:
    found = sorted(SAMPLES.glob(f"{fmt.id}.*"))
    assert len(found) == 1, f"one sample tests/engine_samples/{fmt.id}.* expected, found {found}"
    return found[0]


def truncated(fmt: ArtifactFormat, data: bytes) -> bytes:
    """The sample cut short: JSON in the middle of its text; a log right after the first marker of
    the format (the line that would open a section is cut in the middle)."""
    if not fmt.keywords:
        return data[: len(data) // 2]
    hits = [at + len(k) for k in fmt.keywords if (at := data.find(k)) >= 0]
    assert hits, f"the {fmt.id} sample holds none of the format's markers"
    return data[: min(hits)]


def assert_one_line_error(path: Path, fmt: ArtifactFormat) -> None:
    with pytest.raises(InputError) as exc:
        fmt.read(path)
    message = str(exc.value)
    assert message and "\n" not in message, message


IDS = [str(f.id) for f in FORMATS]


def test_every_format_id_is_registered_once() -> None:
    assert sorted(IDS) == sorted(str(f) for f in FormatId)


@pytest.mark.parametrize("fmt", FORMATS, ids=IDS)
def test_sample_is_sniffed_and_read(fmt: ArtifactFormat) -> None:
    p = sample(fmt)
    matching = sniff_file(p)
    assert fmt in matching
    if not fmt.keywords:
        assert matching == (fmt,), "JSON sniffers must be mutually exclusive"
    result = fmt.read(p)
    assert isinstance(result, ROLE_TYPES[fmt.role])


@pytest.mark.parametrize("fmt", FORMATS, ids=IDS)
@pytest.mark.parametrize("broken", ["missing", "empty", "binary", "truncated", "directory"])
def test_broken_input_gives_one_line_input_error(tmp_path: Path, fmt: ArtifactFormat, broken: str) -> None:
    p = tmp_path / sample(fmt).name
    if broken == "empty":
        p.write_bytes(b"")
    elif broken == "binary":
        p.write_bytes(BINARY)
    elif broken == "truncated":
        p.write_bytes(truncated(fmt, sample(fmt).read_bytes()))
    elif broken == "directory":
        p.mkdir()
    if broken == "truncated" and not fmt.keywords:
        assert_cut_or_one_line_error(p, fmt)
        return
    assert_one_line_error(p, fmt)


def assert_cut_or_one_line_error(path: Path, fmt: ArtifactFormat) -> None:
    """JSON cut short: what is complete is read and the result says it was cut, or nothing is complete
    (one-line InputError)."""
    try:
        result = fmt.read(path)
    except InputError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    note = getattr(result, "read_note", None)
    assert note is None or "cut short" in note


@pytest.mark.parametrize("head", [b"", BINARY, b'{"$schema": "x"}', b"[{\"x\": 1}]"])
def test_nothing_claims_empty_binary_or_foreign_json(head: bytes) -> None:
    assert formats_of_head(head) == ()


def test_load_artifacts_fills_each_slot_from_the_samples() -> None:
    art = load_artifacts([SAMPLES], "FP16")
    assert art.layers is not None and art.layers.format == "json-detailed"  # JSON exports win over logs
    assert art.profile is not None and art.profile.format == "profile-json"
    assert art.times is not None and art.times.count == 10
    assert art.perf is not None and art.perf.format == "trex-metadata"
    assert art.notes == ()


def test_load_artifacts_notes_a_broken_export_and_skips_unknown_files(tmp_path: Path) -> None:
    (tmp_path / "layers.json").write_text('{"Layers": [', encoding="utf-8")
    (tmp_path / "schema.json").write_text(json.dumps({"$schema": "x"}), encoding="utf-8")
    (tmp_path / "run.log").write_bytes((SAMPLES / "dump-profile.log").read_bytes())
    art = load_artifacts([tmp_path], "INT8")
    assert art.layers is None and art.profile is not None
    assert [n.split(":")[0] for n in art.notes] == ["layers.json", "schema.json"]
    with pytest.raises(InputError):
        load_artifacts([tmp_path / "schema.json"], "INT8")


def test_log_consumers_give_what_the_readers_give(tmp_path: Path) -> None:
    """The consumers the analysis can feed from its one scan of a build log agree with the readers."""
    p = tmp_path / "build.log"
    p.write_bytes(b"".join(sample(f).read_bytes() for f in FORMATS if f.keywords))
    results = []
    for consumer in log_consumers(str(p)):
        scan_marked_lines(p, consumer.keywords, consumer.feed)
        results.append(consumer.finish())
    layers, profile, perf = results
    assert layers == read_log_layer_sections(p) and len(layers) == 4
    assert profile == dump_profile.read(p)
    assert perf[-1] == perf_summary.read(p)
