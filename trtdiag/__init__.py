"""trtdiag: explains failed TensorRT INT8 builds from logs, ONNX models and engine artifacts.

Works offline, never imports ``tensorrt``. Entry points: :func:`analyze` (library),
``trtdiag analyze`` (CLI). Heavy modules load on first use so ``import trtdiag`` stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = ["Analysis", "Comparison", "InputError", "TrtdiagError", "__version__", "analyze", "compare"]

if TYPE_CHECKING:
    from trtdiag.analysis import Analysis, analyze
    from trtdiag.comparison import Comparison
    from trtdiag.comparison import compare_artifacts as compare
    from trtdiag.errors import InputError, TrtdiagError

_LAZY = {
    "analyze": "trtdiag.analysis",
    "Analysis": "trtdiag.analysis",
    "Comparison": "trtdiag.comparison",
    "compare": "trtdiag.comparison",
    "InputError": "trtdiag.errors",
    "TrtdiagError": "trtdiag.errors",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'trtdiag' has no attribute {name!r}")
    import importlib

    attr = "compare_artifacts" if name == "compare" else name
    return getattr(importlib.import_module(module), attr)
