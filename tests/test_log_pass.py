"""analyze's pass (trtdiag/log_pass.py): on a plain file of several builds the engine artifacts are those of the
analysed build, read again from its offsets, and equal to reading that build alone."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from trtdiag.analysis import analyze
from trtdiag.engine.artifacts import Role
from trtdiag.engine.formats.section import read_newest_section
from trtdiag.engine.layers import LOG_GRAMMARS
from trtdiag.log_pass import read_log_pass

ROOT = Path(__file__).resolve().parent.parent
BUILDS = [ROOT / "fixtures" / "engines" / name / "build.log" for name in ("fp16", "int8_implicit", "int8_qdq")]


def _joined(tmp_path: Path, tail: str = "") -> tuple[Path, list[int]]:
    """The three builds one after the other, and the first line of each."""
    texts = [p.read_text().rstrip("\n") + "\n" for p in BUILDS]
    firsts, line = [], 1
    for t in texts:
        firsts.append(line)
        line += t.count("\n")
    path = tmp_path / "three.log"
    path.write_text("".join(texts) + tail)
    return path, firsts


def _layers(scanned):
    found = scanned.found().get(Role.LAYERS)
    return [(layer.name, layer.line) for layer in found.layers] if found is not None else None


@pytest.mark.parametrize("process", ["0", "1"])
def test_each_build_gets_its_own_listing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, process: str) -> None:
    monkeypatch.setenv("TRTDIAG_SCAN_PROCESS", process)  # offsets from the search process's map, or the reader's
    path, firsts = _joined(tmp_path)
    for k in (None, 1, 2, 3):
        facts, scanned = read_log_pass(path, build=k)
        index = k or 3
        assert facts.build_index == index and len(facts.builds) == 3
        alone, _ = read_newest_section(BUILDS[index - 1], LOG_GRAMMARS)
        assert alone is not None
        shift = firsts[index - 1] - 1
        assert _layers(scanned) == [(layer.name, layer.line + shift) for layer in alone.layers]
        notes = " ".join(scanned.notes)
        assert "3 engine layer listings found" in notes
        assert ("the last one" in notes) == (index == 3) and (f"build {index}" in notes) == (index != 3)


def test_a_tail_without_a_build_folds_back_and_a_gzip_log_is_one_pass(tmp_path: Path) -> None:
    path, _ = _joined(tmp_path, tail="&&&& RUNNING TensorRT.trtexec [TensorRT v100300] # trtexec --loadEngine=x\n"
                                     "[I] Average on 10 runs - GPU latency: 1.2 ms\n")
    facts, scanned = read_log_pass(path)
    assert len(facts.builds) == 3 and facts.builds[-1].last_line == facts.read.lines  # the tail folded back
    alone, _ = read_newest_section(BUILDS[2], LOG_GRAMMARS)
    assert alone is not None and [n for n, _ in _layers(scanned)] == [layer.name for layer in alone.layers]
    gz = tmp_path / "three.log.gz"
    gz.write_bytes(gzip.compress(path.read_bytes()))
    gz_facts, gz_scanned = read_log_pass(gz)
    assert _layers(gz_scanned) == _layers(scanned) and gz_facts.builds == facts.builds


def test_analyze_of_a_multi_build_log_uses_the_analysed_build(tmp_path: Path) -> None:
    path, _ = _joined(tmp_path)
    for k, source in ((1, BUILDS[0]), (None, BUILDS[2])):
        doc = analyze(path, build=k).to_dict(timestamp=False)
        alone = analyze(source).to_dict(timestamp=False)["engine_layers"]
        layers = doc["engine_layers"]
        assert (layers["layers"], layers["by_precision"]) == (alone["layers"], alone["by_precision"])
        assert any("3 engine layer listings found" in n for n in layers["notes"])


def test_offsets_lost_to_a_cut_line_mean_reading_the_whole_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from trtdiag.io import scan as scan_module

    monkeypatch.setattr("trtdiag.io.chunks.MAX_LINE_BYTES", 3000)
    monkeypatch.setitem(scan_module.scan.__kwdefaults__, "chunk_bytes", 4096)  # the line does not fit in a read
    texts = [p.read_text().rstrip("\n") + "\n" for p in BUILDS]
    texts[1] += "[I] " + "x" * 9000 + "\n"  # cut at the cap: the offsets after it are unknown
    path = tmp_path / "cut.log"
    path.write_text("".join(texts))
    facts, scanned = read_log_pass(path)
    alone, _ = read_newest_section(BUILDS[2], LOG_GRAMMARS)
    assert facts.build_index == 3 and facts.read.long_lines == 1 and alone is not None
    assert [n for n, _ in _layers(scanned)] == [layer.name for layer in alone.layers]
