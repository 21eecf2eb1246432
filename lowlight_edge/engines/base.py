"""The runner interface, after Polygraphy's runners: activate, infer, deactivate.

A runner owns one loaded model on one backend. It takes a packed Bayer batch `float32 [N, 4, h, w]`
and returns the network's raw RGB output `float32 [N, 3, 2h, 2w]` (clipping is post-processing).
"""

import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from lowlight_edge.errors import InputError


@dataclass(frozen=True)
class TensorSpec:
    name: str
    shape: tuple  # ints, or strings for dynamic dimensions
    dtype: str


class Runner(ABC):
    backend: str = "?"  # e.g. "torch-cpu", "ort-cpu"
    precision: str = "fp32"

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.size_multiple = 16
        self.source_sha256: str | None = None  # sha256 of the checkpoint the model came from, when known

    def __enter__(self) -> "Runner":
        self.activate()
        return self

    def __exit__(self, *exc) -> None:
        self.deactivate()

    @abstractmethod
    def activate(self) -> None:
        """Load the model (may be slow: graph optimisation, engine deserialisation)."""

    def deactivate(self) -> None:
        """Release the model; the default has nothing to release."""

    @property
    @abstractmethod
    def inputs(self) -> list[TensorSpec]: ...

    @property
    @abstractmethod
    def outputs(self) -> list[TensorSpec]: ...

    @abstractmethod
    def _infer(self, packed: np.ndarray) -> np.ndarray: ...

    def infer(self, packed: np.ndarray) -> np.ndarray:
        """Validate the input's layout, then run the model."""
        check_packed(packed, self.size_multiple)
        return self._infer(packed)

    def infer_staged(self, packed: np.ndarray) -> tuple[np.ndarray, dict[str, float]]:
        """`infer`, with host milliseconds per stage. On a CPU backend there is no transfer, so everything is
        "inference"; GPU runners split off "h2d" and "d2h" (synchronising between stages)."""
        start = time.perf_counter_ns()
        out = self.infer(packed)
        return out, {"inference": (time.perf_counter_ns() - start) / 1e6}

    def compute_call(self, packed: np.ndarray) -> Callable[[], float | None]:
        """Put `packed` in place once (device memory, bound output buffers) and return a call that runs the
        model alone: the compute-only view. The call returns its device time in ms, or None when only the
        host clock can time it. Runners without such a view raise NotImplementedError with the reason."""
        raise NotImplementedError(f"{self.backend} has no compute-only view")

    def settings(self) -> list[str]:
        """Runtime settings a result must record beside it (e.g. OpenVINO's inference precision), as short notes."""
        return []

    def peak_device_mib(self) -> float | None:
        """Peak device memory this runner allocated, where its library can tell (None: host only, or unknown)."""
        return None

    def describe(self) -> dict:
        return {"model": str(self.path), "backend": self.backend, "precision": self.precision}


def check_packed(packed: np.ndarray, multiple: int) -> None:
    """Packed input must be float32 [N, 4, h, w] with h, w multiples of the network's pooling factor."""
    if not isinstance(packed, np.ndarray):
        raise InputError(f"input must be a numpy array, got {type(packed).__name__}")
    if packed.dtype != np.float32:
        raise InputError(f"input must be float32, got {packed.dtype}")
    if packed.ndim != 4 or packed.shape[1] != 4:
        raise InputError(f"input must be packed Bayer [N, 4, h, w], got shape {list(packed.shape)}")
    n, _, h, w = packed.shape
    if n < 1 or h < multiple or w < multiple or h % multiple or w % multiple:
        raise InputError(
            f"packed height and width must be positive multiples of {multiple}, got {h}x{w}; pad the frame "
            "(enhance does this) or pick another --shape"
        )
