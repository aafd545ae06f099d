"""Writing reports without ever losing a user's file.

Two guarantees every command gives (see "Limits and guarantees" in README.md):

- **No input is overwritten.** Every output path is resolved (symlinks included) and compared with
  every input and with the other outputs before anything is written; a clash is an
  :class:`~trtdiag.errors.InputError` (exit 2, one line) and nothing is touched.
- **Writes are atomic.** A report is written to a temporary file in the same folder, flushed to disk
  and moved over the target with ``os.replace``: a reader polling the report sees the old file or the
  new one, never a truncated one, and a failing run leaves the previous report as it was.

``-`` as an output path means standard output.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

from trtdiag.errors import InputError

STDOUT = "-"


def _identity(path: Path) -> tuple[str, tuple[int, int] | None]:
    """A comparable identity: the resolved path, and (device, inode) when the file exists."""
    try:
        resolved = path.expanduser().resolve()
    except (ValueError, RuntimeError) as exc:  # a NUL byte, a symlink loop
        raise InputError(f"not a usable path: {str(path)!r} ({exc})") from exc
    try:
        st = resolved.stat()
    except (OSError, ValueError):
        return str(resolved), None
    return str(resolved), (st.st_dev, st.st_ino)


def _same(a: tuple[str, tuple[int, int] | None], b: tuple[str, tuple[int, int] | None]) -> bool:
    return a[0] == b[0] or (a[1] is not None and a[1] == b[1])


def check_outputs(inputs: Iterable[str | os.PathLike[str] | None],
                  outputs: Mapping[str, str | os.PathLike[str] | None]) -> None:
    """Refuse output paths that would overwrite an input or another output.

    ``inputs`` are the files (or folders: every file directly inside counts) a command reads;
    ``outputs`` maps an option name (``-o``, ``--json``...) to the path it will write. ``None`` and
    ``-`` (stdout) are skipped.
    """
    seen_inputs: list[tuple[str, tuple[str, tuple[int, int] | None]]] = []
    for item in inputs:
        if item is None or str(item) == STDOUT:
            continue
        p = Path(item)
        files = sorted(p.iterdir()) if p.is_dir() else [p]
        seen_inputs.extend((str(f), _identity(f)) for f in files if not f.is_dir())
    taken: list[tuple[str, tuple[str, tuple[int, int] | None]]] = []
    for option, out in outputs.items():
        if out is None or str(out) == STDOUT:
            continue
        ident = _identity(Path(out))
        if Path(ident[0]).is_dir():
            raise InputError(f"{option} {out} is a directory; give a file name")
        for name, other in seen_inputs:
            if _same(ident, other):
                raise InputError(f"{option} {out} would overwrite the input {name}; choose another output path")
        for prev_option, other in taken:
            if _same(ident, other):
                raise InputError(f"{option} {out} is also the path of {prev_option}; give each output its own file")
        taken.append((option, ident))


#: Where exporters put an ONNX model's external weights next to it (``torch.onnx``, ``onnx.save``).
_EXTERNAL_DATA_NAMES = ("{name}.data", "{stem}.data", "{name}_data", "{stem}.onnx_data", "{stem}.bin")


def model_inputs(model: str | os.PathLike[str]) -> list[Path]:
    """The external-data files that exist next to an ONNX model, under the usual exporter names.

    They are inputs too: an output must never overwrite the weights of the model it reads."""
    p = Path(model)
    names = {n.format(name=p.name, stem=p.stem) for n in _EXTERNAL_DATA_NAMES}
    return [p.parent / n for n in sorted(names) if (p.parent / n).is_file()]


def write_atomic(path: str | os.PathLike[str], data: str | bytes) -> None:
    """Write ``data`` to ``path`` atomically (temp file in the same folder, fsync, ``os.replace``).

    ``-`` writes to standard output. The permissions of an existing target are kept; a new file gets
    the usual ``0o666 & ~umask``. Raises InputError (one line) when the folder is missing or not writable.
    """
    write_atomic_chunks(path, (data,))


def _encoded(piece: str | bytes) -> bytes:
    # A lone surrogate (JSON "\\ud800" read from an input) cannot be UTF-8: it is written as the
    # escape it came from, which keeps JSON valid and HTML readable.
    return piece.encode("utf-8", errors="backslashreplace") if isinstance(piece, str) else piece


def write_atomic_chunks(path: str | os.PathLike[str], chunks: Iterable[str | bytes]) -> None:
    """:func:`write_atomic` for data produced in pieces (a streamed JSON document): each piece is written
    as it comes, so the whole text never sits in memory, and the target is replaced only once the last
    piece is on disk. An exception while producing the pieces leaves the previous file untouched."""
    if str(path) == STDOUT:
        for piece in chunks:
            sys.stdout.buffer.write(_encoded(piece))
        sys.stdout.flush()
        return
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise InputError(f"cannot write {target}: {exc.strerror or exc}") from exc
    try:
        with os.fdopen(fd, "wb") as fh:
            for piece in chunks:
                fh.write(_encoded(piece))
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, _mode_for(target))
        os.replace(tmp, target)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise InputError(f"cannot write {target}: {exc.strerror or exc}") from exc
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _mode_for(target: Path) -> int:
    try:
        return target.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


#: Spreadsheet programs run a cell starting with these as a formula (OWASP "CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: object) -> object:
    """Neutralise a CSV cell that a spreadsheet would read as a formula (prefix a single quote).

    Numbers are returned unchanged, so negative figures stay numeric.
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value
