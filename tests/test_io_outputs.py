"""Output-path safety and atomic writes (trtdiag/io/outputs.py)."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from trtdiag.errors import InputError
from trtdiag.io.outputs import check_outputs, csv_safe, write_atomic


def test_output_equal_to_input_is_refused(tmp_path: Path) -> None:
    log = tmp_path / "b.log"
    log.write_text("x")
    with pytest.raises(InputError, match="would overwrite the input"):
        check_outputs([log], {"-o": log})
    assert log.read_text() == "x"


def test_output_through_symlink_or_other_spelling_is_refused(tmp_path: Path) -> None:
    log = tmp_path / "b.log"
    log.write_text("x")
    link = tmp_path / "link.html"
    link.symlink_to(log)
    with pytest.raises(InputError):
        check_outputs([log], {"-o": link})
    with pytest.raises(InputError):
        check_outputs([log], {"--json": tmp_path / "sub" / ".." / "b.log"})


def test_file_inside_an_input_folder_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "int8"
    folder.mkdir()
    (folder / "layers.json").write_text("{}")
    with pytest.raises(InputError, match=r"layers\.json"):
        check_outputs([folder], {"--csv": folder / "layers.json"})


def test_two_outputs_on_one_path_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="also the path of -o"):
        check_outputs([], {"-o": tmp_path / "r", "--json": tmp_path / "r"})


def test_distinct_outputs_and_stdout_pass(tmp_path: Path) -> None:
    log = tmp_path / "b.log"
    log.write_text("x")
    check_outputs([log, None], {"-o": tmp_path / "r.html", "--json": "-", "--csv": None})


def test_write_atomic_replaces_whole_file_and_keeps_mode(tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    out.write_text("old")
    os.chmod(out, 0o640)
    write_atomic(out, "new content")
    assert out.read_text() == "new content"
    assert out.stat().st_mode & 0o777 == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["r.html"]  # no temp file left


def test_write_atomic_readers_never_see_a_partial_file(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    big_a, big_b = "a" * 2_000_000, "b" * 2_000_000
    write_atomic(out, big_a)
    seen: set[int] = set()
    stop = threading.Event()

    def poll() -> None:
        while not stop.is_set():
            seen.add(len(out.read_bytes()))

    t = threading.Thread(target=poll)
    t.start()
    for i in range(20):
        write_atomic(out, big_b if i % 2 else big_a)
    stop.set()
    t.join()
    assert seen == {2_000_000}


def test_write_atomic_missing_folder_is_one_line_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot write"):
        write_atomic(tmp_path / "nope" / "r.html", "x")


def test_write_atomic_stdout(capfdbinary: pytest.CaptureFixture[bytes]) -> None:
    write_atomic("-", "hello")
    assert capfdbinary.readouterr().out == b"hello"


@pytest.mark.parametrize(("cell", "expected"), [("=1+1", "'=1+1"), ("+x", "'+x"), ("-cmd", "'-cmd"),
                                                ("@SUM(A1)", "'@SUM(A1)"), ("ok", "ok"), (-3, -3), (1.5, 1.5)])
def test_csv_safe(cell: object, expected: object) -> None:
    assert csv_safe(cell) == expected
