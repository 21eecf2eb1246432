"""The one module that owns CUDA: device info, pinned/device buffers, a stream, events.

pycuda is used when installed (an explicitly retained and pushed primary context, never
`pycuda.autoinit`); otherwise NVIDIA's cuda-python: `cuda.bindings.runtime` (12.6.1 and later, 13.x), or
`cuda.cudart` (up to 12.6.0, what TensorRT 10.3's samples pin for JetPack 6). Both expose the same small
interface to the TensorRT runner, and each backend frees what it allocated when `release()` is called (pinned
and device memory, streams, events): on a Jetson the GPU and the CPU share the same 8-16 GB.
`check_driver` refuses, in one line naming both versions, a CUDA driver older than the CUDA the bindings were
built for, before anything is built or written. The backends run on a GPU only (`make test-gpu`); on a CPU the
cuda-python backend runs against strict stand-ins of the real runtime modules (tests/test_cuda_python_api.py).
"""

from dataclasses import dataclass

import numpy as np

from lowlight_edge.engines.trt.versions import TRT_HINT
from lowlight_edge.errors import DeviceError, MissingDependency

INSUFFICIENT_DRIVER = 35  # cudaErrorInsufficientDriver: the driver is older than the runtime


@dataclass(frozen=True)
class DeviceInfo:
    name: str
    compute_capability: str
    driver_version: str
    cuda_version: str


def cuda_version(text: str) -> tuple[int, int]:
    """(major, minor) from CUDA's integer form ('12060', what cudaDriverGetVersion gives) or a dotted one ('12.6.0').

    >>> cuda_version("12020"), cuda_version("13.0.1")
    ((12, 2), (13, 0))
    """
    text = str(text).strip()
    if text.isdigit() and "." not in text:
        number = int(text)
        return number // 1000, (number % 1000) // 10
    parts = [int(p) for p in text.split(".")[:2] if p.isdigit()]
    return (parts + [0, 0])[0], (parts + [0, 0])[1]


def driver_problem(device: DeviceInfo, jetson: bool) -> str | None:
    """Why this driver cannot serve these bindings, or None. A desktop driver serves any runtime of its major version
    (CUDA minor version compatibility); on a Jetson the bindings must not be newer than JetPack's CUDA, so the pin
    follows the JetPack release (`lowlight-edge[jetson]` for JetPack 6's CUDA 12.6)."""
    driver, runtime = cuda_version(device.driver_version), cuda_version(device.cuda_version)
    if driver >= runtime or (driver[0] == runtime[0] and not jetson):
        return None
    where = "JetPack's" if jetson else "this"
    return (f"the CUDA driver supports CUDA {driver[0]}.{driver[1]}, older than the CUDA {runtime[0]}.{runtime[1]} the "
            f"installed CUDA bindings were built for; install bindings for {where} driver: pip install "
            f"'cuda-python=={driver[0]}.{driver[1]}.*'" + (" (or lowlight-edge[jetson])" if jetson else ""))


def check_driver(device: DeviceInfo, jetson: bool) -> None:
    problem = driver_problem(device, jetson)
    if problem is not None:
        raise DeviceError(problem)


def native_handle(obj) -> int:
    """The address behind a cuda-python object: `get_cuda_native_handle` where it exists (cuda-bindings 12.9.1+ and
    13.x deprecate `int(obj)`), `int(obj)` before."""
    try:
        from cuda.bindings.utils import get_cuda_native_handle
    except ImportError:
        return int(obj)
    try:
        return int(get_cuda_native_handle(obj))
    except TypeError:  # a type without a registered getter
        return int(obj)


def open_cuda():
    """A CUDA backend object (pycuda first, then cuda-python), or one line naming the install."""
    try:
        import pycuda.driver  # noqa: F401 - probe: is pycuda installed?

        return PycudaBackend()
    except ImportError:
        pass
    try:
        from cuda.bindings import runtime  # cuda-python 12.6.1+ and 13.x
    except ImportError:
        try:
            from cuda import cudart as runtime  # cuda-python up to 12.6.0
        except ImportError as exc:
            raise MissingDependency("the TensorRT runtime needs pycuda or cuda-python, neither is installed; run: "
                                    f"{TRT_HINT}") from exc
    return CudaPythonBackend(runtime)


