"""ONNX -> TensorRT plan, strongly typed (precision comes from the ONNX), for TensorRT 10.3+ and 11.x.

The thin layer over TensorRT's builder API; everything decided without a GPU (profile, flags, metadata,
the trtexec line) comes from the modules beside it. Run on a device by `lowlight-edge build` and
`make test-gpu`; on a CPU the tests run it under a stand-in generated from NVIDIA's real bindings of 10.3, 10.13 and
11.4 (tests/test_tensorrt_api.py): names, signatures and this module's logic are checked, TensorRT never runs.
"""

import platform
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import onnx

from lowlight_edge.engines.trt.cuda_memory import check_driver, open_cuda
from lowlight_edge.engines.trt.meta import HW_AMPERE_PLUS, HW_NONE, EngineMeta, write_meta
from lowlight_edge.engines.trt.profiles import Profile
from lowlight_edge.engines.trt.trtexec import trtexec_command
from lowlight_edge.engines.trt.versions import DLA_STRONGLY_TYPED_FROM, import_tensorrt, parse_version, trt_logger
from lowlight_edge.engines.variants import tf32_for
from lowlight_edge.errors import ExportError, InputError, ModelError
from lowlight_edge.fileio.atomic import atomic_output, check_writable, write_bytes
from lowlight_edge.fileio.hashing import sha256_file
from lowlight_edge.machine.jetson import is_jetson
from lowlight_edge.onnxgraph.files import validate_onnx_file
from lowlight_edge.onnxgraph.metadata import INT8_BASE_KEY, PRECISION_KEY, input_convention_of, read_metadata
from lowlight_edge.onnxgraph.pipeline_io import MOSAIC, PipelineSpec


@dataclass
class BuildOptions:
    profile: Profile
    workspace_mib: int = 2048  # fits an 8 GB Jetson next to the OS and the frames
    timing_cache: Path | None = None
    optimization_level: int | None = None
    dla_core: int | None = None
    version_compatible: bool = False
    hardware_compatible: bool = False
    # TensorRT runs FP32 convolutions as TF32 unless told not to: an FP32 engine is the GPU's reference, so TF32 is
    # off for FP32 networks unless asked for (None: that rule; True/False: the user's choice)
    tf32: bool | None = None


