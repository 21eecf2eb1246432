"""How a runner is opened: the options every backend shares, in one value that commands and plans pass on."""

from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass(frozen=True)
class RunnerOptions:
    threads: int | None = None  # intra-op threads (PyTorch, ONNX Runtime); None: the library's own choice
    max_tile: int | None = None  # run larger packed frames as overlapping tiles of this size
    tile_overlap: int = 64
    # A TensorRT engine is a program: a version-compatible plan carries host code that TensorRT runs when it
    # loads it. Only the user may allow that, never a file.
    trust_engine_code: bool = False
    engine_onnx: Path | None = None  # the ONNX an engine was built from, to check it has not changed since
    # PyTorch only: run a checkpoint inside the pipeline graph's pre/post (RAW frame in, pixels of this bit depth
    # out), the stand-in for a pipeline engine where TensorRT is missing; None: the network alone
    torch_pipeline_bits: int | None = None
    torch_fp16: bool = False  # PyTorch CUDA only: the network in FP16, the stand-in for an FP16 engine

    def to_json(self) -> dict:
        return {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(self).items()}

    @classmethod
    def from_json(cls, data: dict) -> "RunnerOptions":
        onnx = data.get("engine_onnx")
        return cls(**{**data, "engine_onnx": Path(onnx) if onnx else None})
