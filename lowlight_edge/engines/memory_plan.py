"""Tile size from an estimate of activation memory, so a frame too large for this machine is tiled, not killed.

The estimate is read from the ONNX graph itself: shape inference at a probe size gives every intermediate
tensor's size; walking the nodes in order, each tensor lives from the node that makes it to its last consumer,
and the largest live set is the peak an allocator that frees after last use would hold (ONNX Runtime's planner
does about that). Activations grow with the pixel count, so the largest tile that fits a share of the free
memory follows. Used by `enhance` when no `--max-tile` is given; checkpoints
and engines (GPU memory) are left to their runtimes.
"""

import math
import os
from dataclasses import dataclass
from pathlib import Path

import onnx
from onnx import helper, shape_inference

from lowlight_edge.errors import InputError
from lowlight_edge.onnxgraph.files import validate_onnx_file

PROBE = 64  # packed side the graph is inferred at
MEMORY_SHARE = 0.5  # of the free memory, for activations: the decoder, the writer and the OS need the rest
MIN_TILE = 64


@dataclass(frozen=True)
class MemoryPlan:
    bytes_per_pixel: float  # peak live activation bytes per packed pixel
    available: int  # free memory in bytes
    max_tile: int  # the largest square packed tile whose activations fit MEMORY_SHARE of it


def activation_bytes_per_pixel(path: Path) -> float | None:
    """Peak live activation bytes per packed pixel, or None when shapes cannot be inferred (a pipeline graph, a
    graph whose input is not [N, 4, h, w], or an op shape inference does not know)."""
    model = validate_onnx_file(path)
    inputs = [i for i in model.graph.input if i.name not in {t.name for t in model.graph.initializer}]
    if len(inputs) != 1 or len(inputs[0].type.tensor_type.shape.dim) != 4:
        return None
    for dim, value in zip(inputs[0].type.tensor_type.shape.dim, (1, 4, PROBE, PROBE)):
        dim.Clear()
        dim.dim_value = value
    del model.graph.value_info[:]  # the exporter's symbolic shapes would stop inference at the probe size
    try:
        inferred = shape_inference.infer_shapes(model, strict_mode=True)
    except Exception:  # noqa: BLE001 - shape inference fails in many ways on graphs it does not know
        return None
    sizes = {}
    for info in list(inferred.graph.value_info) + list(inferred.graph.output):
        dims = [d.dim_value if d.HasField("dim_value") else 0 for d in info.type.tensor_type.shape.dim]
        if not dims or 0 in dims:
            return None
        sizes[info.name] = math.prod(dims) * helper.tensor_dtype_to_np_dtype(info.type.tensor_type.elem_type).itemsize
    return peak_live_bytes(inferred.graph, sizes) / PROBE**2


def peak_live_bytes(graph: onnx.GraphProto, sizes: dict[str, int]) -> int:
    """The largest sum of tensors alive at once when nodes run in file order (ONNX's topological order) and each
    tensor is freed after its last consumer; graph outputs live to the end."""
    last_use = {name: len(graph.node) for name in (o.name for o in graph.output)}
    for index, node in enumerate(graph.node):
        for name in node.input:
            if name in sizes:
                last_use[name] = max(last_use.get(name, index), index)
    live, peak = 0, 0
    for index, node in enumerate(graph.node):
        live += sum(sizes.get(name, 0) for name in node.output)
        peak = max(peak, live)
        live -= sum(sizes[name] for name in {*node.input, *node.output}
                    if name in sizes and last_use.get(name, index) == index)
    return peak


def available_memory() -> int | None:
    """MemAvailable (Linux), else free physical pages; None where neither is known."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def plan_tiles(path: Path, multiple: int = 16, available: int | None = None) -> MemoryPlan | None:
    """The plan for an ONNX model on this machine, None when it cannot be estimated; one InputError when not
    even a MIN_TILE tile fits."""
    per_pixel = activation_bytes_per_pixel(path)
    available = available if available is not None else available_memory()
    if not per_pixel or not available:
        return None
    side = int((MEMORY_SHARE * available / per_pixel) ** 0.5) // multiple * multiple
    if side < MIN_TILE:
        need = per_pixel * MIN_TILE**2 / 2**20
        raise InputError(f"{Path(path).name} needs ~{need:.0f} MiB of activations for even a {MIN_TILE}x{MIN_TILE} "
                         f"tile and {available / 2**20:.0f} MiB are free; free memory or use a smaller model")
    return MemoryPlan(per_pixel, available, side)
