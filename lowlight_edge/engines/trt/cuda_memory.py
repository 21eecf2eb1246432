"""The one module that owns CUDA: device info, pinned/device buffers, a stream, events.

pycuda is used when installed (an explicitly retained and pushed primary context, never
`pycuda.autoinit`); otherwise NVIDIA's cuda-python: `cuda.bindings.runtime` (12.6.1 and later, 13.x), or
`cuda.cudart` (up to 12.6.0, what TensorRT 10.3's samples pin for JetPack 6). Both expose the same small
interface to the TensorRT runner, and each backend frees what it allocated when `release()` is called (pinned
and device memory, streams, events): on a Jetson the GPU and the CPU share the same 8-16 GB.
Not exercised by the CPU test suite: `make test-gpu` runs it on a machine with a GPU.
"""

from dataclasses import dataclass

import numpy as np

from lowlight_edge.engines.trt.versions import TRT_HINT
from lowlight_edge.errors import MissingDependency


@dataclass(frozen=True)
class DeviceInfo:
    name: str
    compute_capability: str
    driver_version: str
    cuda_version: str


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
            raise RuntimeError(f"CUDA error {err}")
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
        return int(stream)

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
