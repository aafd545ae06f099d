"""The log's sections: header, ONNX parse, calibration, warnings, strategy tails, footer."""

from __future__ import annotations

import random

from biglog.model import (
    CALIB_ALGO_HEADER,
    TRT_SO_VERSION,
    TRT_VERSION_TAG,
    TS_PLACEHOLDER,
    BertModel,
    BertShape,
    engine_dims,
)
from biglog.timing import _fmt, _t
from biglog.writer import LogWriter

# --------------------------------------------------------------------------------------------
# Sections
# --------------------------------------------------------------------------------------------


def _shape_spec(sh: BertShape, b: int, s: int) -> str:
    return ",".join(f"{n}:{b}x{s}" for n in ("input_ids", "token_type_ids", "attention_mask"))


def trtexec_command(sh: BertShape) -> str:
    return (
        "trtexec --onnx=bert_large.onnx --int8 --calib=bert_large_int8.calib "
        f"--minShapes={_shape_spec(sh, 1, 16)} --optShapes={_shape_spec(sh, sh.opt_batch, sh.opt_seq)} "
        f"--maxShapes={_shape_spec(sh, 32, sh.max_positions)} --memPoolSize=workspace:8192MiB "
        "--builderOptimizationLevel=5 --timingCacheFile=bert_large.TimingCache "
        "--saveEngine=bert_large_int8.plan --skipInference --verbose"
    )


#: The plugin creators trtexec registers at start-up.
PLUGIN_CREATORS = (
    "BatchedNMSDynamic_TRT",
    "BatchedNMS_TRT",
    "BatchTilePlugin_TRT",
    "Clip_TRT",
    "CoordConvAC",
    "CropAndResizeDynamic",
    "CropAndResize",
    "DecodeBbox3DPlugin",
    "DetectionLayer_TRT",
    "EfficientNMS_Explicit_TF_TRT",
    "EfficientNMS_Implicit_TF_TRT",
    "EfficientNMS_ONNX_TRT",
    "EfficientNMS_TRT",
    "FlattenConcat_TRT",
    "GenerateDetection_TRT",
    "GridAnchor_TRT",
    "GridAnchorRect_TRT",
    "GroupNorm",
    "InstanceNormalization_TRT",
    "LReLU_TRT",
    "ModulatedDeformConv2d",
    "MultilevelCropAndResize_TRT",
    "MultilevelProposeROI_TRT",
    "MultiscaleDeformableAttnPlugin_TRT",
    "NMSDynamic_TRT",
    "NMS_TRT",
    "Normalize_TRT",
    "PillarScatterPlugin",
    "PriorBox_TRT",
    "ProposalDynamic",
    "ProposalLayer_TRT",
    "Proposal",
    "PyramidROIAlign_TRT",
    "Region_TRT",
    "Reorg_TRT",
    "ResizeNearest_TRT",
    "ROIAlign_TRT",
    "RPROI_TRT",
    "ScatterElements",
    "ScatterND",
    "SpecialSlice_TRT",
    "Split",
    "VoxelGeneratorPlugin",
)


