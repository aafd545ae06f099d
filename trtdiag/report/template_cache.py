"""Compiled report templates kept between runs (jinja2's bytecode cache), so a report does not recompile them.

Why: compiling the report's twenty templates takes about 0.3 s in every run, more than reading a
100 MB build log, and it is the same work each time. jinja2 keys each cached template by its name and a
checksum of its source, so an edited template is recompiled; the directory name carries the jinja2
version. Writes are atomic (jinja2 writes a temporary file, then renames it).

Where: ``$TRTDIAG_CACHE_DIR`` when set (``off`` turns the cache off), else ``$XDG_CACHE_HOME/trtdiag``,
else ``~/.cache/trtdiag``. A directory that cannot be created or written only costs the compile time: a
cache problem never fails a report.
"""

from __future__ import annotations

import contextlib
import os
from functools import cache
from pathlib import Path

import jinja2
from jinja2.bccache import Bucket

#: Values of TRTDIAG_CACHE_DIR that turn the cache off.
OFF = frozenset({"off", "0", "no", "none", "false"})


def cache_root() -> Path | None:
    """trtdiag's cache directory (None when turned off); not created here."""
    setting = os.environ.get("TRTDIAG_CACHE_DIR")
    if setting is not None:
        if not setting.strip() or setting.strip().lower() in OFF:
            return None
        return Path(setting).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    try:
        base = Path(xdg) if xdg else Path.home() / ".cache"
    except RuntimeError:  # no home directory to be found
        return None
    return base / "trtdiag"


class _QuietCache(jinja2.FileSystemBytecodeCache):
    """jinja2's file cache, minus the exceptions: a read-only or full disk only means compiling again."""

    def load_bytecode(self, bucket: Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except Exception:  # any unreadable, cut or foreign entry (pickle raises many kinds)
            bucket.reset()  # compile as if there were none

    def dump_bytecode(self, bucket: Bucket) -> None:
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)


@cache
def template_cache() -> jinja2.BytecodeCache | None:
    """The bytecode cache of this process's jinja2 environments, or None (turned off, or no usable directory)."""
    root = cache_root()
    if root is None:
        return None
    directory = root / f"templates-jinja2-{jinja2.__version__}"
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError:
        return None
    if not os.access(directory, os.W_OK | os.X_OK):
        return None
    return _QuietCache(str(directory))
