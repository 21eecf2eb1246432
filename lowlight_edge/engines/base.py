"""The runner interface, after Polygraphy's runners: activate, infer, deactivate.

A runner owns one loaded model on one backend. A network model takes a packed Bayer batch
`float32 [N, 4, h, w]` and returns the network's raw RGB output `float32 [N, 3, 2h, 2w]` (clipping is
post-processing). A pipeline model (`runner.pipeline` set; see onnxgraph/pipeline_io.py) takes one RAW frame as a
`PipelineFeed` and returns its pixels, uint8 or uint16 [H, W, 3]: everything between decoding and PNG encoding
runs inside the model.
"""

import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from lowlight_edge.errors import InputError
from lowlight_edge.onnxgraph.pipeline_io import PipelineFeed, PipelineSpec, check_feed


@dataclass(frozen=True)
class TensorSpec:
    name: str
    shape: tuple  # ints, or strings for dynamic dimensions
    dtype: str


class Runner(ABC):
    backend: str = "?"  # e.g. "torch-cpu", "ort-cpu"
    precision: str = "fp32"
    pipeline: PipelineSpec | None = None  # set by `activate` when the model is a pipeline graph
    input_convention: str = "camera"  # what the network takes (raw/colour.py); set by `activate` from the model

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
    def _infer(self, packed: np.ndarray | PipelineFeed) -> np.ndarray:
        """Run the model on a checked input; a pipeline model returns its graph output as is (see `infer`)."""

    def infer(self, packed: np.ndarray | PipelineFeed) -> np.ndarray:
        """Validate the input, then run the model: packed batch -> RGB, or (pipeline) RAW frame -> pixels."""
        self.check_input(packed)
        return self.output_image(self._infer(packed))

    def check_input(self, x: np.ndarray | PipelineFeed) -> None:
        """One line of error for an input this model cannot take (wrong kind, layout, size or levels)."""
        if self.pipeline is not None:
            check_feed(x, self.size_multiple, self.pipeline.convention)
        elif isinstance(x, PipelineFeed):
            raise InputError(f"{self.path.name} is a network graph: it takes a packed batch, not a RAW frame; wrap "
                             "it with `lowlight-edge pipeline` to run frames on the device")
        else:
            check_packed(x, self.size_multiple)

    def output_image(self, out: np.ndarray) -> np.ndarray:
        """A pipeline graph's output as pixels (16-bit ones come as byte pairs); a network's output unchanged."""
        return self.pipeline.image_from_output(out) if self.pipeline is not None else out

    def infer_staged(self, packed: np.ndarray | PipelineFeed) -> tuple[np.ndarray, dict[str, float]]:
        """`infer`, with host milliseconds per stage. On a CPU backend there is no transfer, so everything is
        "inference" ("pipeline" for a pipeline model); GPU runners split off "h2d" and "d2h" (synchronising
        between stages)."""
        start = time.perf_counter_ns()
        out = self.infer(packed)
        return out, {self.compute_stage: (time.perf_counter_ns() - start) / 1e6}

    @property
    def compute_stage(self) -> str:
        """The stage name of the model's own work: the network alone, or the whole pipeline graph."""
        return "pipeline" if self.pipeline is not None else "inference"

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
        return {"model": str(self.path), "backend": self.backend, "precision": self.precision,
                "input_convention": self.input_convention}


class StagedRunner(Runner):
    """A runner that times its own stages (h2d, the model, d2h, synchronising between them): `_staged` does the
    work, and `infer` and `infer_staged` share it."""

    @abstractmethod
    def _staged(self, x: np.ndarray | PipelineFeed) -> tuple[np.ndarray, dict[str, float]]:
        """Run a checked input; the raw output and host milliseconds per stage."""

    def _infer(self, x: np.ndarray | PipelineFeed) -> np.ndarray:
        return self._staged(x)[0]

    def infer_staged(self, x: np.ndarray | PipelineFeed) -> tuple[np.ndarray, dict[str, float]]:
        self.check_input(x)
        out, stages = self._staged(x)
        return self.output_image(out), stages


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
