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


@pytest.mark.parametrize("driver,runtime,jetson,refused", [
    ("12060", "12060", True, False),  # JetPack 6.1/6.2 with the pinned bindings
    ("12020", "12060", True, True),  # JetPack's driver older than the bindings: refused on a Jetson
    ("12020", "12.6.0", False, False),  # a desktop driver serves a newer runtime of its major (minor compatibility)
    ("12080", "13000", False, True),  # never across majors
    ("13000", "12060", True, False),  # a newer driver serves older bindings
])
def test_a_driver_older_than_the_bindings_is_named_before_anything_runs(driver, runtime, jetson, refused):
    from lowlight_edge.errors import DeviceError

    device = cuda_memory.DeviceInfo("GPU", "8.7", driver, runtime)
    if not refused:
        cuda_memory.check_driver(device, jetson)
        return
    with pytest.raises(DeviceError, match=r"the CUDA driver supports CUDA 1\d\.\d, older than the CUDA 1\d\.\d"):
        cuda_memory.check_driver(device, jetson)


@pytest.mark.parametrize("label", LABELS)
def test_insufficient_driver_from_cuda_python_is_one_line_naming_the_fix(cuda_apis, label):
    from lowlight_edge.errors import DeviceError

    runtime = standin_runtime(cuda_apis[label])
    runtime.cudaSetDevice = lambda device: (enum.IntEnum("cudaError_t", {"cudaErrorInsufficientDriver": 35})(35),)
    with pytest.raises(DeviceError, match="cudaErrorInsufficientDriver: the NVIDIA driver is older"):
        cuda_memory.CudaPythonBackend(runtime)


@pytest.mark.parametrize("label", LABELS)
def test_stream_handles_come_from_the_accessor_the_bindings_offer(tmp_path, label):
    """Finding 6: cuda-bindings 12.9.1+/13 deprecate int(handle) for get_cuda_native_handle; older ones have only int.
    Run in the real bindings (no driver needed to make a handle object from an address)."""
    import os
    import subprocess
    import sys
    import zipfile

    wheels = cuda_bindings.wheels_for(label)
    if wheels is None:
        pytest.skip(f"cuda-python {label} wheels not downloaded; run make test-data")
    target = tmp_path / label
    for wheel in wheels:
        with zipfile.ZipFile(wheel) as archive:
            archive.extractall(target)
    module = cuda_bindings.VERSIONS[label][1]
    code = (f"import warnings, importlib; warnings.simplefilter('error'); rt = importlib.import_module('{module}'); "
            "from lowlight_edge.engines.trt.cuda_memory import native_handle; "
            "stream = rt.cudaStream_t(init_value=0x5150); print(native_handle(stream)); "
            "import importlib.util as u; print(u.find_spec('cuda.bindings.utils') is not None if "
            "u.find_spec('cuda.bindings') else False)")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(target), str(Path(cuda_memory.__file__).parents[3])])}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-800:]
    handle, has_accessor = done.stdout.split()
    assert int(handle) == 0x5150  # the address, without a deprecation warning (warnings are errors here)
    assert has_accessor == ("False" if label == "12.6.0" else "True")
