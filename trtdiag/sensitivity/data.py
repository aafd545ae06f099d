"""Input batches for calibration and evaluation: a user's ``.npz`` or synthetic inputs.

The ``.npz`` format is the one ModelOpt's ``--calibration_data_path`` takes (one array per ONNX input,
samples along axis 0), so the same file feeds both tools. Synthetic inputs are a fallback: token ids are
drawn within the vocabulary (the embedding table's row count, read from the weight-free graph) with
realistic lengths and padded attention masks, but a ranking from random tokens is indicative only.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from trtdiag.errors import InputError
from trtdiag.onnx.compute import parse_shapes
from trtdiag.onnx.graph import GraphIndex
from trtdiag.sensitivity.loader import NUMPY_DTYPES, load_script_batches

Batch = dict[str, np.ndarray]

SYNTHETIC_NOTE = ("SYNTHETIC INPUTS: no --data was given, so random token ids / values were used; the ranking is "
                  "indicative only - rerun with --data calib.npz (real samples) before trusting it.")
_DEFAULT_BATCH = 4
_DEFAULT_SEQ = 64


@dataclass(frozen=True)
class Dataset:
    """Calibration batches and held-out evaluation batches (never the same samples)."""

    calibration: tuple[Batch, ...]
    evaluation: tuple[Batch, ...]
    synthetic: bool
    source: str  # the .npz path, the data-loader script, or "synthetic"

    @property
    def shapes(self) -> dict[str, tuple[int, ...]]:
        """Shapes of the first calibration batch (for ModelOpt's ``--calibration_shapes``)."""
        return {k: tuple(int(d) for d in v.shape) for k, v in self.calibration[0].items()}


def load_npz(path: str | os.PathLike[str], g: GraphIndex, batch_size: int = _DEFAULT_BATCH) -> list[Batch]:
    """Split a ``.npz`` of named inputs into batches of ``batch_size`` samples."""
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {k: np.asarray(npz[k]) for k in npz.files}
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read {path} as a .npz of named inputs: {exc}") from exc
    missing = [n for n in g.inputs if n not in arrays]
    if missing:
        raise InputError(f"{path} has no array for model input(s) {', '.join(missing)} (has: {', '.join(arrays)})")
    arrays = {n: arrays[n].astype(NUMPY_DTYPES.get(g.inputs[n][0], arrays[n].dtype)) for n in g.inputs}
    counts = {a.shape[0] if a.ndim else 1 for a in arrays.values()}
    if len(counts) != 1 or 0 in counts:
        raise InputError(f"{path}: inputs disagree on the number of samples along axis 0 ({sorted(counts)})")
    total = counts.pop()
    return [{n: a[i:i + batch_size] for n, a in arrays.items()} for i in range(0, total, batch_size)]


def vocabulary_size(g: GraphIndex, input_name: str) -> int | None:
    """Rows of the embedding table a token-id input indexes (the first Gather whose indices it is)."""
    for c in g.consumers_of(input_name):
        if c.op_type == "Gather" and len(c.inputs) > 1 and c.inputs[1] == input_name and c.inputs[0] in g.initializers:
            dims = g.initializers[c.inputs[0]][1]
            return int(dims[0]) if dims else None
    return None


def _input_shape(g: GraphIndex, name: str, shapes: dict[str, tuple[int, ...]]) -> tuple[int, ...]:
    if name in shapes:
        return shapes[name]
    dims = g.inputs[name][1]
    out = [d if isinstance(d, int) and d > 0 else (_DEFAULT_BATCH if i == 0 else _DEFAULT_SEQ)
           for i, d in enumerate(dims)]
    return tuple(out)


def _synthetic_batch(g: GraphIndex, shapes: dict[str, tuple[int, ...]], rng: np.random.Generator) -> Batch:
    """One batch: ids within the vocabulary, masks of ones then zero padding, normal floats elsewhere."""
    batch: Batch = {}
    lengths: np.ndarray | None = None
    for name, (dtype, _) in g.inputs.items():
        shape = _input_shape(g, name, shapes)
        np_dtype = NUMPY_DTYPES.get(dtype, np.float32)
        if np.issubdtype(np_dtype, np.floating):
            batch[name] = rng.standard_normal(shape).astype(np_dtype)
            continue
        lname = name.lower()
        if len(shape) == 2 and lengths is None:
            lengths = rng.integers(max(1, shape[1] // 2), shape[1] + 1, size=shape[0])
        if "mask" in lname and len(shape) == 2 and lengths is not None:
            batch[name] = (np.arange(shape[1])[None, :] < lengths[:, None]).astype(np_dtype)
        elif "type" in lname or "segment" in lname:
            batch[name] = np.zeros(shape, dtype=np_dtype)
        else:
            vocab = vocabulary_size(g, name) or 2
            low = min(3, vocab - 1)  # skip the special tokens at the start of most vocabularies
            batch[name] = rng.integers(low, vocab, size=shape).astype(np_dtype)
    return batch


def synthetic_batches(g: GraphIndex, count: int, seed: int, shapes: str | None = None) -> list[Batch]:
    """``count`` synthetic batches, reproducible from ``seed``."""
    parsed = parse_shapes(shapes) if shapes else {}
    rng = np.random.default_rng(seed)
    return [_synthetic_batch(g, parsed, rng) for _ in range(count)]


def make_dataset(g: GraphIndex, data: str | None, eval_data: str | None, *, seed: int = 0,
                 shapes: str | None = None, calib_batches: int = 4, eval_batches: int = 2,
                 loader: str | None = None) -> Dataset:
    """Calibration and held-out batches. Without ``eval_data`` the ``.npz`` (or the batches of the
    data-loader script ``loader``) is split: the last ``eval_batches`` batches are held out (at least one
    batch stays for calibration)."""
    if data is not None and loader is not None:
        raise InputError("give --data or --data-loader-script, not both")
    if data is None and loader is None:
        calib = synthetic_batches(g, calib_batches, seed, shapes)
        held = synthetic_batches(g, eval_batches, seed + 1_000_003, shapes)
        return Dataset(tuple(calib), tuple(held), True, "synthetic")
    source = str(data if data is not None else loader)
    batches = load_npz(data, g) if data is not None else load_script_batches(str(loader), g)
    if eval_data is not None:
        return Dataset(tuple(batches), tuple(load_npz(eval_data, g)), False, source)
    if len(batches) < 2:
        raise InputError(f"{source} holds a single batch: give more samples or a separate --eval-data file")
    split = max(1, len(batches) - eval_batches)
    return Dataset(tuple(batches[:split]), tuple(batches[split:]), False, source)
