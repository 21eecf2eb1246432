"""The one module that owns CUDA: device info, pinned/device buffers, a stream, events.

pycuda is used when installed (an explicitly retained and pushed primary context, never
`pycuda.autoinit`); otherwise NVIDIA's cuda-python (`cuda.bindings.runtime`), which the TensorRT samples
now use. Both expose the same small interface to the TensorRT runner.
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
        from cuda.bindings import runtime  # noqa: F401 - probe: is cuda-python installed?

        return CudaPythonBackend()
    except ImportError as exc:
        raise MissingDependency(f"the TensorRT runtime needs pycuda or cuda-python, neither is installed; run: {TRT_HINT}") from exc


class PycudaBackend:
    def __init__(self, device: int = 0) -> None:
        import pycuda.driver as cuda

        self.cuda = cuda
        cuda.init()
        self.device = cuda.Device(device)
        self.context = self.device.retain_primary_context()

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
        return self.cuda.pagelocked_empty(shape, dtype)

    def alloc(self, nbytes: int):
        return self.cuda.mem_alloc(max(int(nbytes), 1))

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
    def __init__(self, device: int = 0) -> None:
        from cuda.bindings import runtime as cudart

        self.rt = cudart
        self._check(cudart.cudaSetDevice(device))
        self.device = device

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
        import ctypes

        buffer = (ctypes.c_byte * nbytes).from_address(int(pointer))
        return np.frombuffer(buffer, dtype=dtype).reshape(shape)

    def alloc(self, nbytes: int):
        return self._check(self.rt.cudaMalloc(max(int(nbytes), 1)))

    def stream(self):
        return self._check(self.rt.cudaStreamCreate())

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
        return self._check(self.rt.cudaEventCreate())

    def record(self, event, stream) -> None:
        self._check(self.rt.cudaEventRecord(event, stream))

    def elapsed_ms(self, start, end) -> float:
        self._check(self.rt.cudaEventSynchronize(end))
        return float(self._check(self.rt.cudaEventElapsedTime(start, end)))

    def address(self, device) -> int:
        return int(device)
