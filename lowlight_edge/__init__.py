"""lowlight-edge: take a low-light enhancement GAN from a PyTorch checkpoint to the edge.

The Python API: the functions the `lowlight-edge` commands call, importable from here. They load on first
use, so `import lowlight_edge` stays light (no ONNX Runtime, no torch) until one is needed.

    import lowlight_edge as le
    le.export_onnx(le.default_model(), "work/export/model.fp32.onnx")
    le.quantize_int8("work/export/model.fp32.onnx", "work/export/model.int8.onnx", "synthetic:16", lpips_budget=0.01)
    report = le.validate("work/export/model.fp32.onnx", ["work/export/model.int8.onnx"], synthetic=2)

See docs/python-api.md.
"""

import importlib

from lowlight_edge.version import __version__

# public name -> the module that defines it
_API = {
    "default_model": "lowlight_edge.weights",
    "export_onnx": "lowlight_edge.export.onnx_export",
    "quantize_fp16": "lowlight_edge.quantize.jobs",
    "quantize_int8": "lowlight_edge.quantize.jobs",
    "wrap_pipeline": "lowlight_edge.export.pipeline",
    "pipeline_feed": "lowlight_edge.onnxgraph.pipeline_io",
    "read_raw": "lowlight_edge.raw.reader",
    "frame_feed": "lowlight_edge.engines.frame",
    "Int8Options": "lowlight_edge.quantize.int8",
    "check_onnx": "lowlight_edge.engines.trt.check",
    "build_engine": "lowlight_edge.engines.trt.build",
    "BuildOptions": "lowlight_edge.engines.trt.build",
    "Profile": "lowlight_edge.engines.trt.profiles",
    "open_runner": "lowlight_edge.engines.select",
    "RunnerOptions": "lowlight_edge.engines.options",
    "BACKENDS": "lowlight_edge.engines.backends",
    "benchmark": "lowlight_edge.bench.job",
    "BenchPlan": "lowlight_edge.bench.suite",
    "BenchOutputs": "lowlight_edge.bench.job",
    "Protocol": "lowlight_edge.bench.latency",
    "validate": "lowlight_edge.metrics.validate",
    "compare_images": "lowlight_edge.metrics.compare",
    "enhance": "lowlight_edge.engines.enhance_files",
    "train_generator": "lowlight_edge.train.job",
    "TrainJob": "lowlight_edge.train.job",
    "card_for_checkpoint": "lowlight_edge.train.card",
    "run_demo": "lowlight_edge.demo.job",
    "DemoJob": "lowlight_edge.demo.job",
}

__all__ = ["__version__", *_API]


def __getattr__(name: str):
    if name not in _API:
        raise AttributeError(f"module 'lowlight_edge' has no attribute {name!r}")
    value = getattr(importlib.import_module(_API[name]), name)
    globals()[name] = value  # later lookups skip this hook
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