class PycudaBackend:
    def __init__(self, device: int = 0) -> None:
        import pycuda.driver as cuda

        self.cuda = cuda
        cuda.init()
        self.device = cuda.Device(device)
        self.context = self.device.retain_primary_context()
        self._owned: list = []  # HostAllocation and DeviceAllocation objects, freed by release()

    def push(self) -> None:
        self.context.push()

    def pop(self) -> None:
        self.cuda.Context.pop()

    def info(self) -> DeviceInfo:
        major, minor = self.device.compute_capability()
        driver = self.cuda.get_driver_version()
        return DeviceInfo(self.device.name(), f"{major}.{minor}", str(driver),
                          ".".join(map(str, self.cuda.get_version())))

    def pinned(self, shape, dtype) -> np.ndarray:
        array = self.cuda.pagelocked_empty(shape, dtype)
        self._owned.append(array.base)
        return array

    def alloc(self, nbytes: int):
        allocation = self.cuda.mem_alloc(max(int(nbytes), 1))
        self._owned.append(allocation)
        return allocation

    def release(self) -> None:
        """Free every buffer allocated here (streams and events go with their last reference)."""
        while self._owned:
            self._owned.pop().free()

    def stream(self):
        return self.cuda.Stream()

    def stream_handle(self, stream) -> int:
        return stream.handle

    def htod(self, device, host: np.ndarray, stream) -> None:
        self.cuda.memcpy_htod_async(device, host, stream)

    def dtoh(self, host: np.ndarray, device, stream) -> None:
        self.cuda.memcpy_dtoh_async(host, device, stream)

    def synchronize(self, stream) -> None:
        stream.synchronize()

    def event(self):
        return self.cuda.Event()

    def record(self, event, stream) -> None:
        event.record(stream)

    def elapsed_ms(self, start, end) -> float:
        end.synchronize()
        return start.time_till(end)

    def address(self, device) -> int:
        return int(device)


class CudaPythonBackend:
    def __init__(self, runtime, device: int = 0) -> None:
        self.rt = runtime  # cuda.bindings.runtime or cuda.cudart: the same functions
        self._check(runtime.cudaSetDevice(device))
        self.device = device
        # what release() frees, by the call that frees it
        self._owned: dict[str, list] = {"cudaFreeHost": [], "cudaFree": [], "cudaStreamDestroy": [],
                                        "cudaEventDestroy": []}

    def _check(self, result):
        err, *rest = result if isinstance(result, tuple) else (result,)
        if int(err) != 0:
            name = getattr(err, "name", str(err))
            if int(err) == INSUFFICIENT_DRIVER:
                raise DeviceError(f"CUDA {name}: the NVIDIA driver is older than the CUDA the installed cuda-python "
                                  "was built for; install the cuda-python of the driver's CUDA version (nvidia-smi "
                                  "shows it; on JetPack 6: pip install 'lowlight-edge[jetson]')")
            raise DeviceError(f"CUDA call failed: {name} ({int(err)})")
        return rest[0] if len(rest) == 1 else rest

    def push(self) -> None:
        self._check(self.rt.cudaSetDevice(self.device))

    def pop(self) -> None:
        pass

    def info(self) -> DeviceInfo:
        props = self._check(self.rt.cudaGetDeviceProperties(self.device))
        driver = self._check(self.rt.cudaDriverGetVersion())
        runtime = self._check(self.rt.cudaRuntimeGetVersion())
        name = props.name.decode() if isinstance(props.name, bytes) else str(props.name)
        return DeviceInfo(name.strip("\x00"), f"{props.major}.{props.minor}", str(driver), str(runtime))

    def pinned(self, shape, dtype) -> np.ndarray:
        nbytes = int(np.prod(shape)) * np.dtype(dtype).itemsize
        pointer = self._check(self.rt.cudaMallocHost(nbytes))
        self._owned["cudaFreeHost"].append(pointer)
        import ctypes

        buffer = (ctypes.c_byte * nbytes).from_address(int(pointer))
        return np.frombuffer(buffer, dtype=dtype).reshape(shape)

    def alloc(self, nbytes: int):
        pointer = self._check(self.rt.cudaMalloc(max(int(nbytes), 1)))
        self._owned["cudaFree"].append(pointer)
        return pointer

    def stream(self):
        stream = self._check(self.rt.cudaStreamCreate())
        self._owned["cudaStreamDestroy"].append(stream)
        return stream

    def release(self) -> None:
        """Free every buffer, stream and event created here (the arrays viewing pinned memory must be dropped)."""
        for call, handles in self._owned.items():
            while handles:
                self._check(getattr(self.rt, call)(handles.pop()))

    def stream_handle(self, stream) -> int:
        return native_handle(stream)

    def htod(self, device, host: np.ndarray, stream) -> None:
        kind = self.rt.cudaMemcpyKind.cudaMemcpyHostToDevice
        self._check(self.rt.cudaMemcpyAsync(device, host.ctypes.data, host.nbytes, kind, stream))

    def dtoh(self, host: np.ndarray, device, stream) -> None:
        kind = self.rt.cudaMemcpyKind.cudaMemcpyDeviceToHost
        self._check(self.rt.cudaMemcpyAsync(host.ctypes.data, device, host.nbytes, kind, stream))

    def synchronize(self, stream) -> None:
        self._check(self.rt.cudaStreamSynchronize(stream))

    def event(self):
        event = self._check(self.rt.cudaEventCreate())
        self._owned["cudaEventDestroy"].append(event)
        return event

    def record(self, event, stream) -> None:
        self._check(self.rt.cudaEventRecord(event, stream))

    def elapsed_ms(self, start, end) -> float:
        self._check(self.rt.cudaEventSynchronize(end))
        return float(self._check(self.rt.cudaEventElapsedTime(start, end)))

    def address(self, device) -> int:
        return int(device)
