"""Read saved outputs: Polygraphy ``RunResults`` JSON (``polygraphy run --save-outputs``) and ``.npz`` files.

TensorRT runners' results are plain NumPy arrays in the JSON, so a file saved on a GPU machine loads here
without TensorRT. Every check that fails (unreadable file, no runners, different iteration counts, no
common tensor names, different shapes) is one :class:`~trtdiag.errors.InputError` line, exit 2 in the CLI.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from trtdiag.errors import InputError

#: Runner-name prefixes of Polygraphy's TensorRT runners (``trt-runner-N6-...``, ``trt-legacy-runner``).
TRT_RUNNER_PREFIXES = ("trt-runner", "trt-legacy-runner", "trt_runner")


@dataclass(frozen=True)
class RunnerResults:
    """One runner's saved iterations: each maps tensor names to arrays."""

    file: str
    runner: str
    iterations: tuple[Mapping[str, np.ndarray], ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.iterations[0]) if self.iterations else ()

    @property
    def is_tensorrt(self) -> bool:
        return self.runner.startswith(TRT_RUNNER_PREFIXES)


@contextlib.contextmanager
def quiet_polygraphy() -> Iterator[None]:
    """Silence Polygraphy's logger (it prints every load and every comparison at INFO)."""
    from polygraphy.logger import G_LOGGER

    with G_LOGGER.verbosity(G_LOGGER.CRITICAL + 10):
        yield


def _check_file(path: Path) -> None:
    if not path.exists():
        raise InputError(f"outputs file not found: {path}")
    if not path.is_file() or path.stat().st_size == 0:
        raise InputError(f"outputs file is empty or not a file: {path}")


def load_results(path: str | Path) -> list[RunnerResults]:
    """Every runner in a RunResults JSON, or the one unnamed run in an ``.npz`` (named after the file)."""
    p = Path(path)
    _check_file(p)
    if p.suffix == ".npz":
        return [RunnerResults(str(p), p.stem, (_load_npz(p),))]
    from polygraphy.comparator import RunResults

    try:
        with quiet_polygraphy():
            runs = RunResults.load(str(p))
    except Exception as exc:  # Polygraphy raises PolygraphyException, json raises ValueError...
        hint = " (a --save-inputs file? pass it with --inputs)" if is_input_list(p) else ""
        raise InputError(f"{p} is not a Polygraphy RunResults file{hint}") from exc
    out = []
    for name, iterations in runs.items():
        if not isinstance(name, str) or not name:
            raise InputError(f"{p}: a runner has no name")
        if not iterations:
            raise InputError(f"{p}: runner {name} has no iterations")
        out.append(RunnerResults(str(p), name, tuple(dict(it.items()) for it in iterations)))
    if not out:
        raise InputError(f"{p}: no runners in the RunResults file")
    return out


def is_input_list(p: Path) -> bool:
    """A ``polygraphy run --save-inputs`` file (a JSON list of feeds), not outputs. Sniffs the first byte
    before parsing: outputs files (a JSON object) can be gigabytes with intermediates marked."""
    try:
        with p.open("rb") as fh:
            if not fh.read(4096).lstrip().startswith(b"["):
                return False
        with quiet_polygraphy():
            from polygraphy import json as pjson

            return isinstance(pjson.load_json(str(p)), list)
    except Exception:
        return False


def _load_npz(p: Path) -> dict[str, np.ndarray]:
    try:
        with np.load(p, allow_pickle=False) as data:
            arrays = {k: np.asarray(data[k]) for k in data.files}
    except Exception as exc:
        raise InputError(f"{p} is not a readable .npz file ({type(exc).__name__})") from exc
    if not arrays:
        raise InputError(f"{p}: the .npz file holds no arrays")
    return arrays


def load_inputs(path: str | Path) -> list[dict[str, np.ndarray]]:
    """Input feeds: a Polygraphy ``--save-inputs`` JSON (a list of feed dicts) or one ``.npz`` feed."""
    p = Path(path)
    if not p.exists():
        raise InputError(f"inputs file not found: {p}")
    if p.suffix == ".npz":
        return [_load_npz(p)]
    from polygraphy import json as pjson

    try:
        with quiet_polygraphy():
            data = pjson.load_json(str(p))
    except Exception as exc:
        raise InputError(f"{p} is not a Polygraphy inputs JSON ({type(exc).__name__})") from exc
    if isinstance(data, Mapping):
        data = [data]
    if not isinstance(data, list) or not data or not all(isinstance(d, Mapping) for d in data):
        raise InputError(f"{p}: expected a list of {{input name: array}} feeds (polygraphy run --save-inputs)")
    return [{str(k): np.asarray(v) for k, v in feed.items()} for feed in data]


def pick_reference(runs: Sequence[RunnerResults]) -> RunnerResults:
    """The reference runner of a file: the only one, else the first ONNX Runtime one, else the first."""
    for r in runs:
        if r.runner.startswith("onnxrt"):
            return r
    return runs[0]


def common_names(reference: RunnerResults, candidate: RunnerResults) -> tuple[str, ...]:
    """Check that two runs can be compared; the tensor names both hold, in the candidate's order.

    Raises InputError on different iteration counts, no common names, or different shapes."""
    where = f"{candidate.file} [{candidate.runner}]"
    if len(reference.iterations) != len(candidate.iterations):
        raise InputError(f"{where}: {len(candidate.iterations)} iterations, the reference "
                         f"[{reference.runner}] has {len(reference.iterations)}")
    names = tuple(n for n in candidate.names if n in reference.iterations[0])
    if not names:
        raise InputError(f"{where}: no tensor names in common with the reference [{reference.runner}] "
                         f"(candidate: {', '.join(candidate.names[:5])}; reference: {', '.join(reference.names[:5])})")
    for i, (ref_it, cand_it) in enumerate(zip(reference.iterations, candidate.iterations, strict=True)):
        for n in names:
            if n not in cand_it or n not in ref_it:
                raise InputError(f"{where}: iteration {i} lacks tensor {n}")
            rs, cs = np.shape(ref_it[n]), np.shape(cand_it[n])
            if rs != cs:
                raise InputError(f"{where}: tensor {n} has shape {list(cs)}, the reference {list(rs)}")
    return names
