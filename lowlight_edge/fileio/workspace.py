"""The one git-ignored work folder for everything the tool generates, laid out the same for every command.

    work/export/            ONNX models (export, quantize; the demo's in export/demo/)
    work/engines/<host>/    TensorRT engines and their metadata, per device (the demo's in .../demo/)
    work/demo/              the demo's input frames
    work/results/<host>/    reports of runs on this machine; copy those worth keeping to benchmarks/results/

$LOWLIGHT_EDGE_WORK moves it (default: `work` in the current folder).
"""

import os
import socket
from pathlib import Path


def work_dir() -> Path:
    return Path(os.environ.get("LOWLIGHT_EDGE_WORK") or "work")


def export_dir(*parts: str, root: Path | None = None) -> Path:
    return (root or work_dir()).joinpath("export", *parts)


def engines_dir(*parts: str, root: Path | None = None) -> Path:
    return (root or work_dir()).joinpath("engines", socket.gethostname(), *parts)


def results_dir(*parts: str, root: Path | None = None) -> Path:
    return (root or work_dir()).joinpath("results", socket.gethostname(), *parts)
