"""The committed fixtures are exactly what their generator scripts write (make_models.py needs torch and is
checked by hand: `python fixtures/make_models.py --check` in a venv with the versions in fixtures/README.md)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from .conftest import FIXTURES, ROOT


@pytest.mark.parametrize("script", ["make_logs.py", "make_caches.py", "make_engines.py"])
def test_generator_reproduces_the_committed_files(script: str) -> None:
    proc = subprocess.run([sys.executable, str(FIXTURES / script), "--check"], cwd=ROOT, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
