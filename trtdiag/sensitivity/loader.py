"""Polygraphy-style data-loader scripts: ``--data-loader-script s.py[:func]``.

The script is the user's own code, so it runs in this process only when the user names it on the command
line (or passes it to the library). It defines a function (``load_data`` unless named after a colon) that
returns or yields feed dicts mapping input names to arrays, one dict per batch, as Polygraphy's
``--data-loader-script`` expects. Every failure inside it (import, call, a bad item) is one
:class:`~trtdiag.errors.InputError` line naming the script.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from trtdiag.errors import InputError
from trtdiag.onnx.graph import GraphIndex

DEFAULT_FUNCTION = "load_data"
#: A loader that never stops would hang the run: batches beyond this many are not read.
MAX_BATCHES = 10_000
NUMPY_DTYPES = {"FLOAT": np.float32, "FLOAT16": np.float16, "DOUBLE": np.float64, "INT64": np.int64,
                 "INT32": np.int32, "BOOL": np.bool_, "UINT8": np.uint8, "INT8": np.int8}


def split_spec(spec: str) -> tuple[Path, str]:
    """``s.py:func`` -> (path, func); ``s.py`` -> (path, ``load_data``)."""
    m = re.fullmatch(r"(.+?):([A-Za-z_]\w*)", spec)
    if m and not Path(spec).is_file():
        return Path(m.group(1)), m.group(2)
    return Path(spec), DEFAULT_FUNCTION


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0][:200]}" if text else type(exc).__name__


def _function(path: Path, name: str) -> Any:
    if not path.is_file():
        raise InputError(f"data loader script not found: {path}")
    spec = importlib.util.spec_from_file_location(f"trtdiag_data_loader_{abs(hash(str(path)))}", path)
    if spec is None or spec.loader is None:
        raise InputError(f"data loader script {path} cannot be loaded as Python")
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(path.resolve().parent))  # the script may import its neighbours, as in Polygraphy
    try:
        spec.loader.exec_module(module)
    except BaseException as exc:  # the user's code: SystemExit and KeyboardInterrupt-free errors alike
        if isinstance(exc, KeyboardInterrupt):
            raise
        raise InputError(f"data loader script {path} failed on import: {_one_line(exc)}") from exc
    finally:
        sys.path.remove(str(path.resolve().parent))
    fn = getattr(module, name, None)
    if not callable(fn):
        raise InputError(f"data loader script {path} defines no function {name}()")
    return fn


def _feed(item: Any, g: GraphIndex, where: str) -> dict[str, np.ndarray]:
    if not isinstance(item, Mapping):
        raise InputError(f"{where} is a {type(item).__name__}, not a dict of input name -> array")
    missing = [n for n in g.inputs if n not in item]
    if missing:
        raise InputError(f"{where} lacks model input(s) {', '.join(missing)} (has: {', '.join(map(str, item))})")
    try:
        return {n: np.asarray(item[n]).astype(NUMPY_DTYPES.get(g.inputs[n][0], np.float32), copy=False)
                for n in g.inputs}
    except (TypeError, ValueError) as exc:
        raise InputError(f"{where}: an input is not an array: {_one_line(exc)}") from exc


def load_script_batches(spec: str, g: GraphIndex) -> list[dict[str, np.ndarray]]:
    """Every feed the script's function gives, cast to the model's input dtypes."""
    path, name = split_spec(spec)
    fn = _function(path, name)
    batches: list[dict[str, np.ndarray]] = []
    try:
        for i, item in enumerate(fn()):
            if i >= MAX_BATCHES:
                break
            batches.append(_feed(item, g, f"data loader script {path}: batch {i}"))
    except InputError:
        raise
    except BaseException as exc:
        if isinstance(exc, KeyboardInterrupt):
            raise
        raise InputError(f"data loader script {path}: {name}() failed: {_one_line(exc)}") from exc
    if not batches:
        raise InputError(f"data loader script {path}: {name}() gave no batch")
    return batches
