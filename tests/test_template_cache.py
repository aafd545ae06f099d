"""The compiled-template cache (trtdiag/report/template_cache.py): used, keyed by source, and never a failure."""

from __future__ import annotations

from pathlib import Path

import jinja2
import pytest

from trtdiag.report import template_cache as tc


@pytest.fixture(autouse=True)
def _fresh_cache():
    tc.template_cache.cache_clear()
    yield
    tc.template_cache.cache_clear()


def _render(cache: jinja2.BytecodeCache | None, source: str) -> str:
    env = jinja2.Environment(loader=jinja2.DictLoader({"t.j2": source}), bytecode_cache=cache)
    return env.get_template("t.j2").render(x="<b>")


def test_cache_dir_settings(monkeypatch, tmp_path):
    monkeypatch.setenv("TRTDIAG_CACHE_DIR", str(tmp_path / "c"))
    assert tc.cache_root() == tmp_path / "c"
    for off in ("off", "OFF", "0", " "):
        monkeypatch.setenv("TRTDIAG_CACHE_DIR", off)
        assert tc.cache_root() is None
    monkeypatch.delenv("TRTDIAG_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert tc.cache_root() == tmp_path / "xdg" / "trtdiag"


def test_compiled_once_then_loaded_and_recompiled_when_the_source_changes(monkeypatch, tmp_path):
    monkeypatch.setenv("TRTDIAG_CACHE_DIR", str(tmp_path))
    cache = tc.template_cache()
    assert cache is not None
    assert _render(cache, "a{{ x }}") == "a<b>"
    entries = list(tmp_path.rglob("*.cache"))
    assert len(entries) == 1
    before = entries[0].stat().st_mtime_ns
    assert _render(tc.template_cache(), "a{{ x }}") == "a<b>"  # loaded: the entry is not rewritten
    assert entries[0].stat().st_mtime_ns == before
    assert _render(cache, "b{{ x }}") == "b<b>"  # same name, new source: compiled again, not the stale code


def test_a_broken_entry_is_compiled_again(monkeypatch, tmp_path):
    monkeypatch.setenv("TRTDIAG_CACHE_DIR", str(tmp_path))
    cache = tc.template_cache()
    _render(cache, "a{{ x }}")
    (entry,) = tmp_path.rglob("*.cache")
    entry.write_bytes(entry.read_bytes()[:20])  # cut short
    assert _render(cache, "a{{ x }}") == "a<b>"


def test_a_directory_that_cannot_be_made_means_no_cache(monkeypatch, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("TRTDIAG_CACHE_DIR", str(blocker / "sub"))
    assert tc.template_cache() is None


def test_a_failing_write_never_fails_the_render(monkeypatch, tmp_path):
    monkeypatch.setenv("TRTDIAG_CACHE_DIR", str(tmp_path))
    cache = tc.template_cache()
    assert cache is not None
    directory = Path(cache.directory)  # type: ignore[attr-defined]
    for entry in directory.iterdir():
        entry.unlink()
    directory.rmdir()  # gone after the cache was set up: the write fails, the render does not
    assert _render(cache, "c{{ x }}") == "c<b>"


def test_the_report_uses_the_cache(monkeypatch, tmp_path):
    from trtdiag.report import html

    monkeypatch.setenv("TRTDIAG_CACHE_DIR", str(tmp_path))
    html.environment.cache_clear()
    try:
        assert html.environment().bytecode_cache is not None
        html.environment().get_template("report.html.j2")
        assert list(tmp_path.rglob("*.cache"))
    finally:
        html.environment.cache_clear()