def build_engine(onnx_path: Path, engine_path: Path, options: BuildOptions, force: bool = False,
                 log: Callable[[str], None] = print) -> EngineMeta:
    """Parse `onnx_path` strongly typed, build with one optimization profile, write the plan and its metadata.

    The precision comes from the ONNX (FP16 graph, INT8 Q/DQ), never from builder flags. The equivalent trtexec
    command is logged first, so the build can be cross-checked with NVIDIA's tool.

    Returns:
        the EngineMeta written beside the plan (`ENGINE.json`): TensorRT version, GPU, precision, profile.

    Example::

        build_engine("model.fp16.onnx", "work/engines/orin/model.fp16.engine", BuildOptions(Profile()))
    """
    model = validate_onnx_file(onnx_path)
    spec = PipelineSpec.from_metadata(read_metadata(model))
    if spec is not None and spec.target != "tensorrt":
        raise InputError(f"{onnx_path} is a pipeline graph made for {spec.target} runtimes, which TensorRT cannot "
                         "parse; wrap the network again with `lowlight-edge pipeline --target tensorrt`")
    pipeline = spec is not None
    input_name = MOSAIC if pipeline else model.graph.input[0].name  # the one input with a dynamic shape
    precision = _precision(model)
    tf32 = options.tf32 if options.tf32 is not None else tf32_for(precision)  # the variant table's rule
    # logged first: usable where only trtexec is installed
    log("equivalent trtexec command:\n  " + trtexec_command(
        onnx_path, engine_path, input_name, options.profile, options.workspace_mib, options.timing_cache,
        options.optimization_level, options.dla_core, options.version_compatible, options.hardware_compatible,
        pipeline, tf32) + (DLA_TRTEXEC_NOTE if options.dla_core is not None else ""))
    trt = import_tensorrt()
    check_writable(engine_path, force)
    # the CUDA layer first: a driver the bindings cannot use fails here, before minutes of building
    cuda = open_cuda()
    device = cuda.info()
    check_driver(device, is_jetson())
    logger = trt_logger(trt)
    builder = trt.Builder(logger)
    if options.dla_core is not None:
        check_dla(trt.__version__, builder.num_DLA_cores, options.dla_core, precision,
                  read_metadata(model).get(INT8_BASE_KEY, "fp32"))
    if options.hardware_compatible and is_jetson():
        raise InputError("--hardware-compatible: TensorRT does not support hardware-compatible engines on Jetson")
    flags = 0
    if hasattr(trt.NetworkDefinitionCreationFlag, "STRONGLY_TYPED"):  # 10.x; always on in 11
        flags |= 1 << int(trt.NetworkDefinitionCreationFlag.STRONGLY_TYPED)
    network = builder.create_network(flags)
    parser = trt.OnnxParser(network, logger)
    if not parser.parse_from_file(str(onnx_path)):
        errors = [parser.get_error(i) for i in range(parser.num_errors)]
        first = errors[0] if errors else None
        where = f" at node {first.node_name()!r} ({first.node_operator()})" if first is not None else ""
        raise ModelError(f"TensorRT's ONNX parser rejected {onnx_path}{where}: "
                         f"{first.desc() if first is not None else 'no error reported'}")
    config = builder.create_builder_config()
    config.set_memory_pool_limit(trt.MemoryPoolType.WORKSPACE, options.workspace_mib << 20)
    profile = builder.create_optimization_profile()
    profile.set_shape(input_name, *options.profile.for_input(pipeline))
    config.add_optimization_profile(profile)
    _use_timing_cache(config, options.timing_cache, log)
    if options.optimization_level is not None:
        config.builder_optimization_level = options.optimization_level
    if options.dla_core is not None:
        config.default_device_type = trt.DeviceType.DLA
        config.DLA_core = options.dla_core
        config.set_flag(trt.BuilderFlag.GPU_FALLBACK)
    if options.version_compatible:
        config.set_flag(trt.BuilderFlag.VERSION_COMPATIBLE)
    if options.hardware_compatible:
        config.hardware_compatibility_level = trt.HardwareCompatibilityLevel.AMPERE_PLUS
    if not tf32:
        config.clear_flag(trt.BuilderFlag.TF32)
    monitor = _progress_monitor(trt)
    config.progress_monitor = monitor
    start = time.monotonic()
    try:
        plan = builder.build_serialized_network(network, config)
    finally:
        monitor.close()
    if plan is None:
        raise ExportError(f"TensorRT could not build an engine from {onnx_path}; its log above says why")
    meta = EngineMeta(
        tensorrt_version=trt.__version__, gpu_name=device.name, compute_capability=device.compute_capability,
        driver_version=device.driver_version, cuda_version=device.cuda_version, precision=precision,
        onnx_path=str(onnx_path), onnx_sha256=sha256_file(onnx_path), profile=options.profile.as_dict(),
        version_compatible=options.version_compatible,
        hardware_compatibility=HW_AMPERE_PLUS if options.hardware_compatible else HW_NONE,
        dla_core=options.dla_core, builder_optimization_level=options.optimization_level, platform=platform.machine(),
        input_convention=input_convention_of(read_metadata(model)),
        workspace_bytes=options.workspace_mib << 20, build_seconds=round(time.monotonic() - start, 1),
        built_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        flags=["STRONGLY_TYPED"] + (["VERSION_COMPATIBLE"] if options.version_compatible else [])
        + (["GPU_FALLBACK"] if options.dla_core is not None else []) + (["TF32"] if tf32 else []),
        tf32=tf32,
    )
    # the sidecar is written while the plan is still a temporary file: a plan never appears without it
    with atomic_output(engine_path, force) as tmp:
        tmp.write_bytes(bytes(plan))
        write_meta(engine_path, meta, force=True)
    if options.timing_cache:
        _save_timing_cache(config, options.timing_cache, log)
    log(f"wrote {engine_path} and {engine_path}.json ({meta.precision}, TensorRT {meta.tensorrt_version}, "
        f"{meta.gpu_name} sm {meta.compute_capability}, {meta.build_seconds} s)")
    return meta


