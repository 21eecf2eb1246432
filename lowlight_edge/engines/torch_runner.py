"""PyTorch eager runner: the FP32 reference every other backend is measured against."""

from pathlib import Path

import numpy as np

from lowlight_edge.deps import require
from lowlight_edge.engines.base import Runner, TensorSpec
from lowlight_edge.errors import InputError


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
        from lowlight_edge.model.checkpoint import load_generator

        if self.device.startswith("cuda") and not torch.cuda.is_available():
            raise InputError("backend torch-cuda asked for, but PyTorch sees no CUDA device")
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
        torch = self._torch
        with torch.inference_mode():
            out = self._model(torch.from_numpy(packed).to(self.device))
            if self.device != "cpu":
                torch.cuda.synchronize()
            return out.cpu().numpy()