def _build_options(sh: BertShape) -> list[str]:
    """trtexec's "=== Model/Build Options ===" dump."""
    return [
        "=== Model Options ===",
        "Format: ONNX",
        "Model: bert_large.onnx",
        "Output:",
        "=== Build Options ===",
        "Memory Pools: workspace: 8192 MiB, dlaSRAM: default, dlaLocalDRAM: default, dlaGlobalDRAM: default, "
        "tacticSharedMem: default",
        "avgTiming: 8",
        "Precision: FP32+INT8",
        "LayerPrecisions: ",
        "Layer Device Types: ",
        "Decomposable Attentions: ",
        "Calibration: bert_large_int8.calib",
        "Refit: Disabled",
        "Strip weights: Disabled",
        "Version Compatible: Disabled",
        "ONNX Plugin InstanceNorm: Disabled",
        "TensorRT runtime: full",
        "Lean DLL Path: ",
        "Tempfile Controls: { in_memory: allow, temporary: allow }",
        "Exclude Lean Runtime: Disabled",
        "Sparsity: Disabled",
        "Safe mode: Disabled",
        "Build DLA standalone loadable: Disabled",
        "Allow GPU fallback for DLA: Disabled",
        "DirectIO mode: Disabled",
        "Restricted mode: Disabled",
        "Skip inference: Enabled",
        "Save engine: bert_large_int8.plan",
        "Load engine: ",
        "Profiling verbosity: 0",
        "Tactic sources: Using default tactic sources",
        "timingCacheMode: global",
        "timingCacheFile: bert_large.TimingCache",
        "Enable Compilation Cache: Enabled",
        "errorOnTimingCacheMiss: Disabled",
        "Preview Features: Use default preview flags.",
        "MaxAuxStreams: -1",
        "BuilderOptimizationLevel: 5",
        "MaxTactics: -1",
        "Calibration Profile Index: 0",
        "Weight Streaming: Disabled",
        "Runtime Platform: Same As Build",
        "Debug Tensors: ",
        "Input(s)s format: fp32:CHW",
        "Output(s)s format: fp32:CHW",
        "Input build shape (profile 0): "
        + ",".join(
            f"{n}=1x16+{sh.opt_batch}x{sh.opt_seq}+32x{sh.max_positions}"
            for n in ("input_ids", "token_type_ids", "attention_mask")
        ),
        "Input calibration shapes: model",
    ]

def _system_and_inference_options(sh: BertShape) -> list[str]:
    """trtexec's "=== System/Inference/Reporting Options ===" dump."""
    return [
        "=== System Options ===",
        "Device: 0",
        "DLACore: ",
        "Loaded static plugins:",
        "setPluginsToSerialize:",
        "dynamicPlugins:",
        "ignoreParsedPluginLibs: 0",
        "",
        "=== Inference Options ===",
        "Batch: Explicit",
        f"Input inference shape : input_ids={sh.opt_batch}x{sh.opt_seq}",
        "Iterations: 10",
        "Duration: 3s (+ 200ms warm up)",
        "Sleep time: 0ms",
        "Idle time: 0ms",
        "Inference Streams: 1",
        "ExposeDMA: Disabled",
        "Data transfers: Enabled",
        "Spin-wait: Disabled",
        "Multithreading: Disabled",
        "CUDA Graph: Disabled",
        "Separate profiling: Disabled",
        "Time Deserialize: Disabled",
        "Time Refit: Disabled",
        "NVTX verbosity: 0",
        "Persistent Cache Ratio: 0",
        "Optimization Profile Index: 0",
        "Weight Streaming Budget: 100.000000%",
        "Inputs:",
        "=== Reporting Options ===",
        "Verbose: Enabled",
        "Averages: 10 inferences",
        "Percentiles: 90,95,99",
        "Dump refittable layers:Disabled",
        "Dump output: Disabled",
        "Profile: Disabled",
        "Export timing to JSON file: ",
        "Export output to JSON file: ",
        "Export profile to JSON file: ",
        "",
    ]

def _device_information() -> list[str]:
    """trtexec's "=== Device Information ===" block and the version line."""
    return [
        "=== Device Information ===",
        "Available Devices: ",
        '  Device 0: "NVIDIA A100-SXM4-80GB" UUID: GPU-5d3f0c2e-8a41-6b7d-91e2-0f4c7a9b1e63',
        "Selected Device: NVIDIA A100-SXM4-80GB",
        "Selected Device ID: 0",
        "Selected Device UUID: GPU-5d3f0c2e-8a41-6b7d-91e2-0f4c7a9b1e63",
        "Compute Capability: 8.0",
        "SMs: 108",
        "Device Global Memory: 81037 MiB",
        "Shared Memory per SM: 164 KiB",
        "Memory Bus Width: 5120 bits (ECC enabled)",
        "Application Compute Clock Rate: 1.41 GHz",
        "Application Memory Clock Rate: 1.593 GHz",
        "",
        "Note: The application clock rates do not reflect the actual clock rates that the GPU is currently running at.",
        "",
        f"TensorRT version: {TRT_SO_VERSION}",
        "Loading standard plugins",
    ]

