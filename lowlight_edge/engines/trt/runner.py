"""TrtRunner: the runner interface over a TensorRT 10.3+/11.x engine, with pycuda (or cuda-python) buffers.

Device buffers and pinned host buffers (of each I/O tensor's own dtype) are sized once for the profile's max shape
and reused; each call checks the input against the profile's min and max, sets the input shapes, copies in, runs
`execute_async_v3` on one stream and copies out an output whose shape the engine reports. A pipeline engine (see
onnxgraph/pipeline_io.py) takes the mosaic bytes and levels and gives back uint8 pixels.
`last_gpu_ms` is the GPU time of the last inference from CUDA events. `infer` is timed on the host by the
benchmark (transfers included); `infer_staged` splits h2d / inference / d2h; `compute_call` runs the engine
alone on buffers already in place, timed by CUDA events (trtexec's "GPU Compute Time"). On a CPU the tests run it
under a stand-in generated from NVIDIA's real bindings with host memory for CUDA (tests/test_tensorrt_api.py).

An engine file is a program: a version-compatible plan embeds a lean runtime that TensorRT executes on the
host when it deserialises the plan. That runs only when the user passed `trust_engine_code`; the `.json`
sidecar beside the engine is untrusted and only ever narrows what is allowed. The ONNX file is hashed
only when the user names it (`onnx`), never from a path the sidecar gives.
"""

import platform
import time
import warnings
from pathlib import Path
from typing import Callable

import numpy as np

from lowlight_edge.engines.base import StagedRunner, TensorSpec
from lowlight_edge.engines.trt.cuda_memory import open_cuda
from lowlight_edge.engines.trt.meta import RuntimeInfo, compatibility, read_meta
from lowlight_edge.engines.trt.versions import import_tensorrt, trt_logger
from lowlight_edge.errors import InputError, ModelError, OutsideProfile
from lowlight_edge.fileio.hashing import sha256_file
from lowlight_edge.machine.jetson import is_jetson
from lowlight_edge.onnxgraph.pipeline_io import INPUT_NAMES, NEUTRAL_INPUT_NAMES, PipelineFeed, PipelineSpec


class TrtRunner(StagedRunner):
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
            self._release()
            raise

    def _load(self, trt, meta) -> None:
        device = self.cuda.info()
        if meta is None:
            warnings.warn(f"{self.path} has no metadata file: cannot check which TensorRT and GPU built it (and a "
                          "network engine is taken for a camera-convention one)", stacklevel=2)
        else:
            onnx_sha = sha256_file(self.onnx) if self.onnx is not None else None
            here = RuntimeInfo(trt.__version__, device.compute_capability, device.name, platform.machine(), is_jetson())
            reasons = compatibility(meta, here, onnx_sha)
            if reasons:
                raise ModelError(f"{self.path} cannot run here: {reasons[0]}")
            self.precision = meta.precision
            self.input_convention = meta.input_convention
        runtime = trt.Runtime(trt_logger(trt))
        runtime.engine_host_code_allowed = self.trust_engine_code  # the user's word alone, never the sidecar's
        if meta is not None and meta.dla_core is not None:
            runtime.DLA_core = meta.dla_core  # the runtime's default (-1) cannot deserialise a DLA engine
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
        self.pipeline = pipeline_of(inputs, outputs, engine)
        if self.pipeline is None and (len(inputs) != 1 or len(outputs) != 1):
            raise ModelError(f"{self.path}: expected one input and one output, found {len(inputs)} and {len(outputs)}")
        self._inputs, self._out = inputs, outputs[0]
        self._dtypes = {n: _numpy_dtype(trt, engine, n, self.path) for n in names}
        # each input's range of shapes: the profile's min/max for dynamic ones, the fixed shape for the others
        self._limits = {n: _shape_limits(engine, n) for n in inputs}
        for name, (_, largest) in self._limits.items():
            self._context.set_input_shape(name, largest)
        self._max_out = tuple(self._context.get_tensor_shape(self._out))  # read from the engine, never assumed
        if min(self._max_out, default=-1) < 0:
            raise ModelError(f"{self.path}: TensorRT cannot tell the output shape at the profile's maximum")
        self._host = {n: self.cuda.pinned(self._limits[n][1], self._dtypes[n]) for n in inputs}
        self._host[self._out] = self.cuda.pinned(self._max_out, self._dtypes[self._out])
        self._device = {n: self.cuda.alloc(host.nbytes) for n, host in self._host.items()}
        self._stream = self.cuda.stream()
        self._stream_handle = self.cuda.stream_handle(self._stream)  # once: not on every inference
        self._events = (self.cuda.event(), self.cuda.event())

    def deactivate(self) -> None:
        self._release()

    def _release(self) -> None:
        """Drop TensorRT's objects and the arrays viewing pinned memory, then free every CUDA allocation."""
        self._context = self._engine = None
        self._host, self._device, self._stream, self._stream_handle, self._events = {}, {}, None, None, ()
        self.cuda.release()
        self.cuda.pop()

    @property
    def inputs(self) -> list[TensorSpec]:
        return [TensorSpec(n, tuple(self._engine.get_tensor_shape(n)), str(self._dtypes[n])) for n in self._inputs]

    @property
    def outputs(self) -> list[TensorSpec]:
        return [TensorSpec(self._out, tuple(self._engine.get_tensor_shape(self._out)), str(self._dtypes[self._out]))]

    def _arrays(self, x: np.ndarray | PipelineFeed) -> dict[str, np.ndarray]:
        return x.arrays() if self.pipeline is not None else {self._inputs[0]: x}

    def _bind(self, x: np.ndarray | PipelineFeed) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """Set the input shapes and tensor addresses; return the pinned host views (inputs filled) for this call."""
        host_in = {}
        for name, array in self._arrays(x).items():
            smallest, largest = self._limits[name]
            if array.ndim != len(largest) or any(not lo <= s <= hi for lo, s, hi in zip(smallest, array.shape, largest)):
                raise OutsideProfile(f"input {name!r} of shape {list(array.shape)} is outside the engine's profile "
                                 f"{list(smallest)} to {list(largest)}; rebuild with other --min-shape/--max-shape"
                                 + ("" if self.pipeline is not None else " or use --max-tile"))
            view = self._host[name].reshape(-1)[: array.size].reshape(array.shape)
            np.copyto(view, array, casting="same_kind")
            if not self._context.set_input_shape(name, array.shape):
                raise OutsideProfile(f"TensorRT refused shape {list(array.shape)} for input {name!r} of {self.path.name}")
            self._context.set_tensor_address(name, self.cuda.address(self._device[name]))
            host_in[name] = view
        out_shape = tuple(self._context.get_tensor_shape(self._out))
        if min(out_shape, default=-1) < 0:
            raise ModelError(f"TensorRT cannot tell the output shape of {self.path.name} for these inputs")
        host_out = self._host[self._out].reshape(-1)[: int(np.prod(out_shape))].reshape(out_shape)
        self._context.set_tensor_address(self._out, self.cuda.address(self._device[self._out]))
        return host_in, host_out

    def _execute(self) -> float:
        """Run the engine on the bound buffers; GPU milliseconds from CUDA events."""
        stream = self._stream
        self.cuda.record(self._events[0], stream)
        if not self._context.execute_async_v3(self._stream_handle):
            raise ModelError(f"TensorRT failed to run {self.path}")
        self.cuda.record(self._events[1], stream)
        self.cuda.synchronize(stream)
        self.last_gpu_ms = self.cuda.elapsed_ms(*self._events)
        return self.last_gpu_ms

    def _upload(self, host_in: dict[str, np.ndarray]) -> None:
        for name, view in host_in.items():
            self.cuda.htod(self._device[name], view, self._stream)
        self.cuda.synchronize(self._stream)

    def _staged(self, packed: np.ndarray | PipelineFeed) -> tuple[np.ndarray, dict[str, float]]:
        t0 = time.perf_counter_ns()
        host_in, host_out = self._bind(packed)
        self._upload(host_in)
        t1 = time.perf_counter_ns()
        self._execute()
        t2 = time.perf_counter_ns()
        self.cuda.dtoh(host_out, self._device[self._out], self._stream)
        self.cuda.synchronize(self._stream)
        # a pipeline's pixels are copied as they are; a network's output becomes float32 (FP16 engines: I/O too)
        result = host_out.copy() if self.pipeline is not None else host_out.astype(np.float32, copy=True)
        t3 = time.perf_counter_ns()
        return result, {"h2d": (t1 - t0) / 1e6, self.compute_stage: (t2 - t1) / 1e6, "d2h": (t3 - t2) / 1e6}

    def compute_call(self, packed: np.ndarray | PipelineFeed) -> Callable[[], float]:
        """Inputs copied to device memory once; each call is execute_async_v3 alone, timed by CUDA events."""
        self.check_input(packed)
        host_in, _ = self._bind(packed)
        self._upload(host_in)
        return self._execute


