"""The embedded demo: a tiny XLM-R model and the log of its failed INT8-only trtexec build.

Both files are made by the project's fixture scripts (``fixtures/make_models.py`` and
``fixtures/make_logs.py``) and shipped inside the package so that the demo runs after a plain
``pip install``.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

DEMO_NAME = "xlmr-int8-only"
DEMO_LOG = "xlmr_int8_only_trtexec.log"
DEMO_MODEL = "xlmr_tiny_ts_op17.onnx"


def demo_files() -> tuple[Path, Path]:
    """Paths of the packaged demo log and model."""
    root = resources.files("trtdiag") / "data" / "demo"
    return Path(str(root / DEMO_LOG)), Path(str(root / DEMO_MODEL))
