"""OpenVINO runner: the fastest CPU runtime for the project's INT8 Q/DQ graph (VNNI), on Intel GPUs and NPUs too.

OpenVINO reads the same ONNX files ONNX Runtime does, the TensorRT-target INT8 graph included: its low-precision
transformations turn the explicit Q/DQ pairs into INT8 kernels. Each input shape is compiled once and kept in a
small cache (static shapes compile to faster kernels than a dynamic model). The inference precision is set
explicitly (f32 unless asked otherwise), so that a device that prefers bf16 or f16 cannot silently change the
numbers; the threads and the precision are recorded in `describe()`.
"""

from collections import OrderedDict
from pathlib import Path
from typing import Callable

import numpy as np

from lowlight_edge.deps import require
from lowlight_edge.engines.base import Runner, TensorSpec
from lowlight_edge.errors import BackendUnavailable, ModelError
from lowlight_edge.machine.cpu import bf16_native, int8_dot_product
from lowlight_edge.onnxgraph.files import check_packed_input, validate_onnx_file
from lowlight_edge.onnxgraph.metadata import (
    CHECKPOINT_SHA256_KEY,
    INT8_TARGET_KEY,
    INT8_WEIGHT_BITS_KEY,
    PRECISION_KEY,
    input_convention_of,
    read_metadata,
    size_multiple_of,
)
from lowlight_edge.onnxgraph.pipeline_io import MOSAIC, PipelineFeed, PipelineSpec

DEVICES = {"cpu": "CPU", "gpu": "GPU", "npu": "NPU"}
COMPILED_SHAPES = 4  # compiled models kept per runner (a whole frame, its tiles, a benchmark's shapes)


class OpenVinoRunner(Runner):
    def __init__(self, path: Path, device: str = "cpu", threads: int | None = None,
                 inference_precision: str = "f32") -> None:
        super().__init__(path)
        self.device = device
        self.threads = threads
        self.inference_precision = inference_precision
        self.backend = f"ov-{device}" + ("-bf16" if inference_precision == "bf16" else "")
        self._compiled: OrderedDict[tuple, object] = OrderedDict()  # input shape -> compiled model
        self._requests: dict[tuple, object] = {}  # input shape -> the infer request `infer` reuses

    def activate(self) -> None:
        ov = require("openvino", "the OpenVINO backend")
        model_proto = validate_onnx_file(self.path)
        meta = read_metadata(model_proto)
        self.pipeline = PipelineSpec.from_metadata(meta)
        if self.pipeline is None:
            check_packed_input(model_proto, self.path)  # refused before anything is compiled
        reason = saturation_risk(meta, self.device) or self._precision_unavailable()
        if reason:
            raise BackendUnavailable(reason)
        self.precision = runtime_precision(meta.get(PRECISION_KEY, "fp32"), self.inference_precision)
        self.input_convention = input_convention_of(meta)
        self.size_multiple = size_multiple_of(meta)
        self.source_sha256 = meta.get(CHECKPOINT_SHA256_KEY)
        self._core = ov.Core()
        target = DEVICES[self.device]
        if not any(d.split(".")[0] == target for d in self._core.available_devices):
            raise BackendUnavailable(f"OpenVINO sees no {target} device here (available: "
                                     f"{', '.join(self._core.available_devices) or 'none'})")
        try:
            self._model = self._core.read_model(str(self.path))
        except Exception as exc:  # OpenVINO raises RuntimeError subclasses of its own
            raise ModelError(f"OpenVINO cannot read {self.path}: {_first_line(exc)}") from exc
        self._ov = ov

    def _precision_unavailable(self) -> str | None:
        """BF16 on a CPU that does not compute it natively would be OpenVINO's emulation: refused, never silent."""
        return bf16_native() if self.inference_precision == "bf16" and self.device == "cpu" else None

    def deactivate(self) -> None:
        self._compiled.clear()
        self._requests.clear()
        self._model = self._core = None

    def config(self) -> dict:
        """The properties every compilation gets: explicit precision, threads when asked."""
        config = {"INFERENCE_PRECISION_HINT": self.inference_precision, "PERFORMANCE_HINT": "LATENCY"}
        if self.threads:
            config["INFERENCE_NUM_THREADS"] = int(self.threads)
        return config

    def _compiled_for(self, shape: tuple):
        if shape in self._compiled:
            self._compiled.move_to_end(shape)
            return self._compiled[shape]
        model = self._model.clone()
        name = MOSAIC if self.pipeline is not None else model.inputs[0].get_any_name()
        model.reshape({name: self._ov.PartialShape(list(shape))})
        try:
            compiled = self._core.compile_model(model, DEVICES[self.device], self.config())
        except Exception as exc:
            raise ModelError(f"OpenVINO cannot compile {self.path} for {DEVICES[self.device]}: {_first_line(exc)}") from exc
        self._compiled[shape] = compiled
        while len(self._compiled) > COMPILED_SHAPES:
            evicted, _ = self._compiled.popitem(last=False)
            self._requests.pop(evicted, None)
        return compiled

    @property
    def inputs(self) -> list[TensorSpec]:
        port = self._model.inputs[0]
        return [TensorSpec(port.get_any_name(), tuple(str(d) for d in port.get_partial_shape()),
                           port.get_element_type().get_type_name())]

    @property
    def outputs(self) -> list[TensorSpec]:
        port = self._model.outputs[0]
        return [TensorSpec(port.get_any_name(), tuple(str(d) for d in port.get_partial_shape()),
                           port.get_element_type().get_type_name())]

    def _infer(self, packed: np.ndarray | PipelineFeed) -> np.ndarray:
        shape = _shape_key(packed)
        compiled = self._compiled_for(shape)
        if shape not in self._requests:  # one request per shape: creating one per call costs every call
            self._requests[shape] = compiled.create_infer_request()
        request = self._requests[shape]
        request.infer(self._feed(packed))
        out = request.get_output_tensor(0).data
        return np.array(out, dtype=out.dtype if self.pipeline is not None else np.float32, copy=True)

    def compute_call(self, packed: np.ndarray | PipelineFeed) -> Callable[[], None]:
        """The input tensors share the caller's memory and the output tensor is allocated once: each call is
        `infer()` alone, like ONNX Runtime's IO binding."""
        self.check_input(packed)
        request = self._compiled_for(_shape_key(packed)).create_infer_request()
        for name, array in self._feed(packed).items():
            request.set_tensor(name, self._ov.Tensor(np.ascontiguousarray(array), shared_memory=True))

        def call() -> None:  # returns nothing: a returned number would be read as device time
            request.infer()

        return call

    def _feed(self, x: np.ndarray | PipelineFeed) -> dict[str, np.ndarray]:
        """Input tensors by name: a pipeline frame's (five, seven for a neutral one), or the packed batch."""
        return x.arrays() if self.pipeline is not None else {self._model.inputs[0].get_any_name(): x}

    def settings(self) -> list[str]:
        threads = f"{self.threads} threads" if self.threads else "OpenVINO's thread choice"
        return [f"OpenVINO {self._ov.__version__.split('-')[0]}, {DEVICES[self.device]}, inference precision "
                f"{self.inference_precision}, {threads}"]

    def describe(self) -> dict:
        return {**super().describe(), "device": DEVICES[self.device], "threads": self.threads,
                "inference_precision": self.inference_precision}


