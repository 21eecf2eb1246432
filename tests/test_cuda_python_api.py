"""The CUDA layer (engines/trt/cuda_memory.py) against the real signatures of cuda-python 12.6.0 (`cuda.cudart`),
12.9 and 13.0 (`cuda.bindings.runtime`).

Each runtime module's functions become strict stand-ins (positional arguments checked against the real parameter
list) that answer like CUDA without a GPU; the project's cuda-python backend then runs its whole cycle on them. A
missing function or a wrong argument count fails. CUDA itself does not run here.
"""

import ast
import ctypes
import enum
import types
from pathlib import Path

import cuda_bindings
import numpy as np
import pytest

from lowlight_edge.engines.trt import cuda_memory

LABELS = list(cuda_bindings.VERSIONS)
CREATES = ("cudaMalloc", "cudaStreamCreate", "cudaEventCreate")


@pytest.fixture(scope="session")
def cuda_apis(tmp_path_factory):
    missing = [label for label in LABELS if cuda_bindings.wheels_for(label) is None]
    if missing:
        pytest.skip(f"cuda-python wheels for {', '.join(missing)} not in {cuda_bindings.WHEELS}; run make test-data")
    folder = tmp_path_factory.mktemp("cuda-python")
    return {label: cuda_bindings.api_of(label, folder) for label in LABELS}


class _Props:
    name, major, minor = b"Stand-in GPU", 8, 7


def standin_runtime(api: dict) -> types.ModuleType:
    """A module with every function of `api`, checking arity, recording calls, answering (error 0, value)."""
    module = types.ModuleType(api["module"])
    module.calls = []
    module.host_buffers = []  # real memory behind cudaMallocHost's pointers (the backend views it with numpy)
    module.cudaMemcpyKind = enum.IntEnum("cudaMemcpyKind", {k: i for i, k in enumerate(api["cudaMemcpyKind"])})

    def make(name: str, params: list[dict]):
        required = sum(not p["default"] for p in params)

        def function(*args):
            if not required <= len(args) <= len(params):
                raise TypeError(f"cuda-python {api['module']}.{name} takes {[p['name'] for p in params]}, "
                                f"got {len(args)} arguments")
            module.calls.append(name)
            if name == "cudaMallocHost":
                buffer = (ctypes.c_byte * int(args[0]))()
                module.host_buffers.append(buffer)
                return 0, ctypes.addressof(buffer)
            if name.startswith(CREATES):
                return 0, len(module.calls)
            answers = {"cudaGetDeviceProperties": _Props(), "cudaEventElapsedTime": 0.25,
                       "cudaDriverGetVersion": 12060, "cudaRuntimeGetVersion": 12060}
            return (0, answers[name]) if name in answers else (0,)

        return function

    for name, params in api["functions"].items():
        setattr(module, name, make(name, params))
    return module


def _runtime_names() -> set[str]:
    """Every runtime function cuda_memory.py names: `self.rt.NAME(...)` and the release table's keys."""
    tree = ast.parse(Path(cuda_memory.__file__).read_text())
    names = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Attribute)
             and n.value.attr == "rt"}
    names |= {k.value for n in ast.walk(tree) if isinstance(n, ast.Dict) for k in n.keys
              if isinstance(k, ast.Constant) and str(k.value).startswith("cuda")}
    return names - {"cudaMemcpyKind"}


@pytest.mark.parametrize("label", LABELS)
def test_every_runtime_function_the_backend_names_exists_in_cuda_python(cuda_apis, label):
    names = _runtime_names()
    assert {"cudaMallocHost", "cudaFreeHost", "cudaMemcpyAsync", "cudaEventDestroy"} <= names  # the scan sees the code
    assert sorted(names - set(cuda_apis[label]["functions"])) == []
    assert {"cudaMemcpyHostToDevice", "cudaMemcpyDeviceToHost"} <= set(cuda_apis[label]["cudaMemcpyKind"])


@pytest.mark.parametrize("label", LABELS)
def test_the_backend_runs_its_whole_cycle_on_the_real_signatures_and_frees_everything(cuda_apis, label):
    runtime = standin_runtime(cuda_apis[label])
    backend = cuda_memory.CudaPythonBackend(runtime)
    backend.push()
    assert backend.info().compute_capability == "8.7"
    host = backend.pinned((4, 8), np.float32)
    host[:] = 1.5
    device = backend.alloc(host.nbytes)
    stream, start, end = backend.stream(), backend.event(), backend.event()
    backend.htod(device, host, stream)
    backend.record(start, stream)
    backend.record(end, stream)
    backend.dtoh(host, device, stream)
    backend.synchronize(stream)
    assert backend.elapsed_ms(start, end) == 0.25
    del host
    backend.release()
    freed = [c for c in runtime.calls if c.endswith(("Free", "FreeHost", "Destroy"))]
    assert sorted(freed) == ["cudaEventDestroy", "cudaEventDestroy", "cudaFree", "cudaFreeHost", "cudaStreamDestroy"]


def test_the_checker_catches_a_wrong_argument_count(cuda_apis):
    runtime = standin_runtime(cuda_apis[LABELS[0]])
    with pytest.raises(TypeError, match="cudaMemcpyAsync"):
        runtime.cudaMemcpyAsync(1, 2, 3, 4)  # the stream is missing
    assert not hasattr(runtime, "cudaMallocHostt")
