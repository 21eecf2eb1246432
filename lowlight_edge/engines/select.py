"""Choose a runner from the model file's type, so every command takes any model kind alike."""

from dataclasses import replace
from pathlib import Path

import onnx

from lowlight_edge.engines.backends import default_backend, get_backend, model_kind
from lowlight_edge.engines.base import Runner
from lowlight_edge.engines.options import RunnerOptions
from lowlight_edge.engines.tiled import TiledRunner
from lowlight_edge.engines.trt.meta import read_meta
from lowlight_edge.errors import InputError
from lowlight_edge.onnxgraph.metadata import PRECISION_KEY, read_metadata
from lowlight_edge.onnxgraph.pipeline_io import PIPELINE_KEY


def open_runner(path: Path, backend: str | None = None, options: RunnerOptions | None = None, **fields) -> Runner:
    """An inactive runner for `path` (use it as a context manager); tiled when `max_tile` is given.

    `backend` defaults to the default backend of the file's kind (checkpoint -> torch-cpu, .onnx ->
    ort-cpu, .engine -> tensorrt). `fields` override single options: `open_runner(model, threads=2)`.
    Returns an inactive Runner: entering it loads the model, `infer(packed [N, 4, h, w])` returns the network's
    RGB output [N, 3, 2h, 2w].

    Example::

        with open_runner("model.int8.onnx", threads=2) as runner:
            rgb = runner.infer(packed)
    """
    options = replace(options or RunnerOptions(), **fields)
    path = Path(path)
    kind = model_kind(path)
    if not path.exists():
        raise InputError(f"model not found: {path}")
    chosen = get_backend(backend) if backend else default_backend(kind)
    if chosen.kind != kind:
        raise InputError(f"backend {chosen.name} runs {chosen.kind} files, but {path.name} is a {kind} file")
    runner = chosen.make(path, options)
    if options.max_tile:
        return TiledRunner(runner, options.max_tile, options.tile_overlap)
    return runner


def is_pipeline_onnx(path: Path) -> bool:
    """Whether an ONNX file declares itself a pipeline graph (read from its metadata alone)."""
    try:
        return PIPELINE_KEY in read_metadata(onnx.load(str(path), load_external_data=False))
    except Exception:  # noqa: BLE001 - an unreadable file: its real error comes when it is run
        return False


def declared_precision(path: Path) -> str:
    """The precision a model file says it has, without loading it into a runtime (for rows that cannot run)."""
    kind = model_kind(path)
    try:
        if kind == "onnx":
            return read_metadata(onnx.load(str(path), load_external_data=False)).get(PRECISION_KEY, "fp32")
        if kind == "engine":
            meta = read_meta(Path(path))
            return meta.precision if meta else "?"
    except Exception:  # noqa: BLE001 - an unreadable file: its real error comes when it is run
        return "?"
    return "fp32"
