"""Lazy imports of heavy optional modules, with an error that names the extra to install.

The runtime side (ONNX Runtime runner, bench, report) must work on a Jetson without torch, so torch,
tensorrt and matplotlib are imported only inside the function that needs them, through `require`.
"""

import importlib
from types import ModuleType

from lowlight_edge.errors import MissingDependency

# module name -> the pip extra that provides it
_EXTRA_FOR = {
    "torch": "export",
    "onnxslim": "export",
    "tensorrt": "trt",
    "pycuda": "trt",
    "matplotlib": "plots",
}


def require(module: str, purpose: str) -> ModuleType:
    """Import `module` or raise MissingDependency saying which extra provides it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        top = module.split(".")[0]
        extra = _EXTRA_FOR.get(top)
        hint = f"pip install 'lowlight-edge[{extra}]'" if extra else f"pip install {top}"
        raise MissingDependency(f"{purpose} needs {top}, which is not installed ({exc}); run: {hint}") from exc


def available(module: str) -> bool:
    """True when `module` can be imported (without raising for a missing one)."""
    try:
        importlib.import_module(module)
    except ImportError:
        return False
    return True
