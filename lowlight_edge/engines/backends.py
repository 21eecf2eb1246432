"""The one table of backends: every place that names, chooses, describes or compares a backend reads it.

Adding a backend is one row here plus its runner class (after Ultralytics' `export_formats()` table).
Runner selection, `--backend` help, the benchmark's skipped rows and its PyTorch baselines all come from it.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from lowlight_edge.engines import probes
from lowlight_edge.engines.base import Runner
from lowlight_edge.engines.options import RunnerOptions
from lowlight_edge.engines.trt.versions import TRT_HINT
from lowlight_edge.errors import InputError
from lowlight_edge.model.checkpoint import CHECKPOINT_SUFFIXES

# model kind -> the file suffixes that have it
MODEL_KINDS = {"checkpoint": CHECKPOINT_SUFFIXES, "onnx": (".onnx",), "engine": (".engine", ".plan")}


@dataclass(frozen=True)
class Backend:
    name: str
    kind: str  # the model kind it runs (a key of MODEL_KINDS)
    device: str  # "cpu", "gpu" or "npu"
    runtime: str  # the library that runs it, as users know it
    install: str  # what to install where it is missing
    make: Callable[[Path, RunnerOptions], Runner]
    probe: Callable[[], str | None]  # None when it can run here, else why not (cheap: no model is loaded)
    speed_rank: int  # lower runs this kind of model faster (measured: docs/performance.md)
    suits: Callable[[Path], str | None] = lambda model: None  # None when it should run this model here, else why not
    default: bool = False  # the backend a file of its kind gets in bench and validate when none is named
    reference: bool = False  # PyTorch eager FP32: the baseline speedups on its device are measured against


# Runner modules are imported when a model is opened, not with the table: `lowlight-edge --help` and the
# backend list must not load ONNX Runtime (or anything heavier).
def _torch(device: str) -> Callable[[Path, RunnerOptions], Runner]:
    def make(path: Path, options: RunnerOptions) -> Runner:
        from lowlight_edge.engines.torch_runner import TorchRunner

        return TorchRunner(path, device=device, threads=options.threads, pipeline_bits=options.torch_pipeline_bits,
                           fp16=options.torch_fp16)
    return make


def _onnxruntime(provider: str) -> Callable[[Path, RunnerOptions], Runner]:
    def make(path: Path, options: RunnerOptions) -> Runner:
        from lowlight_edge.engines.ort_runner import OrtRunner

        return OrtRunner(path, provider=provider, threads=options.threads)
    return make


def _openvino(device: str, inference_precision: str = "f32") -> Callable[[Path, RunnerOptions], Runner]:
    def make(path: Path, options: RunnerOptions) -> Runner:
        from lowlight_edge.engines.ov_runner import OpenVinoRunner

        return OpenVinoRunner(path, device=device, threads=options.threads, inference_precision=inference_precision)
    return make


def _openvino_suits(device: str) -> Callable[[Path], str | None]:
    def suits(model: Path) -> str | None:
        from lowlight_edge.engines.ov_runner import model_metadata, saturation_risk

        return saturation_risk(model_metadata(model), device)
    return suits


def _tensorrt(path: Path, options: RunnerOptions) -> Runner:
    from lowlight_edge.engines.trt.runner import TrtRunner

    return TrtRunner(path, trust_engine_code=options.trust_engine_code, onnx=options.engine_onnx)


BACKENDS: tuple[Backend, ...] = (
    Backend("torch-cpu", "checkpoint", "cpu", "PyTorch", "pip install 'lowlight-edge[export]'", _torch("cpu"),
            lambda: probes.torch_device("cpu"), speed_rank=1, default=True, reference=True),
    Backend("torch-cuda", "checkpoint", "gpu", "PyTorch CUDA", "a CUDA build of PyTorch", _torch("cuda"),
            lambda: probes.torch_device("cuda"), speed_rank=0, reference=True),
    Backend("ort-cpu", "onnx", "cpu", "ONNX Runtime", "pip install onnxruntime", _onnxruntime("cpu"),
            lambda: None, speed_rank=4, default=True),
    Backend("ort-cuda", "onnx", "gpu", "ONNX Runtime CUDA", "pip install onnxruntime-gpu (on a CUDA machine)",
            _onnxruntime("cuda"), lambda: probes.onnxruntime_provider("CUDAExecutionProvider"), speed_rank=1),
    Backend("ort-tensorrt", "onnx", "gpu", "ONNX Runtime TensorRT", "onnxruntime-gpu built with TensorRT",
            _onnxruntime("tensorrt"), lambda: probes.onnxruntime_provider("TensorrtExecutionProvider"), speed_rank=0),
    Backend("ov-cpu", "onnx", "cpu", "OpenVINO", "pip install openvino", _openvino("cpu"),
            lambda: probes.openvino_device("CPU"), speed_rank=3, suits=_openvino_suits("cpu")),
    # a runtime setting, not a new graph: the float layers of any ONNX in BF16 on CPUs that compute it natively
    Backend("ov-cpu-bf16", "onnx", "cpu", "OpenVINO BF16", "a CPU with AVX-512 BF16 or AMX, and pip install openvino",
            _openvino("cpu", "bf16"), probes.openvino_bf16, speed_rank=3, suits=_openvino_suits("cpu")),
    Backend("ov-gpu", "onnx", "gpu", "OpenVINO GPU (Intel)", "pip install openvino, and Intel's GPU driver",
            _openvino("gpu"), lambda: probes.openvino_device("GPU"), speed_rank=2),
    Backend("ov-npu", "onnx", "npu", "OpenVINO NPU (Intel)", "pip install openvino, and Intel's NPU driver",
            _openvino("npu"), lambda: probes.openvino_device("NPU"), speed_rank=2),
    Backend("tensorrt", "engine", "gpu", "TensorRT", TRT_HINT, _tensorrt, probes.tensorrt, speed_rank=0,
            default=True),
)
NAMES = tuple(b.name for b in BACKENDS)


def get_backend(name: str) -> Backend:
    """The row called `name`, or one line listing the choices."""
    for row in BACKENDS:
        if row.name == name:
            return row
    raise InputError(f"unknown backend {name!r}; choose from {', '.join(NAMES)}")


def default_backend(kind: str) -> Backend:
    return next(b for b in BACKENDS if b.kind == kind and b.default)


def backends_for(model: Path, wanted: list[str] | None) -> list[str]:
    """The backends of `wanted` (in the given order) that run `model`'s kind; its kind's default when none do."""
    kind = model_kind(model)
    chosen = [name for name in (wanted or []) if get_backend(name).kind == kind]
    return chosen or [default_backend(kind).name]


def usable(row: Backend, model: Path) -> str | None:
    """None when `row` can and should run `model` here, else the reason (with what to install, where that helps)."""
    missing = row.probe()
    return f"{missing} ({row.install})" if missing else row.suits(model)


def fastest_backend(model: Path) -> tuple[Backend, list[str]]:
    """The fastest backend that can run `model` here, and why each faster one installed here should not."""
    kind = model_kind(model)
    passed_over = []
    for row in sorted((b for b in BACKENDS if b.kind == kind), key=lambda b: b.speed_rank):
        if row.probe():  # not installed, or no such device here
            continue
        reason = row.suits(model)
        if reason is None:
            return row, passed_over
        passed_over.append(f"{row.name}: {reason}")
    return default_backend(kind), passed_over


def reference_backend(device: str) -> Backend | None:
    return next((b for b in BACKENDS if b.reference and b.device == device), None)


def backends_help() -> str:
    """The choices, for `--backend` help: name (what it runs, on what)."""
    return "; ".join(f"{b.name} ({b.kind} files, {b.runtime})" for b in BACKENDS)


def model_kind(path: Path) -> str:
    suffix = Path(path).suffix.lower()
    for kind, suffixes in MODEL_KINDS.items():
        if suffix in suffixes:
            return kind
    known = ", ".join(s for suffixes in MODEL_KINDS.values() for s in suffixes)
    raise InputError(f"cannot tell the model type of {path}: expected a file ending in one of {known}")