def pipeline_of(inputs: list[str], outputs: list[str], engine) -> PipelineSpec | None:
    """An engine built from a pipeline graph has its inputs by name (a neutral one's two more); its output's rank
    gives the bit depth."""
    conventions = {tuple(sorted(INPUT_NAMES)): "camera", tuple(sorted(NEUTRAL_INPUT_NAMES)): "neutral"}
    convention = conventions.get(tuple(sorted(inputs)))
    if convention is None:
        return None
    if len(outputs) != 1:
        raise ModelError(f"a pipeline engine has one output, this one {len(outputs)}")
    return PipelineSpec(16 if len(engine.get_tensor_shape(outputs[0])) == 4 else 8, convention=convention)


def _numpy_dtype(trt, engine, name: str, path: Path) -> np.dtype:
    """The numpy type of an I/O tensor; TensorRT's `nptype` raises TypeError for types numpy lacks (BF16, FP8, INT4,
    FP4), which become one line naming the tensor."""
    dtype = engine.get_tensor_dtype(name)
    try:
        return np.dtype(trt.nptype(dtype))
    except TypeError:
        raise ModelError(f"{path}: I/O tensor {name!r} is {getattr(dtype, 'name', dtype)}, which has no numpy type; "
                         "lowlight-edge runs engines whose inputs and outputs are float32, float16, int8, int32, int64, "
                         "bool or uint8 (export that tensor as one of these)") from None


def _shape_limits(engine, name: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    shape = tuple(engine.get_tensor_shape(name))
    if min(shape, default=0) >= 0:
        return shape, shape
    smallest, _, largest = engine.get_tensor_profile_shape(name, 0)
    return tuple(smallest), tuple(largest)


def refuse_untrusted_host_code(path: Path, meta, trusted: bool) -> None:
    """A sidecar that declares a version-compatible plan (host code inside) stops the load unless the user trusts it."""
    if meta is not None and meta.version_compatible and not trusted:
        raise ModelError(f"{path} is a version-compatible engine: TensorRT would run the host code inside it. Pass "
                         "--trust-engine-code only if you trust this file like a program (you built it, or its source "
                         "is as trusted as your executables)")
