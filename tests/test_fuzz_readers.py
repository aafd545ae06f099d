"""Property-based fuzzing of every reader: whatever the bytes, a reader returns a result or raises
a one-line InputError, never another exception (which the CLI would report as exit 3).

Hypothesis draws random bytes and near-valid text built from the readers' own markers; examples
are kept few (the whole fuzz suite stays within about a minute of CI time).
"""

from __future__ import annotations

import gzip
import math
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trtdiag.calib.cache import read_calibration_cache
from trtdiag.engine.artifacts import FORMATS, ArtifactFormat
from trtdiag.errors import InputError
from trtdiag.log.collector import read_log
from trtdiag.onnx.shapes import parse_shapes
from trtdiag.validate import check_shapes

FUZZ = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
SAMPLES = Path(__file__).parent / "engine_samples"

#: Pieces the readers look for: joined at random they make near-valid inputs that go deep.
PIECES = [
    '{"Layers": [', '{"Name": "a", "LayerType": "x", "Inputs": [', '"Format/Datatype": ', "1e999", "NaN", "-1",
    '"\\ud800"', "[", "]", "{", "}", ",", ":", '"count": 3', '"averageMs": ', '"name": "<script>x</script>"',
    "[I] [TRT] ", "Missing scale and zero-point for tensor ", ", expect fall back to non-int8", "\n",
    "Layer(CaskConvolution): conv, Tactic: 0x1, in [Float(1,3,8,8)] -> out [Half(1,8,8,8)]",
    "=== Profile (10 iterations ) ===", "TRT-100300-EntropyCalibration2", "t: 3c010a14", "9" * 400, "\x00",
    "\r\n", "Registering layer: ", " for ONNX node: ", "Parsing node: ", " [MatMul]",
]
TEXT = st.lists(st.sampled_from(PIECES), max_size=40).map("".join)
DATA = st.one_of(st.binary(max_size=2048), TEXT.map(lambda t: t.encode("utf-8", "surrogatepass")))


def _write(tmp: Path, name: str, data: bytes, gz: bool) -> Path:
    p = tmp / (name + (".gz" if gz else ""))
    p.write_bytes(gzip.compress(data) if gz else data)
    return p


def _one_line(exc: InputError) -> None:
    assert str(exc) and "\n" not in str(exc), repr(str(exc))


@pytest.mark.parametrize("fmt", FORMATS, ids=[str(f.id) for f in FORMATS])
@FUZZ
@given(data=DATA, gz=st.booleans())
def test_engine_format_readers_never_crash(tmp_path: Path, fmt: ArtifactFormat, data: bytes, gz: bool) -> None:
    path = _write(tmp_path, "artifact.json", data, gz)
    try:
        fmt.read(path)
    except InputError as exc:
        _one_line(exc)


@FUZZ
@given(data=DATA, gz=st.booleans())
def test_log_scanner_never_crashes(tmp_path: Path, data: bytes, gz: bool) -> None:
    path = _write(tmp_path, "build.log", data, gz)
    try:
        facts = read_log(path, scanner="python")
    except InputError as exc:
        _one_line(exc)
        return
    assert facts.read.lines >= 0


@FUZZ
@given(data=DATA)
def test_cache_reader_never_crashes(tmp_path: Path, data: bytes) -> None:
    path = _write(tmp_path, "calib.cache", data, False)
    try:
        cache = read_calibration_cache(path)
    except InputError as exc:
        _one_line(exc)
        return
    assert all(isinstance(e.name, str) for e in cache.entries)


SHAPE_TEXT = st.lists(st.sampled_from(["input_ids", ":", "16", "x", "128", ",", "-1", "0", "9" * 30, " ", "'"]),
                      max_size=12).map("".join)


@settings(max_examples=200, deadline=None)
@given(spec=st.one_of(SHAPE_TEXT, st.text(max_size=40)))
def test_parse_shapes_gives_positive_dims_or_one_line_error(spec: str) -> None:
    try:
        shapes = parse_shapes(spec)
    except InputError as exc:
        _one_line(exc)
        return
    assert all(dims and all(d > 0 for d in dims) for dims in shapes.values())


@settings(max_examples=100, deadline=None)
@given(value=st.one_of(st.text(max_size=8), st.lists(st.one_of(st.integers(-2, 300), st.floats(), st.text(max_size=2)),
                                                      max_size=4), st.none(), st.floats()))
def test_dict_shapes_are_checked(value: object) -> None:
    try:
        shapes = check_shapes({"input_ids": value})  # type: ignore[dict-item]
    except (TypeError, ValueError) as exc:
        assert isinstance(exc, InputError)
        return
    assert shapes is not None
    assert all(isinstance(d, int) and d > 0 and not math.isnan(d) for d in shapes["input_ids"])


def test_engine_samples_exist() -> None:
    assert any(SAMPLES.iterdir())
