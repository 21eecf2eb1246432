"""PyTorch eager runner: the FP32 reference every other backend is measured against.

With `pipeline_bits` it runs the checkpoint as a pipeline model (RAW frame in, pixels out; see
model/pipeline_module.py), which lets PyTorch CUDA stand in for a pipeline engine; with `fp16` (CUDA only) the
network runs in half precision, TensorRT FP16's stand-in.
"""

import time
from pathlib import Path
from typing import Callable

import numpy as np

from lowlight_edge.deps import require
from lowlight_edge.engines.base import StagedRunner, TensorSpec
from lowlight_edge.errors import BackendUnavailable, InputError
from lowlight_edge.model.checkpoint import load_generator
from lowlight_edge.onnxgraph.pipeline_io import PipelineFeed, PipelineSpec


class TorchRunner(StagedRunner):
    def __init__(self, path: Path, device: str = "cpu", threads: int | None = None, pipeline_bits: int | None = None,
                 fp16: bool = False) -> None:
        super().__init__(path)
        self.device = device
        self.threads = threads
        self.backend = f"torch-{device.split(':')[0]}"
        self.pipeline_bits, self.fp16 = pipeline_bits, fp16
        self._torch = None
        self._model = None

    def activate(self) -> None:
        torch = require("torch", "the PyTorch backend")

        if self.device.startswith("cuda") and not torch.cuda.is_available():
            raise BackendUnavailable("backend torch-cuda asked for, but PyTorch sees no CUDA device")
        if self.fp16 and self.device == "cpu":
            raise InputError("--torch-fp16 runs the network in FP16 on CUDA only; on the CPU PyTorch stays FP32")
        if self.threads:
            torch.set_num_threads(self.threads)
        loaded = load_generator(self.path)
        network = loaded.model.to(self.device)
        if self.fp16:
            network = network.half()
            self.precision = "fp16"
        self.size_multiple = loaded.config.multiple
        self.input_convention = loaded.config.input_convention
        self.source_sha256 = loaded.sha256
        self._model = network
        if self.pipeline_bits is not None:
            from lowlight_edge.model.pipeline_module import PipelineModule

            self.pipeline = PipelineSpec(self.pipeline_bits, convention=self.input_convention)
            self._model = PipelineModule(network, self.size_multiple, self.pipeline_bits, half=self.fp16,
                                         neutral=self.input_convention == "neutral")
        self._torch = torch

    def deactivate(self) -> None:
        self._model = None

    @property
    def inputs(self) -> list[TensorSpec]:
        if self.pipeline is not None:
            return [TensorSpec(name, (), "") for name in self.pipeline.input_names]
        return [TensorSpec("packed", ("batch", 4, "height", "width"), "float32")]

    @property
    def outputs(self) -> list[TensorSpec]:
        if self.pipeline is not None:
            return [TensorSpec("image", ("height", "width", 3), "uint8")]
        return [TensorSpec("rgb", ("batch", 3, "2*height", "2*width"), "float32")]

    def _to_device(self, x: np.ndarray | PipelineFeed) -> list:
        torch = self._torch
        arrays = list(x.arrays().values()) if self.pipeline is not None else [x]
        pinned = self.device != "cpu"  # page-locked host memory: the copy runs at full bus speed
        tensors = [torch.from_numpy(a) for a in arrays]
        if pinned:
            tensors = [t.pin_memory() for t in tensors]
        tensors = [t.to(self.device, non_blocking=pinned) for t in tensors]
        if self.fp16 and self.pipeline is None:
            tensors = [t.half() for t in tensors]
        return tensors

    def _staged(self, packed: np.ndarray | PipelineFeed) -> tuple[np.ndarray, dict[str, float]]:
        torch = self._torch
        gpu = self.device != "cpu"
        t0 = time.perf_counter_ns()
        with torch.inference_mode():
            inputs = self._to_device(packed)
            if gpu:
                torch.cuda.synchronize()
            t1 = time.perf_counter_ns()
            out = self._model(*inputs)
            if gpu:
                torch.cuda.synchronize()
            t2 = time.perf_counter_ns()
            result = out.float().cpu().numpy() if self.pipeline is None else out.cpu().numpy()
        t3 = time.perf_counter_ns()
        if not gpu:  # no transfer on the CPU: the whole call is the model's
            return result, {self.compute_stage: (t3 - t0) / 1e6}
        return result, {"h2d": (t1 - t0) / 1e6, self.compute_stage: (t2 - t1) / 1e6, "d2h": (t3 - t2) / 1e6}

    def peak_device_mib(self) -> float | None:
        if self.device == "cpu":
            return None
        return round(self._torch.cuda.max_memory_allocated() / 2**20, 1)

    def compute_call(self, packed: np.ndarray | PipelineFeed) -> Callable[[], float | None]:
        """Input already on the device, output left there; on CUDA timed by CUDA events."""
        self.check_input(packed)
        torch = self._torch
        inputs = self._to_device(packed)
        model = self._model
        if self.device == "cpu":
            def call() -> None:
                with torch.inference_mode():
                    model(*inputs)
            return call
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)

        def timed_call() -> float:
            with torch.inference_mode():
                start.record()
                model(*inputs)
                end.record()
            end.synchronize()
            return float(start.elapsed_time(end))

        return timed_call
