"""Message extraction: missing scales, build configuration, calibration, parser lines, TRT 11."""

from __future__ import annotations

from pathlib import Path

import pytest

from trtdiag.errors import TruncatedInputError
from trtdiag.io.prefix import Line
from trtdiag.io.scan import scan
from trtdiag.io.versions import decode_trt_version
from trtdiag.log.collector import LogCollector, read_log
from trtdiag.log.handlers import HANDLERS
from trtdiag.log.segments import KEYWORDS as SEGMENT_KEYWORDS
from trtdiag.log.state import FactsDraft, LogState

WARN = "Missing scale and zero-point for tensor {}, expect fall back to non-int8 implementation for any layer consuming or producing given tensor"


def _log(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "b.log"
    p.write_text(text)
    return p


@pytest.mark.parametrize(("code", "version"), [("8601", "8.6.1"), ("7000", "7.0.0"), ("101303", "10.13.3"),
                                               ("8003", "8.0.3"), ("100100", "10.1.0")])
def test_version_codes(code: str, version: str) -> None:
    assert decode_trt_version(code) == version


def test_tensor_names_are_verbatim_and_duplicates_kept(tmp_path: Path) -> None:
    names = ["node_argmax_output (1)", "(Unnamed Layer* 117) [ElementWise]_output", "a, b", "x", "x",
             "SequenceMask/Range:0"]
    text = "".join(f"[07/07/2026-06:14:58] [TRT] [W] {WARN.format(n)}\n" for n in names)
    text += "[W] [TRT] Missing dynamic range for tensor old_t, expect fall back to non-int8 implementation for any layer consuming or producing given tensor.\n"
    facts = read_log(_log(tmp_path, text))
    assert facts.warned_tensors == [*names, "old_t"]
    by_name = {m.tensor: m for m in facts.missing_scale}
    assert by_name["x"].count == 2 and by_name["x"].lines == (4, 5)
    assert by_name["old_t"].wording == "dynamic-range"
    assert facts.build.int8 is True  # implied by the warnings


def test_trtexec_int8_only_configuration(tmp_path: Path) -> None:
    text = (
        "&&&& RUNNING TensorRT.trtexec [TensorRT v8601] # trtexec --onnx=m.onnx --int8 --calib=c.cache\n"
        "[08/20/2023-11:13:10] [I] Precision: FP32+INT8\n"
        "[08/20/2023-11:13:10] [I] Calibration: c.cache\n"
        "[08/20/2023-11:13:11] [W] [TRT] FP32 and INT8 precisions have been specified - more performance might be enabled by additionally specifying --fp16 or --best\n"
        "[08/20/2023-11:13:12] [E] [TRT] No non-int8 implementation of layer conv1 is supported. Please provide missing int8 scales to use available int8 implementation.\n"
    )
    facts = read_log(_log(tmp_path, text))
    b = facts.build
    assert (b.tensorrt_version, b.producer, b.int8, b.fp16) == ("8.6.1", "trtexec", True, False)
    assert b.fp32_int8_notice and b.calibration_cache_read == "c.cache"
    assert b.evidence["precision"] == 2
    assert [e.text for e in facts.no_int8_impl] == ["conv1"]


def test_calibration_sequence_and_cache(tmp_path: Path) -> None:
    text = "".join([
        "[I] [TRT] Starting Calibration with batch size 50.\n",
        "[I] [TRT]   Calibrated batch 0 in 0.25 seconds.\n",
        "[I] [TRT]   Calibrated batch 1 in 0.5 seconds.\n",
        "[I] [TRT]   Post Processing Calibration data in 0.1 seconds.\n",
        "[I] [TRT] Calibration completed in 6.2 seconds.\n",
        "[I] [TRT] Writing Calibration Cache for calibrator: TRT-7000-EntropyCalibration2\n",
        "[W] [TRT] Calibrator is not being used. Users must provide dynamic range for all tensors that are not Int32.\n",
        "[07/07/2026-06:14:55] [TRT] [W] Calibration Profile is not defined. Calibrating with Profile 0\n",
        "[W] [TRT] Calibrator won't be used in explicit precision mode. Use quantization aware training to generate network with Quantize/Dequantize nodes.\n",
    ])
    facts = read_log(_log(tmp_path, text))
    c = facts.calibration
    assert (c.started_line, c.batch_size, c.batches, c.batch_seconds, c.completed_seconds) == (1, 50, 2, 0.75, 6.2)
    assert [e.kind for e in c.events] == ["cache-written", "calibrator-not-used", "profile-not-defined", "explicit-precision"]
    assert facts.build.calibration_algorithm == "EntropyCalibration2"
    assert facts.build.tensorrt_version == "7.0.0"


def test_polygraphy_configuration_block(tmp_path: Path) -> None:
    text = (
        "[I] Building engine with configuration:\n"
        "    Flags                  | [FP16, INT8]\n"
        "    Calibrator             | Calibrator(<generator object load_data at 0x7f>, cache='m.Int8Cache', BaseClass=<class 'tensorrt.tensorrt.IInt8MinMaxCalibrator'>)\n"
        "[I] Loading calibration cache from m.Int8Cache\n"
    )
    b = read_log(_log(tmp_path, text)).build
    assert (b.producer, b.int8, b.fp16, b.calibrator, b.calibration_cache_read) == (
        "polygraphy", True, True, "IInt8MinMaxCalibrator", "m.Int8Cache")


def test_verbose_parser_blocks_attribute_helpers(tmp_path: Path) -> None:
    text = "".join(f"[01/01/2026-00:00:00] [V] [TRT] {m}\n" for m in [
        "Adding network input: input_ids with dtype: int64, dimensions: (-1, -1)",
        "Static check for parsing node: /q/Add [Add]",
        "Parsing node: /q/Add [Add]",
        "Registering layer: q.bias required by ONNX-TRT",
        "Registering layer: ONNXTRT_ShapeShuffle_57 required by ONNX-TRT",
        "Registering layer: ONNXTRT_Broadcast_58 required by ONNX-TRT",
        "Registering layer: /q/Add for ONNX node: /q/Add",
        "Registering tensor: /q/Add_output_0 for ONNX tensor: /q/Add_output_0",
        "/q/Add [Add] outputs: [/q/Add_output_0 -> (-1, -1, 64)[FLOAT]], ",
        "Registering layer: stray required by ONNX-TRT",
    ])
    facts = read_log(_log(tmp_path, text))
    assert [(r.layer, r.kind, r.owner) for r in facts.registrations] == [
        ("q.bias", "helper", "/q/Add"), ("ONNXTRT_ShapeShuffle_57", "helper", "/q/Add"),
        ("ONNXTRT_Broadcast_58", "helper", "/q/Add"), ("/q/Add", "node", "/q/Add"), ("stray", "helper", None)]
    assert facts.node_registrations == 1
    assert facts.tensor_registrations == (("/q/Add_output_0", "/q/Add_output_0", 8),)
    assert facts.network_inputs[0][:2] == ("input_ids", "int64")


def test_trt11_signatures_and_deprecations(tmp_path: Path) -> None:
    text = (
        "AttributeError: module 'tensorrt' has no attribute 'CalibrationAlgoType'\n"
        "AttributeError: type object 'tensorrt.tensorrt.BuilderFlag' has no attribute 'INT8'\n"
        "[E] BuilderFlag::kFP16 is not compatible with a strongly typed network\n"
        "[W] Weakly-typed networks have been deprecated in TensorRT. You can use the AutoCast tool\n"
        "main.cpp:12: warning: 'IInt8EntropyCalibrator2' is deprecated [-Wdeprecated-declarations]\n"
    )
    facts = read_log(_log(tmp_path, text))
    assert [e.kind for e in facts.trt11] == ["python-attribute-removed", "python-attribute-removed", "fp16-strongly-typed"]
    assert [e.kind for e in facts.deprecations] == ["weakly-typed-deprecated", "calibrator-deprecated"]
    assert facts.has_int8_build


def test_truncated_mid_message_keeps_partial_result(tmp_path: Path) -> None:
    text = f"[W] {WARN.format('a')}\n[W] Missing scale and zero-point for tensor b, expe"
    with pytest.raises(TruncatedInputError) as info:
        read_log(_log(tmp_path, text))
    assert info.value.partial.warned_tensors == ["a"]


def test_log_without_int8(tmp_path: Path) -> None:
    facts = read_log(_log(tmp_path, "[I] Precision: FP32+FP16\n[I] done\n"))
    assert not facts.has_int8_build and facts.build.fp16 is True


class _Custom:
    """A message family added from outside: one handler, nothing else to change."""

    keywords = (b"Hello TensorRT",)

    def __init__(self) -> None:
        self.seen: list[int] = []

    def feed(self, line: Line, state: LogState) -> bool:
        self.seen.append(line.number)
        return False

    def contribute(self, draft: FactsDraft) -> None:
        draft.layer_info_lines += len(self.seen)


def test_scanner_keywords_are_derived_from_the_handlers(tmp_path: Path) -> None:
    keywords = LogCollector().keywords
    assert keywords == tuple(dict.fromkeys([*SEGMENT_KEYWORDS, *(k for make in HANDLERS for k in make().keywords)]))
    assert len(keywords) == 108  # segment markers + handlers, Q/DQ markers (log/handlers/qdq.py) included
    collector = LogCollector((*HANDLERS, _Custom))
    assert collector.keywords[-1] == b"Hello TensorRT"
    path = _log(tmp_path, "[I] nothing\n[I] Hello TensorRT\n")
    facts = collector.result(scan(path, [collector]))
    assert facts.layer_info_lines == 1 and facts.read.candidate_lines == 1


@pytest.mark.parametrize(("line", "version"), [
    ("Successfully installed tensorrt-cu12==10.3.0 tensorrt-cu12-libs==10.3.0", "10.3.0"),
    ("[I] [TRT] Loaded /opt/TensorRT-8.6.1.6/lib/libnvinfer.so", "8.6.1.6"),
    ("[I] [TRT] Serialized the engine to model.plan", None),
])
def test_version_keywords_are_as_specific_as_their_patterns(tmp_path: Path, line: str, version: str | None) -> None:
    """A pin with a CUDA suffix is read; "TensorRT-managed" and other serialization lines are no candidates."""
    noise = ("[I] [TRT] [MemUsageChange] TensorRT-managed allocation in IExecutionContext creation: CPU +0\n"
             "[I] [TRT] Serialized 261 timing cache entries\n[V] [TRT] Deserialization required 1937 microseconds.\n")
    facts = read_log(_log(tmp_path, "[W] [TRT] Missing scale and zero-point for tensor t\n" + noise + line + "\n"))
    assert facts.build.tensorrt_version == version
    assert facts.read.candidate_lines == 1 + (version is not None) + ("Serialized the engine" in line)
    assert (facts.outcome.line is not None) == ("Serialized the engine" in line)
