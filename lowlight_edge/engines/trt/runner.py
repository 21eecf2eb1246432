"""TrtRunner: the runner interface over a TensorRT 10.3+/11.x engine, with pycuda (or cuda-python) buffers.

Device buffers and pinned host buffers are sized once for the profile's max shape and reused; each call
sets the input shape (dynamic H/W), copies in, runs `execute_async_v3` on one stream and copies out.
`last_gpu_ms` is the GPU time of the last inference from CUDA events. `infer` is timed on the host by the
benchmark (transfers included); `infer_staged` splits h2d / inference / d2h; `compute_call` runs the engine
alone on buffers already in place, timed by CUDA events (trtexec's "GPU Compute Time"). Not exercised by the CPU test suite.

An engine file is a program: a version-compatible plan embeds a lean runtime that TensorRT executes on the
host when it deserialises the plan. That runs only when the user passed `trust_engine_code`; the `.json`
sidecar beside the engine is untrusted and only ever narrows what is allowed. The ONNX file is hashed
only when the user names it (`onnx`), never from a path the sidecar gives.
"""

import time
import warnings
from pathlib import Path
from typing import Callable

import numpy as np

from lowlight_edge.engines.base import Runner, TensorSpec, check_packed
from lowlight_edge.engines.trt.cuda_memory import open_cuda
from lowlight_edge.engines.trt.meta import RuntimeInfo, compatibility, read_meta
from lowlight_edge.engines.trt.versions import import_tensorrt
from lowlight_edge.errors import InputError, ModelError
from lowlight_edge.fileio.hashing import sha256_file


