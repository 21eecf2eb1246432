"""Tile size from an estimate of activation memory, so a frame too large for this machine is tiled, not killed.

The estimate is read from the ONNX graph itself: shape inference at a probe size gives every intermediate
tensor's size (where it cannot, as for the shape-derived Reshapes of an INT8 graph for the CPU, ONNX Runtime runs
the graph once at the probe size and the tensors are measured); walking the nodes in order, each tensor lives from
the node that makes it to its last consumer, and the largest live set is the peak an allocator that frees after
last use would hold (ONNX Runtime's planner does about that). Activations grow with the pixel count, so the largest
tile that fits a share of the free memory follows. Free memory is the tightest of the machine's (MemAvailable), the
process's address-space limit (RLIMIT_AS, less what it already maps) and its cgroup's. Used by `enhance` when no
`--max-tile` is given; checkpoints and engines (GPU memory) are left to their runtimes.
"""

import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
from onnx import helper, shape_inference

from lowlight_edge.errors import InputError
from lowlight_edge.onnxgraph.files import validate_onnx_file, with_weights_in_memory
from lowlight_edge.onnxgraph.graph import expose_all_outputs

PROBE = 64  # packed side the graph is inferred at
MEMORY_SHARE = 0.5  # of the free memory, for inference: the decoder, the writer and the OS need the rest
# what a CPU runtime holds for a frame, over the live activations estimated here (ONNX Runtime: 1.7-1.9x for every
# variant of the bundled model, the Sony full frame: benchmarks/results/2026-12-06-cpu2core-memory-plan-variants/)
RUNTIME_FACTOR = 2.0
MIN_TILE = 64


@dataclass(frozen=True)
class MemoryPlan:
    bytes_per_pixel: float  # peak live activation bytes per packed pixel
    available: int  # free memory in bytes
    max_tile: int  # the largest square packed tile whose runtime memory (RUNTIME_FACTOR x activations) fits
    # MEMORY_SHARE of it


def activation_bytes_per_pixel(path: Path) -> float | None:
    """Peak live activation bytes per packed pixel, or None when the graph cannot be sized (a pipeline graph, a
    graph whose input is not [N, 4, h, w], or one neither shape inference nor ONNX Runtime can run at the probe)."""
    model = validate_onnx_file(path)
    inputs = [i for i in model.graph.input if i.name not in {t.name for t in model.graph.initializer}]
    if len(inputs) != 1 or len(inputs[0].type.tensor_type.shape.dim) != 4:
        return None
    for dim, value in zip(inputs[0].type.tensor_type.shape.dim, (1, 4, PROBE, PROBE)):
        dim.Clear()
        dim.dim_value = value
    del model.graph.value_info[:]  # the exporter's symbolic shapes would stop inference at the probe size
    tensors = _inferred_tensors(model)
    if tensors is None:
        tensors = _measured_tensors(with_weights_in_memory(model, Path(path)), inputs[0])
    if tensors is None:
        return None
    return peak_live_bytes(model.graph, runtime_bytes(model.graph, tensors)) / PROBE**2


def runtime_bytes(graph: onnx.GraphProto, tensors: dict[str, tuple[int, np.dtype]]) -> dict[str, int]:
    """Bytes of each activation (element count, dtype) as a CPU runtime holds it: half-precision floats computed in
    float32 (ONNX Runtime's CPU kernels and OpenVINO's f32 hint do), a QuantizeLinear's output folded into the
    operator it feeds (both runtimes fuse Q/DQ pairs), and tensors computed from weights alone (dequantized
    weights) folded at load, part of the weights rather than of a frame's activations: a quantized graph then
    costs what its float graph costs. Measured against ONNX Runtime's resident memory per variant:
    benchmarks/results/2026-12-06-cpu2core-memory-plan-variants/."""
    constant = {t.name for t in graph.initializer}
    folded = set()
    for node in graph.node:  # in topological order: a node fed by constants only makes constants
        if node.op_type == "Constant" or all(not name or name in constant for name in node.input):
            constant.update(node.output)
            folded.update(node.output)
        elif node.op_type == "QuantizeLinear":
            folded.update(node.output)
    return {name: 0 if name in folded else count * (4 if dtype.kind == "f" and dtype.itemsize == 2 else dtype.itemsize)
            for name, (count, dtype) in tensors.items()}


