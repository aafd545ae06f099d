"""The environment that puts the stand-ins (fixtures/standins: trtexec, polygraphy, ModelOpt, tensorrt) first."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from .conftest import FIXTURES, ROOT

STANDINS = FIXTURES / "standins"


def standin_env(calls: Path | None = None) -> dict[str, str]:
    """os.environ with the stand-ins on PATH and PYTHONPATH (and their invocation log, when given)."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), str(STANDINS / "pythonpath")]),
               PATH=os.pathsep.join([str(STANDINS), str(Path(sys.executable).parent), "/usr/bin", "/bin"]))
    if calls is not None:
        env["TRTDIAG_STANDIN_LOG"] = str(calls)
    return env