DLA_TRTEXEC_NOTE = ("\n  (TensorRT 11.4.1 or later only: trtexec 10.x adds FP16 and precision-constraint flags with "
                    "--useDLACore, which a strongly typed network rejects; NVIDIA/TensorRT#4228)")


def check_dla(version: str, cores: int, core: int, precision: str, int8_base: str = "fp32") -> None:
    """Refuse a DLA build that TensorRT would not run on the DLA (or would silently run on the GPU instead)."""
    if parse_version(version) < DLA_STRONGLY_TYPED_FROM:
        raise InputError(f"--dla-core: TensorRT {version} does not support strongly typed networks on the DLA (NVIDIA "
                         "documents them from TensorRT 11.4.1, JetPack 7.2.2); build for the GPU without --dla-core")
    if precision not in ("fp16", "int8"):
        raise InputError(f"--dla-core: the DLA runs FP16 and INT8 only, and this {precision} network would run on the "
                         "GPU entirely; build from the FP16 or INT8 ONNX")
    if precision == "int8" and int8_base != "fp16":
        raise InputError("--dla-core: this INT8 graph computes its non-convolution layers in FP32, which the DLA cannot "
                         "run (they would fall back to the GPU); quantize it with `quantize int8 --base fp16`")
    if not 0 <= core < cores:
        raise InputError(f"--dla-core {core}: this device has {cores} DLA core(s)")


def _use_timing_cache(config, path: Path | None, log: Callable[[str], None]) -> None:
    """Start from the timing cache file when it is usable here, else from an empty cache (saying why)."""
    data = path.read_bytes() if path and path.is_file() else b""
    cache = config.create_timing_cache(data)
    if cache is None:
        raise InputError(f"timing cache {path} is corrupt; delete it or name another --timing-cache")
    if not config.set_timing_cache(cache, False):
        log(f"timing cache {path} comes from another GPU or TensorRT version: starting a fresh one")
        if not config.set_timing_cache(config.create_timing_cache(b""), False):
            raise ModelError("TensorRT refused an empty timing cache")


def _save_timing_cache(config, path: Path, log: Callable[[str], None]) -> None:
    cache = config.get_timing_cache()
    if cache is None:
        log(f"TensorRT returned no timing cache; {path} was left as it was")
        return
    write_bytes(path, bytes(cache.serialize()), force=True)


def _precision(model: onnx.ModelProto) -> str:
    return read_metadata(model).get(PRECISION_KEY, "fp32")


def _progress_monitor(trt):
    """A tqdm bar per top-level TensorRT build phase, driven by IProgressMonitor (10.x and 11.x)."""
    from tqdm import tqdm

    class Monitor(trt.IProgressMonitor):
        def __init__(self):
            trt.IProgressMonitor.__init__(self)
            self.bars = {}

        def phase_start(self, phase_name, parent_phase, num_steps):
            if parent_phase is None:
                self.bars[phase_name] = tqdm(total=num_steps, desc=phase_name[:40], unit="step", leave=False)

        def step_complete(self, phase_name, step):
            if phase_name in self.bars:
                self.bars[phase_name].update(1)
            return True  # False would cancel the build

        def phase_finish(self, phase_name):
            bar = self.bars.pop(phase_name, None)
            if bar is not None:
                bar.close()

        def close(self):
            for bar in self.bars.values():
                bar.close()
            self.bars.clear()

    return Monitor()
