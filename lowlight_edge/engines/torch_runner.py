"""PyTorch eager runner: the FP32 reference every other backend is measured against."""

import time
from pathlib import Path
from typing import Callable

import numpy as np

from lowlight_edge.deps import require
from lowlight_edge.engines.base import Runner, TensorSpec, check_packed
from lowlight_edge.errors import BackendUnavailable
from lowlight_edge.model.checkpoint import load_generator


class TorchRunner(Runner):
    def __init__(self, path: Path, device: str = "cpu", threads: int | None = None) -> None:
        super().__init__(path)
        self.device = device
        self.threads = threads
        self.backend = f"torch-{device.split(':')[0]}"
        self._torch = None
        self._model = None

    def activate(self) -> None:
        torch = require("torch", "the PyTorch backend")

        if self.device.startswith("cuda") and not torch.cuda.is_available():
            raise BackendUnavailable("backend torch-cuda asked for, but PyTorch sees no CUDA device")
        if self.threads:
            torch.set_num_threads(self.threads)
        loaded = load_generator(self.path)
        self._model = loaded.model.to(self.device)
        self.size_multiple = loaded.config.multiple
        self.source_sha256 = loaded.sha256
        self._torch = torch

    def deactivate(self) -> None:
        self._model = None

    @property
    def inputs(self) -> list[TensorSpec]:
        return [TensorSpec("packed", ("batch", 4, "height", "width"), "float32")]

    @property
    def outputs(self) -> list[TensorSpec]:
        return [TensorSpec("rgb", ("batch", 3, "2*height", "2*width"), "float32")]

    def _infer(self, packed: np.ndarray) -> np.ndarray:
        return self.infer_staged_unchecked(packed)[0]

    def infer_staged(self, packed: np.ndarray) -> tuple[np.ndarray, dict[str, float]]:
        check_packed(packed, self.size_multiple)
        return self.infer_staged_unchecked(packed)

    def infer_staged_unchecked(self, packed: np.ndarray) -> tuple[np.ndarray, dict[str, float]]:
        torch = self._torch
        gpu = self.device != "cpu"
        t0 = time.perf_counter_ns()
        with torch.inference_mode():
            x = torch.from_numpy(packed).to(self.device)
            if gpu:
                torch.cuda.synchronize()
            t1 = time.perf_counter_ns()
            out = self._model(x)
            if gpu:
                torch.cuda.synchronize()
            t2 = time.perf_counter_ns()
            result = out.cpu().numpy()
        t3 = time.perf_counter_ns()
        if not gpu:  # no transfer on the CPU: the whole call is inference
            return result, {"inference": (t3 - t0) / 1e6}
        return result, {"h2d": (t1 - t0) / 1e6, "inference": (t2 - t1) / 1e6, "d2h": (t3 - t2) / 1e6}

    def peak_device_mib(self) -> float | None:
        if self.device == "cpu":
            return None
        return round(self._torch.cuda.max_memory_allocated() / 2**20, 1)

    def compute_call(self, packed: np.ndarray) -> Callable[[], float | None]:
        """Input already on the device, output left there; on CUDA timed by CUDA events."""
        check_packed(packed, self.size_multiple)
        torch = self._torch
        x = torch.from_numpy(packed).to(self.device)
        model = self._model
        if self.device == "cpu":
            def call() -> None:
                with torch.inference_mode():
                    model(x)
            return call
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)

        def timed_call() -> float:
            with torch.inference_mode():
                start.record()
                model(x)
                end.record()
            end.synchronize()
            return float(start.elapsed_time(end))

        return timed_call
