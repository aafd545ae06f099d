"""The ``trtdiag`` command and ``python -m trtdiag``: the CLI, then an exit that skips the interpreter's teardown.

Why: once the CLI has written its outputs (atomically, see trtdiag/io/outputs.py) and its summary, tearing down
a few hundred modules and the analysis objects is work nobody waits for, 0.1 s of every run and more after a
large log. Both streams are flushed, then the process ends with the CLI's exit code; the operating system frees
the rest. The CLI's ``main`` (tests run it in-process with click's runner) ends normally.
"""

from __future__ import annotations

import os
import sys
from typing import NoReturn

from trtdiag.cli import main


def run() -> NoReturn:
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = _exit_code(exc.code)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):  # a closed pipe (trtdiag ... | head): nothing more can be said
        code = code or 1
    os._exit(code)


def _exit_code(code: object) -> int:
    """What ``sys.exit(code)`` would make of ``code``."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    print(code, file=sys.stderr)
    return 1