class TrtRunner(Runner):
    backend = "tensorrt"

    def __init__(self, path: Path, trust_engine_code: bool = False, onnx: Path | None = None) -> None:
        super().__init__(path)
        self.trust_engine_code = trust_engine_code
        self.onnx = Path(onnx) if onnx is not None else None
        self.last_gpu_ms: float | None = None

    def activate(self) -> None:
        # what can be refused without TensorRT or a GPU is refused first, with the same message everywhere
        if not self.path.is_file() or self.path.stat().st_size == 0:
            raise ModelError(f"engine file missing or empty: {self.path}")
        meta = read_meta(self.path)
        refuse_untrusted_host_code(self.path, meta, self.trust_engine_code)
        if self.onnx is not None and not self.onnx.is_file():
            raise InputError(f"--engine-onnx {self.onnx} is not a file")
        trt = import_tensorrt()
        self.cuda = open_cuda()
        self.cuda.push()
        try:
            self._load(trt, meta)
        except BaseException:
            self.cuda.pop()
            raise

    def _load(self, trt, meta) -> None:
        device = self.cuda.info()
        if meta is None:
            warnings.warn(f"{self.path} has no metadata file: cannot check which TensorRT and GPU built it", stacklevel=2)
        else:
            onnx_sha = sha256_file(self.onnx) if self.onnx is not None else None
            reasons = compatibility(meta, RuntimeInfo(trt.__version__, device.compute_capability, device.name), onnx_sha)
            if reasons:
                raise ModelError(f"{self.path} cannot run here: {reasons[0]}")
            self.precision = meta.precision
        self._logger = trt.Logger(trt.Logger.WARNING)
        runtime = trt.Runtime(self._logger)
        runtime.engine_host_code_allowed = self.trust_engine_code  # the user's word alone, never the sidecar's
        engine = runtime.deserialize_cuda_engine(self.path.read_bytes())
        if engine is None:
            hint = "" if self.trust_engine_code else (" If it is a version-compatible engine you trust like a program, "
                                                      "pass --trust-engine-code.")
            raise ModelError(f"TensorRT {trt.__version__} could not deserialise {self.path} (corrupt, or built by "
                             f"another TensorRT or GPU); rebuild it with lowlight-edge build.{hint}")
        self._engine, self._context = engine, engine.create_execution_context()
        names = [engine.get_tensor_name(i) for i in range(engine.num_io_tensors)]
        inputs = [n for n in names if engine.get_tensor_mode(n) == trt.TensorIOMode.INPUT]
        outputs = [n for n in names if engine.get_tensor_mode(n) == trt.TensorIOMode.OUTPUT]
        if len(inputs) != 1 or len(outputs) != 1:
            raise ModelError(f"{self.path}: expected one input and one output, found {len(inputs)} and {len(outputs)}")
        self._in, self._out = inputs[0], outputs[0]
        self._in_dtype = np.dtype(trt.nptype(engine.get_tensor_dtype(self._in)))
        self._out_dtype = np.dtype(trt.nptype(engine.get_tensor_dtype(self._out)))
        self._max_in = tuple(engine.get_tensor_profile_shape(self._in, 0)[2])
        n, _, h, w = self._max_in
        self._max_out = (n, 3, 2 * h, 2 * w)
        self._host_in = self.cuda.pinned(self._max_in, self._in_dtype)
        self._host_out = self.cuda.pinned(self._max_out, self._out_dtype)
        self._dev_in = self.cuda.alloc(self._host_in.nbytes)
        self._dev_out = self.cuda.alloc(self._host_out.nbytes)
        self._stream = self.cuda.stream()
        self._events = (self.cuda.event(), self.cuda.event())

    def deactivate(self) -> None:
        self._context = self._engine = None
        self.cuda.pop()

    @property
    def inputs(self) -> list[TensorSpec]:
        return [TensorSpec(self._in, tuple(self._engine.get_tensor_shape(self._in)), str(self._in_dtype))]

    @property
    def outputs(self) -> list[TensorSpec]:
        return [TensorSpec(self._out, tuple(self._engine.get_tensor_shape(self._out)), str(self._out_dtype))]

    def _bind(self, packed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Set the input shape and tensor addresses; return the pinned host views for this shape."""
        if any(s > m for s, m in zip(packed.shape, self._max_in)):
            raise InputError(f"input {list(packed.shape)} exceeds the engine's profile max {list(self._max_in)}; "
                             "rebuild with a larger --max-shape or use --max-tile")
        host_in = self._host_in.reshape(-1)[: packed.size].reshape(packed.shape)
        np.copyto(host_in, packed, casting="same_kind")
        self._context.set_input_shape(self._in, packed.shape)
        out_shape = tuple(self._context.get_tensor_shape(self._out))
        host_out = self._host_out.reshape(-1)[: int(np.prod(out_shape))].reshape(out_shape)
        self._context.set_tensor_address(self._in, self.cuda.address(self._dev_in))
        self._context.set_tensor_address(self._out, self.cuda.address(self._dev_out))
        return host_in, host_out

    def _execute(self) -> float:
        """Run the engine on the bound buffers; GPU milliseconds from CUDA events."""
        stream = self._stream
        self.cuda.record(self._events[0], stream)
        if not self._context.execute_async_v3(self.cuda.stream_handle(stream)):
            raise ModelError(f"TensorRT failed to run {self.path}")
        self.cuda.record(self._events[1], stream)
        self.cuda.synchronize(stream)
        self.last_gpu_ms = self.cuda.elapsed_ms(*self._events)
        return self.last_gpu_ms

    def _infer(self, packed: np.ndarray) -> np.ndarray:
        return self._staged(packed)[0]

    def infer_staged(self, packed: np.ndarray) -> tuple[np.ndarray, dict[str, float]]:
        check_packed(packed, self.size_multiple)
        return self._staged(packed)

    def _staged(self, packed: np.ndarray) -> tuple[np.ndarray, dict[str, float]]:
        t0 = time.perf_counter_ns()
        host_in, host_out = self._bind(packed)
        self.cuda.htod(self._dev_in, host_in, self._stream)
        self.cuda.synchronize(self._stream)
        t1 = time.perf_counter_ns()
        self._execute()
        t2 = time.perf_counter_ns()
        self.cuda.dtoh(host_out, self._dev_out, self._stream)
        self.cuda.synchronize(self._stream)
        result = host_out.astype(np.float32, copy=True)
        t3 = time.perf_counter_ns()
        return result, {"h2d": (t1 - t0) / 1e6, "inference": (t2 - t1) / 1e6, "d2h": (t3 - t2) / 1e6}

    def compute_call(self, packed: np.ndarray) -> Callable[[], float]:
        """Input copied to device memory once; each call is execute_async_v3 alone, timed by CUDA events."""
        check_packed(packed, self.size_multiple)
        host_in, _ = self._bind(packed)
        self.cuda.htod(self._dev_in, host_in, self._stream)
        self.cuda.synchronize(self._stream)
        return self._execute


def refuse_untrusted_host_code(path: Path, meta, trusted: bool) -> None:
    """A sidecar that declares a version-compatible plan (host code inside) stops the load unless the user trusts it."""
    if meta is not None and meta.version_compatible and not trusted:
        raise ModelError(f"{path} is a version-compatible engine: TensorRT would run the host code inside it. Pass "
                         "--trust-engine-code only if you trust this file like a program (you built it, or its source "
                         "is as trusted as your executables)")
