"""What machine and libraries produced a result: recorded in every result file."""

import os
import platform
import socket
import sys
from importlib import metadata

from lowlight_edge.machine.cpu import int8_dot_product
from lowlight_edge.machine.jetson import capture_jetson


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def _memory_gib() -> float | None:
    try:
        return round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    except (ValueError, OSError, AttributeError):
        return None


def _gpu() -> str | None:
    """GPU name and driver from nvidia-smi when there is one (desktop); None on a CPU-only machine."""
    import shutil
    import subprocess

    if shutil.which("nvidia-smi") is None:
        return None
    try:
        done = subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version", "--format=csv,noheader"],
                              capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    line = done.stdout.strip().splitlines()[:1]
    return line[0].replace(", ", ", driver ") if done.returncode == 0 and line else None


def _cuda() -> dict | None:
    """CUDA and cuDNN as PyTorch sees them (only when torch is already loaded: never import it for this)."""
    torch = sys.modules.get("torch")
    if torch is None or not torch.cuda.is_available():
        return None
    cudnn = torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else None
    return {"cuda": torch.version.cuda, "cudnn": cudnn, "device": torch.cuda.get_device_name(0)}


def _threads(requested: int | None) -> dict:
    torch = sys.modules.get("torch")
    return {"requested": requested, "torch": torch.get_num_threads() if torch else None,
            "onnxruntime": requested or "one per physical core (ONNX Runtime default)",
            "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS")}


def capture(threads: int | None = None) -> dict:
    libs = ["lowlight-edge", "numpy", "onnx", "onnxruntime", "onnxruntime-gpu", "openvino", "torch", "tensorrt",
            "pycuda", "cuda-python", "cuda-bindings"]
    jetson = capture_jetson()
    warnings = list(jetson.get("warnings", [])) if jetson else []
    return {
        "host": socket.gethostname(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "cpu_int8_dot_product": int8_dot_product(),  # VNNI/AMX/asimddp: INT8 sums in 32 bits, not 16
        "memory_gib": _memory_gib(),
        "gpu": _gpu(),
        "cuda": _cuda(),
        "jetson": jetson,
        "python": sys.version.split()[0],
        "libraries": {name: _version(name) for name in libs},
        "threads": _threads(threads),
        "command": " ".join([os.path.basename(sys.argv[0])] + sys.argv[1:]),
        "warnings": warnings,
    }
