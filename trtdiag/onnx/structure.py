"""Read an ONNX file's structure without its weights, straight from the protobuf wire format.

Why: ``onnx.load`` reads the whole file and parses every weight, so a 1.3 GB model with inline weights
costs several GB of memory and seconds of parsing before trtdiag looks at a single node name. Here the
file is walked field by field with ``os.pread`` (:class:`PreadBuffer`); the values of large initializers
(``raw_data`` and the typed ``*_data`` fields) are skipped without being read, and everything else (nodes,
inputs, outputs, value_info, opsets, metadata, initializer names, dims and dtypes, small shape constants) is
handed to protobuf as usual. External-data models are unaffected (their weights live elsewhere anyway).

Why ``pread`` and not ``mmap``: touching one field header per initializer through an mmap faults in (and
keeps resident, counted in the process's RSS) the pages around every header, about 290 MB on a 1.3 GB
BERT-large with inline weights; reading the headers in small chunks costs a few KB and is as fast.

``onnx`` is imported inside the functions that need it: it is a heavy import that ``import trtdiag``
should not pay for.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from onnx import ModelProto

#: TensorProto fields that hold values: float_data, int32_data, string_data, int64_data, raw_data,
#: double_data, uint64_data.
_VALUE_FIELDS = frozenset({4, 5, 6, 7, 9, 10, 11})
_DIMS_FIELD = 1
_GRAPH_FIELD = 7  # ModelProto.graph
_INITIALIZER_FIELD = 5  # GraphProto.initializer
KEEP_VALUES_UP_TO = 1024  # elements: shape constants and scalars keep their values; weights do not


class PreadBuffer:
    """Byte access to an open file by ``os.pread`` in small cached chunks, with the indexing and slicing the
    wire-format walk uses (``buf[i]`` an int, ``buf[a:b]`` bytes). Slices inside the cached chunk come from it;
    larger ones are read directly, so a field is read once and never mapped."""

    CHUNK = 1 << 16

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.start = -1
        self.chunk = b""

    def _load(self, pos: int) -> None:
        self.start = pos
        self.chunk = os.pread(self.fd, self.CHUNK, pos)

    def __getitem__(self, key: int | slice) -> Any:
        if isinstance(key, slice):
            start, stop = key.start, key.stop
            if self.start <= start and stop <= self.start + len(self.chunk):
                return self.chunk[start - self.start:stop - self.start]
            if stop - start <= self.CHUNK // 4:
                self._load(start)
                return self.chunk[:stop - start]
            data = os.pread(self.fd, stop - start, start)
            if len(data) < stop - start:
                raise ValueError("truncated file")
            return data
        if not self.start <= key < self.start + len(self.chunk):
            self._load(key)
            if not self.chunk:
                raise ValueError("truncated file")
        return self.chunk[key - self.start]


def _varint(buf: Any, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise ValueError("malformed varint")


def fields(buf: Any, start: int, end: int) -> Any:
    """Yield (field number, wire type, start of the whole field, start of payload, end) for a message."""
    pos = start
    while pos < end:
        field_start = pos
        key, pos = _varint(buf, pos)
        field, wire = key >> 3, key & 7
        if wire == 0:
            value_start = pos
            _, pos = _varint(buf, pos)
            yield field, wire, field_start, value_start, pos
        elif wire == 1:
            pos += 8
            yield field, wire, field_start, pos - 8, pos
        elif wire == 2:
            length, payload = _varint(buf, pos)
            pos = payload + length
            if pos > end:
                raise ValueError("truncated field")
            yield field, wire, field_start, payload, pos
        elif wire == 5:
            pos += 4
            yield field, wire, field_start, pos - 4, pos
        else:
            raise ValueError(f"unsupported wire type {wire}")


def _encode_varint(value: int) -> bytes:
    out = bytearray()
    while True:
        b = value & 0x7F
        value >>= 7
        if value:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _tensor_without_values(buf: Any, start: int, end: int) -> bytes:
    """An initializer's bytes, minus its values when it has more than KEEP_VALUES_UP_TO elements."""
    parts: list[tuple[int, int, int]] = []  # (field, field start, end)
    count = 1
    for field, wire, fstart, payload, fend in fields(buf, start, end):
        parts.append((field, fstart, fend))
        if field == _DIMS_FIELD:
            if wire == 0:
                count *= _varint(buf, payload)[0]
            else:  # packed dims
                pos = payload
                while pos < fend:
                    d, pos = _varint(buf, pos)
                    count *= d
    drop = count > KEEP_VALUES_UP_TO
    return b"".join(bytes(buf[s:e]) for f, s, e in parts if not (drop and f in _VALUE_FIELDS))