def write_header(w: LogWriter, sh: BertShape) -> None:
    cmd = trtexec_command(sh)
    w.raw(f"&&&& RUNNING TensorRT.trtexec {TRT_VERSION_TAG} # {cmd}")
    info = _build_options(sh) + _system_and_inference_options(sh) + _device_information()
    for m in info:
        w.msg("I", m.rstrip(), trt=False)
    for plug in PLUGIN_CREATORS:
        w.v(f"Registered plugin creator - ::{plug} version 1")
    w.msg("I", "[MemUsageChange] Init CUDA: CPU +2, GPU +0, now: CPU 31, GPU 1157 (MiB)")
    w.v(f"Trying to load shared library libnvinfer_builder_resource_sm80.so.{TRT_SO_VERSION}")
    w.v(f"Loaded shared library libnvinfer_builder_resource_sm80.so.{TRT_SO_VERSION}")
    w.v("CUDA lazy loading is enabled.")


def write_parse(w: LogWriter, model: BertModel, sh: BertShape) -> None:
    w.msg("I", "Start parsing network model.", trt=False)
    for m in (
        "----------------------------------------------------------------",
        "Input filename:   bert_large.onnx",
        "ONNX IR version:  0.0.8",
        "Opset version:    17",
        "Producer name:    pytorch",
        "Producer version: 2.4.1",
        "Domain:",
        "Model version:    0",
        "Doc string:",
        "----------------------------------------------------------------",
    ):
        w.msg("I", m)
    for k, m in enumerate(model.parse_messages):
        if k % 400 == 399:
            w.tick(1)
        w.v(m)
    w.msg("I", "Finished parsing network model. Parse time: 1.84562", trt=False)
    for n in ("input_ids", "token_type_ids", "attention_mask"):
        w.msg(
            "I",
            f"Set shape of input tensor {n} for optimization profile 0 to: MIN=1x16 "
            f"OPT={sh.opt_batch}x{sh.opt_seq} MAX=32x{sh.max_positions}",
            trt=False,
        )
    w.msg(
        "I",
        "FP32 and INT8 precisions have been specified - more performance might be enabled by "
        "additionally specifying --fp16 or --best",
        trt=False,
    )
    w.v("Trying to set exclusive file lock bert_large.TimingCache.lock")
    w.raw("")
    w.msg("W", "Could not read cache from: bert_large.TimingCache. A new cache will be generated and written.")
    w.msg("I", "[MemUsageChange] Init builder kernel library: CPU +1622, GPU +286, now: CPU 3114, GPU 1445 (MiB)")


def write_calibration(w: LogWriter, model: BertModel, rng: random.Random) -> None:
    n = len(model.engine)
    w.msg("I", "Perform graph optimization on calibration graph.")
    w.msg("I", "Local timing cache in use. Profiling results in this builder pass will not be stored.")
    w.v(f"Original: {model.layers_registered} layers")
    w.v(f"After dead-layer removal: {model.layers_registered} layers")
    w.v(f"Graph construction completed in {_t(rng, 0.05, 0.3)} seconds.")
    w.msg("I", "Compiler backend is used during engine build.")
    w.tick(41)
    w.msg("I", f"Detected 3 inputs and {n} output network tensors.")
    w.msg("I", "Total Host Persistent Memory: 412160 bytes")
    w.msg("I", "Total Device Persistent Memory: 0 bytes")
    w.msg("I", "Max Scratch Memory: 100663296 bytes")
    w.msg("I", f"Engine generation completed in {_t(rng, 30, 60)} seconds.")
    w.msg("I", "Starting Calibration.")
    for b in range(64):
        w.tick(1 if rng.random() < 0.5 else 0)
        w.msg("I", f"  Calibrated batch {b} in {_t(rng, 0.18, 0.45)} seconds.")
    w.tick(9)
    w.msg("I", f"  Post Processing Calibration data in {_t(rng, 6, 14)} seconds.")
    w.msg("I", f"Calibration completed in {_t(rng, 70, 95)} seconds.")
    w.msg("I", f"Writing Calibration Cache for calibrator: {CALIB_ALGO_HEADER}")