def _inferred_tensors(model: onnx.ModelProto) -> dict[str, tuple[int, np.dtype]] | None:
    """(element count, dtype) of every node output from shape inference at the probe size; None when any is left
    unsized (a dimension without a value; a dimension of value 0 is a real empty tensor)."""
    try:
        inferred = shape_inference.infer_shapes(model, strict_mode=True, data_prop=True)
    except Exception:  # noqa: BLE001 - shape inference fails in many ways on graphs it does not know
        return None
    sizes = {}
    for info in list(inferred.graph.value_info) + list(inferred.graph.output):
        tensor = info.type.tensor_type
        if not tensor.HasField("shape") or not all(d.HasField("dim_value") for d in tensor.shape.dim):
            return None
        sizes[info.name] = (math.prod(d.dim_value for d in tensor.shape.dim),
                            np.dtype(helper.tensor_dtype_to_np_dtype(tensor.elem_type)))
    outputs = {name for node in model.graph.node for name in node.output if name}
    return sizes if outputs <= sizes.keys() else None


def _measured_tensors(model: onnx.ModelProto, graph_input) -> dict[str, tuple[int, np.dtype]] | None:
    """(element count, dtype) of every node output, measured by running the graph once at the probe size with ONNX
    Runtime (every tensor exposed as an output, no graph rewrites); None when it cannot run."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    options.log_severity_level = 3
    dtype = helper.tensor_dtype_to_np_dtype(graph_input.type.tensor_type.elem_type)
    try:
        session = ort.InferenceSession(expose_all_outputs(model).SerializeToString(), options,
                                       providers=["CPUExecutionProvider"])
        arrays = session.run(None, {graph_input.name: np.zeros((1, 4, PROBE, PROBE), dtype)})
    except Exception:  # noqa: BLE001 - ONNX Runtime refuses graphs in many ways; the plan is then off
        return None
    return {out.name: (np.asarray(array).size, np.asarray(array).dtype)
            for out, array in zip(session.get_outputs(), arrays)}


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
    """Bytes this process can still take: the tightest of the machine's free memory, the process's address-space
    limit and its cgroup's limit; None where none is known."""
    known = [v for v in (_machine_available(), address_space_headroom(), cgroup_headroom()) if v is not None]
    return min(known) if known else None


def _machine_available() -> int | None:
    """MemAvailable (Linux), else free physical pages."""
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


def address_space_headroom() -> int | None:
    """RLIMIT_AS (`ulimit -v`) less the address space the process already maps; None without a limit."""
    import resource

    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft == resource.RLIM_INFINITY:
        return None
    try:
        status = Path("/proc/self/status").read_text()
        mapped = next(int(line.split()[1]) * 1024 for line in status.splitlines() if line.startswith("VmSize:"))
    except (OSError, ValueError, IndexError, StopIteration):
        mapped = 0
    return max(soft - mapped, 0)


NO_LIMIT = 1 << 60  # cgroup v1 writes "no limit" as a number near 2**63


def cgroup_headroom(root: Path = Path("/sys/fs/cgroup")) -> int | None:
    """The memory cgroup's limit less its usage (v2 `memory.max`/`memory.current`, at the root a container sees or
    at this process's own group; v1 `memory.limit_in_bytes`/`memory.usage_in_bytes`); None without a limit."""
    pairs = [(root / "memory.max", root / "memory.current"),
             (root / "memory" / "memory.limit_in_bytes", root / "memory" / "memory.usage_in_bytes")]
    try:
        own = next(line[3:] for line in Path("/proc/self/cgroup").read_text().splitlines() if line.startswith("0::"))
        pairs.insert(0, (root / own.strip("/") / "memory.max", root / own.strip("/") / "memory.current"))
    except (OSError, StopIteration):
        pass
    for limit_file, usage_file in pairs:
        try:
            text = limit_file.read_text().strip()
            if text == "max":
                return None
            limit, usage = int(text), int(usage_file.read_text().strip())
        except (OSError, ValueError):
            continue
        return None if limit >= NO_LIMIT else max(limit - usage, 0)
    return None


def plan_tiles(path: Path, multiple: int = 16, available: int | None = None) -> MemoryPlan | None:
    """The plan for an ONNX model on this machine, None when it cannot be estimated; one InputError when not
    even a MIN_TILE tile fits."""
    per_pixel = activation_bytes_per_pixel(path)
    available = available if available is not None else available_memory()
    if not per_pixel or available is None:
        return None
    side = int((MEMORY_SHARE * available / (RUNTIME_FACTOR * per_pixel)) ** 0.5) // multiple * multiple
    if side < MIN_TILE:
        need = RUNTIME_FACTOR * per_pixel * MIN_TILE**2 / 2**20
        raise InputError(f"{Path(path).name} needs ~{need:.0f} MiB for even a {MIN_TILE}x{MIN_TILE} tile and "
                         f"{available / 2**20:.0f} MiB are free; free memory or use a smaller model")
    return MemoryPlan(per_pixel, available, side)
