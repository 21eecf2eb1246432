"""ONNX Runtime runner: the embedded default backend (CPU provider), CUDA/TensorRT providers on request."""

from pathlib import Path
from typing import Callable

import numpy as np
import onnx
import onnxruntime as ort

from lowlight_edge.engines.base import Runner, TensorSpec
from lowlight_edge.errors import BackendUnavailable, InputError, ModelError
from lowlight_edge.onnxgraph.files import validate_onnx_file, with_weights_in_memory
from lowlight_edge.onnxgraph.graph import expose_all_outputs
from lowlight_edge.onnxgraph.metadata import (
    CHECKPOINT_SHA256_KEY,
    PRECISION_KEY,
    input_convention_of,
    read_metadata,
    size_multiple_of,
)
from lowlight_edge.onnxgraph.pipeline_io import PipelineFeed, PipelineSpec

PROVIDERS = {
    "cpu": "CPUExecutionProvider",
    "cuda": "CUDAExecutionProvider",
    "tensorrt": "TensorrtExecutionProvider",
}


class OrtRunner(Runner):
    def __init__(self, path: Path, provider: str = "cpu", threads: int | None = None) -> None:
        super().__init__(path)
        if provider not in PROVIDERS:
            raise InputError(f"unknown ONNX Runtime provider {provider!r}; choose from {', '.join(PROVIDERS)}")
        self.provider = provider
        self.threads = threads
        self.backend = f"ort-{provider}"
        self._session: ort.InferenceSession | None = None

    def activate(self) -> None:
        wanted = PROVIDERS[self.provider]
        if wanted not in ort.get_available_providers():
            raise BackendUnavailable(
                f"ONNX Runtime here has no {wanted} (available: {', '.join(ort.get_available_providers())}); "
                "install onnxruntime-gpu on a CUDA machine or use --backend ort-cpu"
            )
        model = validate_onnx_file(self.path)
        self.pipeline = PipelineSpec.from_metadata(read_metadata(model))
        options = ort.SessionOptions()
        if self.threads:
            options.intra_op_num_threads = self.threads
        self._output_names = [o.name for o in model.graph.output]
        source = str(self.path)
        if self.provider == "cpu" and _has_fp16(model):
            # The CPU provider runs FP16 ops that lack CPU kernels in FP32 behind inserted Casts and drops the
            # FP32->FP16->FP32 round trips between them, hiding FP16 rounding and overflow. Exposing every
            # tensor as a graph output forces each one through FP16, so the drift measured on a CPU is the
            # drift a GPU would show (at a cost in CPU speed, which is not quoted for FP16 anyway).
            source = expose_all_outputs(with_weights_in_memory(model, self.path)).SerializeToString()
        options.log_severity_level = 3  # errors only: warnings about unused initializers are noise here
        providers = [wanted] if wanted == "CPUExecutionProvider" else [wanted, "CPUExecutionProvider"]
        try:
            self._session = ort.InferenceSession(source, sess_options=options, providers=providers)
        except Exception as exc:  # ORT raises its own Fail/InvalidGraph/RuntimeException types
            raise ModelError(f"ONNX Runtime cannot load {self.path}: {str(exc).splitlines()[0][:300]}") from exc
        self._check_io()
        first = self._session.get_inputs()[0]
        self._input_name = first.name
        self._input_fp16 = first.type == "tensor(float16)"  # a model converted with FP16 I/O (--fp16-io)
        meta = self._session.get_modelmeta().custom_metadata_map
        self.size_multiple = size_multiple_of(meta)
        self.precision = meta.get(PRECISION_KEY, "fp32")
        self.input_convention = input_convention_of(meta)
        if self.pipeline is not None and self.pipeline.convention != self.input_convention:
            raise ModelError(f"{self.path}: its pipeline takes {self.pipeline.convention} input but its network "
                             f"{self.input_convention}: the metadata contradicts itself")
        self.source_sha256 = meta.get(CHECKPOINT_SHA256_KEY)

    def deactivate(self) -> None:
        self._session = None

    def _check_io(self) -> None:
        ins = self._session.get_inputs()
        outs = [o for o in self._session.get_outputs() if o.name in self._output_names]
        if self.pipeline is not None:
            expected = self.pipeline.input_names
            if sorted(i.name for i in ins) != sorted(expected) or len(outs) != 1:
                raise ModelError(f"{self.path}: declares a pipeline graph but its inputs are {[i.name for i in ins]}; "
                                 f"expected {list(expected)} and one output")
            return
        if len(ins) != 1 or len(outs) != 1:
            raise ModelError(f"{self.path}: expected one input and one output, found {len(ins)} and {len(outs)}")
        shape = ins[0].shape
        if len(shape) != 4 or shape[1] != 4:
            raise ModelError(f"{self.path}: input {ins[0].name!r} has shape {shape}; expected packed Bayer [N, 4, h, w]")

    @property
    def inputs(self) -> list[TensorSpec]:
        return [_spec(t) for t in self._session.get_inputs()]

    @property
    def outputs(self) -> list[TensorSpec]:
        return [_spec(t) for t in self._session.get_outputs() if t.name in self._output_names]

    @property
    def session(self) -> ort.InferenceSession:
        return self._session

    def _infer(self, packed: np.ndarray | PipelineFeed) -> np.ndarray:
        if self.pipeline is not None:
            return self._session.run(self._output_names[:1], packed.arrays())[0]
        if self._input_fp16:
            packed = packed.astype(np.float16)
        out = self._session.run(self._output_names[:1], {self._input_name: packed})[0]
        return out.astype(np.float32, copy=False)

    def compute_call(self, packed: np.ndarray | PipelineFeed) -> Callable[[], None]:
        """IO binding: the inputs are copied to the provider's device once and the output buffer is allocated once,
        so each call is `run_with_iobinding` alone (no feed conversion, no output allocation or copy)."""
        self.check_input(packed)
        device = "cpu" if self.provider == "cpu" else "cuda"
        binding = self._session.io_binding()
        for name, array in self._feed(packed).items():
            binding.bind_ortvalue_input(name, ort.OrtValue.ortvalue_from_numpy(array, device, 0))
        out = next(o for o in self._session.get_outputs() if o.name == self._output_names[0])
        shape, dtype = self._output_buffer(packed, out.type)
        binding.bind_ortvalue_output(out.name, ort.OrtValue.ortvalue_from_shape_and_type(shape, dtype, device, 0))
        session = self._session

        def call() -> None:
            session.run_with_iobinding(binding)  # returns after the provider's stream is synchronised

        return call

    def _feed(self, x: np.ndarray | PipelineFeed) -> dict[str, np.ndarray]:
        if self.pipeline is not None:
            return x.arrays()
        return {self._input_name: x.astype(np.float16) if self._input_fp16 else x}

    def _output_buffer(self, x: np.ndarray | PipelineFeed, onnx_type: str) -> tuple[list[int], type]:
        if self.pipeline is not None:
            h, w = x.frame_size
            return [h, w, 3] + ([2] if self.pipeline.bits == 16 else []), np.uint8
        n, _, h, w = x.shape
        return [n, 3, 2 * h, 2 * w], np.float16 if onnx_type == "tensor(float16)" else np.float32


def _spec(arg) -> TensorSpec:
    return TensorSpec(arg.name, tuple(arg.shape), arg.type.replace("tensor(", "").rstrip(")"))


def _has_fp16(model: onnx.ModelProto) -> bool:
    return any(t.data_type == onnx.TensorProto.FLOAT16 for t in model.graph.initializer)