def saturation_risk(meta: dict[str, str], device: str) -> str | None:
    """Why OpenVINO must not run this model on this CPU, or None.

    On x86 CPUs without VNNI, OpenVINO's INT8 convolutions sum u8 x s8 pairs in 16 bits; the tensorrt-target
    graph's symmetric activations (shifted to u8) times full-range 8-bit weights saturate them (measured on the
    bundled model: PSNR 27 dB against FP32 where ONNX Runtime gives 43 dB; 7-bit weights give 41 dB on both: the
    drift.txt files of benchmarks/results/2026-11-27-cpu2core-avx2-openvino*/).
    """
    if device != "cpu" or meta.get(PRECISION_KEY) != "int8" or int8_dot_product():
        return None
    if meta.get(INT8_TARGET_KEY) == "tensorrt" and meta.get(INT8_WEIGHT_BITS_KEY, "8") == "8":
        return ("this CPU has no INT8 dot-product instructions (VNNI), so OpenVINO's INT8 kernels saturate this "
                "graph's 8-bit weights; quantize with --weight-bits 7 for OpenVINO here, or run it on ort-cpu")
    return None


def runtime_precision(graph_precision: str, inference_precision: str) -> str:
    """What a model computes in under this setting, as drift budgets and reports name it: the graph's precision,
    its float layers in BF16 marked ("bf16" for an FP32 graph, "int8-bf16" for an INT8 one).

    >>> runtime_precision("fp32", "bf16"), runtime_precision("int8", "bf16"), runtime_precision("int8", "f32")
    ('bf16', 'int8-bf16', 'int8')
    """
    if inference_precision != "bf16":
        return graph_precision
    return "bf16" if graph_precision in ("fp32", "fp16") else f"{graph_precision}-bf16"


def _shape_key(x: np.ndarray | PipelineFeed) -> tuple:
    """What a compilation is specialised on: the packed batch's shape, or a pipeline frame's mosaic shape."""
    return x.mosaic.shape if isinstance(x, PipelineFeed) else x.shape


def model_metadata(path: Path) -> dict[str, str]:
    return read_metadata(validate_onnx_file(path))


def _first_line(exc: Exception) -> str:
    lines = [line for line in str(exc).splitlines() if line.strip()]
    return (lines[0] if lines else type(exc).__name__)[:300]