def warning_set(model: BertModel, rng: random.Random) -> list[str]:
    """The tensors the builder warns about, in a realistic non-network order (#4058)."""
    weights = list(model.weight_outputs)
    bcasts = list(model.broadcast_outputs)
    # not every constant is warned about in every build: keep most, drop a few
    weights = [t for t in weights if not t.startswith("onnx::MatMul_") or rng.random() < 0.5]
    chosen = [*weights, *bcasts, *model.activation_warnings, *model.input_warnings]
    # chunks keep neighbours together, chunk order is scrambled
    chunks: list[list[str]] = []
    k = 0
    while k < len(chosen):
        n = rng.randrange(3, 12)
        chunks.append(chosen[k : k + n])
        k += n
    rng.shuffle(chunks)
    seen: set[str] = set()
    out: list[str] = []
    for c in chunks:
        for t in c:
            if t not in seen:
                seen.add(t)
                out.append(t)
    return out


def _reformat_report(model: BertModel, sh: BertShape, rng: random.Random) -> list[tuple[str, str]]:
    """Reformat layers and the format-selection summary."""
    out: list[tuple[str, str]] = [("V", "=============== Computing reformatting costs for available format set")]
    for lay in model.engine:
        if lay.kind == "reformat":
            t, dt, d = lay.inputs[0]
            out.append(
                (
                    "V",
                    f"Adding reformat layer: {lay.outputs[0][0]} ({t}) from "
                    f"{_fmt(dt, d, sh)} to {_fmt(lay.outputs[0][1], d, sh)}",
                )
            )
    n = len(model.engine)
    out += [
        ("V", f"Formats and tactics selection completed in {_t(rng, 600, 1800)} seconds."),
        ("V", f"After reformat layers: {n} layers"),
        ("V", f"Total number of blocks in pre-optimized block assignment: {n - 7}"),
        ("I", "Detected 3 inputs and 2 output network tensors."),
    ]
    return out


def _memory_report(model: BertModel, rng: random.Random) -> tuple[list[tuple[str, str]], int]:
    """Per-layer memory, totals and block assignment; also the total host persistent memory."""
    n = len(model.engine)
    out: list[tuple[str, str]] = []
    skipped = 0
    total_host = 0
    for lay in model.engine:
        if lay.kind in ("shuffle", "reformat"):
            skipped += 1
            continue
        host = rng.choice([80, 496, 2144, 3456, 4160, 5664, 7136])
        total_host += host
        scratch = rng.choice([0, 0, 512, 1048576, 4194304, 16777216])
        out.append(
            (
                "V",
                f"Layer: {lay.name} Host Persistent: {host} bytes Device Persistent: 0 bytes "
                f"Scratch Memory: {scratch} bytes",
            )
        )
    out += [
        (
            "V",
            f"Skipped printing memory information for {skipped} layers with 0 memory size i.e. "
            "Host Persistent + Device Persistent + Scratch Memory == 0.",
        ),
        ("I", f"Total Host Persistent Memory: {total_host} bytes"),
        ("I", "Total Device Persistent Memory: 0 bytes"),
        ("I", "Max Scratch Memory: 16777216 bytes"),
        ("I", f"[BlockAssignment] Started assigning block shifts. This will take {n} steps to complete."),
        (
            "I",
            f"[BlockAssignment] Algorithm ShiftNTopDown took {_t(rng, 1, 9)}ms to assign 9 blocks to "
            f"{n} nodes requiring 1207959552 bytes.",
        ),
        ("V", "Total number of blocks in optimized block assignment: 9"),
        ("I", "Total Activation Memory: 1207959552 bytes"),
        ("I", "Total Weights Memory: 335827968 bytes"),
    ]
    return out, total_host


def _finalize_report(model: BertModel) -> list[tuple[str, str]]:
    """Kernel selection of the gemm, matmul, pointwise and softmax layers."""
    out: list[tuple[str, str]] = []
    k = 0
    for lay in model.engine:
        if lay.kind in ("gemm", "mm", "pw", "softmax"):
            out.append(("V", f"Finalize: {lay.name} Set kernel index: {k}"))
            k += 1
    out.append(("V", f"Total number of generated kernels selected for the engine: {k}"))
    for j in range(k):
        out.append(("V", f"Kernel: {j} CASK_STATIC"))
    return out


