"""Can a backend run here? Cheap checks, without loading a model: None when it can, else the reason.

Used to pick the fastest installed runtime (`enhance` with no `--backend`); a backend that is asked for
anyway still says why it cannot run, with its install hint, when its runner is activated.
"""

from functools import cache

from lowlight_edge.deps import available
from lowlight_edge.machine.cpu import bf16_native


@cache
def torch_device(device: str) -> str | None:
    if not available("torch"):
        return "PyTorch is not installed"
    import torch  # only when a checkpoint is to be run: importing torch takes a second

    if device == "cuda" and not torch.cuda.is_available():
        return "PyTorch sees no CUDA device"
    return None


@cache
def onnxruntime_provider(provider: str) -> str | None:
    import onnxruntime as ort

    return None if provider in ort.get_available_providers() else f"ONNX Runtime here has no {provider}"


@cache
def openvino_device(device: str) -> str | None:
    if not available("openvino"):
        return "OpenVINO is not installed"
    import openvino as ov

    devices = {d.split(".")[0] for d in ov.Core().available_devices}
    return None if device in devices else f"OpenVINO sees no {device} device"


@cache
def tensorrt() -> str | None:
    return None if available("tensorrt") else "TensorRT is not installed"


def openvino_bf16() -> str | None:
    """OpenVINO's CPU with BF16 inference precision: only where the CPU computes BF16 (never emulated)."""
    return openvino_device("CPU") or bf16_native()
