"""Choose a runner from the model file's type, so every command takes any model kind alike."""

from dataclasses import replace
from pathlib import Path

from lowlight_edge.engines.base import Runner
from lowlight_edge.engines.options import RunnerOptions
from lowlight_edge.errors import InputError
from lowlight_edge.model.checkpoint import CHECKPOINT_SUFFIXES

ONNX_SUFFIXES = (".onnx",)
ENGINE_SUFFIXES = (".engine", ".plan")

# backend name -> model kinds it accepts
BACKENDS = {
    "torch-cpu": "checkpoint",
    "torch-cuda": "checkpoint",
    "ort-cpu": "onnx",
    "ort-cuda": "onnx",
    "ort-tensorrt": "onnx",
    "tensorrt": "engine",
}
DEFAULT_BACKEND = {"checkpoint": "torch-cpu", "onnx": "ort-cpu", "engine": "tensorrt"}


def model_kind(path: Path) -> str:
    suffix = Path(path).suffix.lower()
    if suffix in CHECKPOINT_SUFFIXES:
        return "checkpoint"
    if suffix in ONNX_SUFFIXES:
        return "onnx"
    if suffix in ENGINE_SUFFIXES:
        return "engine"
    known = ", ".join(CHECKPOINT_SUFFIXES + ONNX_SUFFIXES + ENGINE_SUFFIXES)
    raise InputError(f"cannot tell the model type of {path}: expected a file ending in one of {known}")


def open_runner(path: Path, backend: str | None = None, options: RunnerOptions | None = None, **fields) -> Runner:
    """An inactive runner for `path` (use it as a context manager); tiled when `max_tile` is given.

    `fields` override single options: `open_runner(model, threads=2, max_tile=512)`.
    """
    options = replace(options or RunnerOptions(), **fields)
    runner = _open(path, backend, options)
    if options.max_tile:
        from lowlight_edge.engines.tiled import TiledRunner

        return TiledRunner(runner, options.max_tile, options.tile_overlap)
    return runner


def _open(path: Path, backend: str | None, options: RunnerOptions) -> Runner:
    path = Path(path)
    kind = model_kind(path)
    if not path.exists():
        raise InputError(f"model not found: {path}")
    backend = backend or DEFAULT_BACKEND[kind]
    if backend not in BACKENDS:
        raise InputError(f"unknown backend {backend!r}; choose from {', '.join(BACKENDS)}")
    if BACKENDS[backend] != kind:
        raise InputError(f"backend {backend} runs {BACKENDS[backend]} files, but {path.name} is a {kind} file")
    if backend == "tensorrt":
        from lowlight_edge.engines.trt.runner import TrtRunner

        return TrtRunner(path, trust_engine_code=options.trust_engine_code, onnx=options.engine_onnx)
    if backend.startswith("torch-"):
        from lowlight_edge.engines.torch_runner import TorchRunner

        return TorchRunner(path, device=backend.removeprefix("torch-"), threads=options.threads)
    from lowlight_edge.engines.ort_runner import OrtRunner

    return OrtRunner(path, provider=backend.removeprefix("ort-"), threads=options.threads)


def declared_precision(path: Path) -> str:
    """The precision a model file says it has, without loading it into a runtime (for rows that cannot run)."""
    kind = model_kind(path)
    try:
        if kind == "onnx":
            import onnx

            from lowlight_edge.onnxgraph.metadata import read_metadata

            return read_metadata(onnx.load(str(path), load_external_data=False)).get("lowlight_edge.precision", "fp32")
        if kind == "engine":
            from lowlight_edge.engines.trt.meta import read_meta

            meta = read_meta(Path(path))
            return meta.precision if meta else "?"
    except Exception:  # noqa: BLE001 - an unreadable file: its real error comes when it is run
        return "?"
    return "fp32"