def _verdict(rng: random.Random, strategy: int, first: bool, total_host: int) -> list[tuple[str, str]]:
    """Engine generation and whether this strategy is used or skipped."""
    out: list[tuple[str, str]] = []
    est = rng.uniform(2.4, 3.1)
    out += [
        ("I", "Compiler backend is used during engine execution."),
        ("V", "Disabling unused tactic source: JIT_CONVOLUTIONS"),
        ("I", f"Engine generation completed in {_t(rng, 900, 2400)} seconds."),
        ("V", "Total per-runner device persistent memory is 0"),
        ("V", f"Total per-runner host persistent memory is {total_host}"),
        ("V", "Allocated device scratch memory of size 1207959552"),
        ("V", "- Runner scratch: 1207959552 bytes"),
        (
            "I",
            "[MemUsageChange] TensorRT-managed allocation in IExecutionContext creation: CPU +0, "
            "GPU +1152, now: CPU 0, GPU 1472 (MiB)",
        ),
        ("V", "CUDA lazy loading is enabled."),
    ]
    if first:
        out.append(
            ("V", f"Use backend strategy {strategy} with estimated inference time ({est:.6g}) as the initial choice.")
        )
    else:
        out.append(
            (
                "V",
                f"Skip backend strategy {strategy}since its estimated inference time ({est:.6g}) is "
                "not faster than the previous engine with estimated inference time (2.38912).",
            )
        )
    return out


def strategy_tail(
    model: BertModel, sh: BertShape, rng: random.Random, strategy: int, first: bool
) -> list[tuple[str, str]]:
    """The end of a strategy pass: reformat layers, memory report, finalize, strategy verdict."""
    out = _reformat_report(model, sh, rng)
    memory, total_host = _memory_report(model, rng)
    return out + memory + _finalize_report(model) + _verdict(rng, strategy, first, total_host)


def _lines_block(pairs: list[tuple[str, str]]) -> bytes:
    return b"".join(TS_PLACEHOLDER + f" [{lvl}] [TRT] {m}\n".encode() for lvl, m in pairs)


def engine_info_lines(model: BertModel) -> list[str]:
    lines = []
    for lay in model.engine:
        ins = ", ".join(f"{t} ({dt}{engine_dims(d)})" for t, dt, d in lay.inputs)
        outs = ", ".join(f"{t} ({dt}{engine_dims(d)})" for t, dt, d in lay.outputs)
        lines.append(f"Layer({lay.ltype}): {lay.name}, Tactic: {lay.tactic}, {ins} -> {outs}")
    return lines


def write_footer(w: LogWriter, model: BertModel, sh: BertShape, final_warnings: list[str]) -> None:
    for t in final_warnings[: len(final_warnings) // 2]:
        w.warn_missing_scale(t)
    w.msg("I", "[MS] Multi stream is disabled as cannot find an opportunity to leverage it")
    for t in final_warnings[len(final_warnings) // 2 :]:
        w.warn_missing_scale(t)
    w.v("Engine Layer Information:")
    for line in engine_info_lines(model):
        w.raw(line)
    w.msg("I", "[MemUsageStats] Peak memory usage of TRT CPU/GPU memory allocators: CPU 1290 MiB, GPU 6350 MiB")
    w.v("Adding 1 engine(s) to plan file.")
    w.v("Adding 1 engine weights(s) to plan file.")
    w.msg("I", "Created engine with size: 324.812 MiB", trt=False)
    w.msg("I", "Engine built in 14326.9 sec.", trt=False)
    w.v("Trying to set exclusive file lock bert_large.TimingCache.lock")
    w.raw("")
    w.v("Serializing timing cache. UUID = GPU-5d3f0c2e-8a41-6b7d-91e2-0f4c7a9b1e63, commit ID = 9c1f4e27a08b3d55")
    w.msg("I", "Serialized 58231 bytes of code generator cache.")
    w.msg("I", "Serialized 1876123 bytes of compilation cache.")
    w.msg("I", "Serialized 3641 timing cache entries")
    w.v("Trying to set exclusive file lock bert_large.TimingCache.lock")
    w.raw("")
    w.msg("I", "Saved 2281642 bytes of timing cache to bert_large.TimingCache")
    w.msg("I", "Loaded engine size: 324 MiB")
    w.v("Deserialization required 201113 microseconds.")
    w.msg("I", "Engine deserialized in 0.354113 sec.", trt=False)
    w.msg("I", "Skipped inference phase since --skipInference is added.", trt=False)
    w.raw(f"&&&& PASSED TensorRT.trtexec {TRT_VERSION_TAG} # {trtexec_command(sh)}")