def _graph_without_weights(buf: Any, start: int, end: int) -> bytes:
    out = bytearray()
    for field, _wire, fstart, payload, fend in fields(buf, start, end):
        if field == _INITIALIZER_FIELD:
            tensor = _tensor_without_values(buf, payload, fend)
            out += _encode_varint((_INITIALIZER_FIELD << 3) | 2) + _encode_varint(len(tensor)) + tensor
        else:
            out += buf[fstart:fend]
    return bytes(out)


def load_structure(path: str | os.PathLike[str]) -> ModelProto:
    """``onnx.ModelProto`` of the file without the values of its large initializers.

    Raises ``ValueError`` when the bytes are not a well-formed protobuf message (the caller turns that
    into a one-line "not an ONNX model" error) and ``google.protobuf.message.DecodeError`` from protobuf.
    """
    from onnx import ModelProto

    with open(path, "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        if size == 0:
            raise ValueError("empty file")
        buf = PreadBuffer(fh.fileno())
        rest = bytearray()
        graph = b""
        for field, _wire, fstart, payload, fend in fields(buf, 0, size):
            if field == _GRAPH_FIELD:
                graph = _graph_without_weights(buf, payload, fend)
            else:
                rest += buf[fstart:fend]
    model = ModelProto()
    model.ParseFromString(bytes(rest))
    model.graph.ParseFromString(graph)
    return model


def decode_text_fields(message: Any) -> int:
    """Replace, in place, every text field protobuf handed back as bytes by its UTF-8 decoding with
    replacement characters; the number of fields replaced.

    Why: ONNX declares names as ``string``, but nothing stops an exporter from writing bytes that are not
    UTF-8, and protobuf's Python reader then returns them as ``bytes``: every ``name.startswith("/")``
    downstream would fail. A name with a U+FFFD in it still matches itself everywhere."""
    replaced = 0
    for fd, value in message.ListFields():
        if fd.type == fd.TYPE_STRING:
            if _repeated(fd):
                bad = [i for i, v in enumerate(value) if isinstance(v, bytes)]
                for i in bad:
                    value[i] = value[i].decode("utf-8", errors="replace")
                replaced += len(bad)
            elif isinstance(value, bytes):
                setattr(message, fd.name, value.decode("utf-8", errors="replace"))
                replaced += 1
        elif fd.type == fd.TYPE_MESSAGE:
            for item in value if _repeated(fd) else (value,):
                replaced += decode_text_fields(item)
    return replaced


def _repeated(fd: Any) -> bool:
    """Is the field repeated (``is_repeated`` in protobuf 6+, ``label`` before)?"""
    flag = getattr(fd, "is_repeated", None)
    return flag if isinstance(flag, bool) else bool(fd.label == fd.LABEL_REPEATED)


def structure_only(model: ModelProto) -> ModelProto:
    """A copy of the model without the values of large initializers (their dims and dtypes stay).

    Shape inference needs only dims, plus the values of small integer shape constants; dropping the
    weights makes the copy cheap to keep and to copy again for each inference run."""
    from onnx import ModelProto

    light = ModelProto()
    light.CopyFrom(model)
    for t in light.graph.initializer:
        n = 1
        for d in t.dims:
            n *= d
        if n > KEEP_VALUES_UP_TO:
            for name in ("raw_data", "float_data", "double_data", "int32_data", "int64_data", "uint64_data",
                         "string_data"):
                t.ClearField(name)
    return light
