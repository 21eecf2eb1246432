"""FP32 ONNX -> FP16 ONNX that does not overflow (a loader: `fp16_from_onnx`).

Weights and compute go to FP16 (`fp16_graph.convert_to_fp16`), except:
- nodes whose activations, measured on calibration frames, exceed the FP16 range divided by a safety
  margin (default 4: 65504 / 4 = 16376), kept in FP32 so they cannot overflow to Inf/NaN;
- numerically fragile ops (exponentials, logs, powers, divisions, reductions, normalisations), kept in
  FP32 wherever they appear (the generator has none today; a future variant may).
Inputs and outputs stay FP32 unless `fp16_io`. The report says which nodes stayed FP32 and why.
"""

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import onnx

from lowlight_edge.engines.ort_runner import OrtRunner
from lowlight_edge.errors import ExportError
from lowlight_edge.fileio.atomic import atomic_output
from lowlight_edge.onnxgraph.graph import producers
from lowlight_edge.onnxgraph.metadata import (
    FP16_MARGIN_KEY,
    FP32_KEEPS_KEY,
    FP32_NODES_KEY,
    PRECISION_KEY,
    read_metadata,
    set_metadata,
)
from lowlight_edge.onnxgraph.ranges import activation_ranges
from lowlight_edge.quantize.fp16_graph import convert_to_fp16

FP16_MAX = 65504.0
FRAGILE_OPS = ("Exp", "Log", "Pow", "Div", "Sqrt", "Reciprocal", "ReduceSum", "ReduceMean", "ReduceL2",
               "ReduceSumSquare", "Softmax", "LogSoftmax", "LayerNormalization", "InstanceNormalization", "Erf")


@dataclass
class Fp16Report:
    output: Path
    kept_fp32: dict[str, str] = field(default_factory=dict)  # node name -> reason
    peak_activation: float = 0.0
    max_abs_diff: float = 0.0
    psnr_db: float = 0.0


def plan_fp32_nodes(model: onnx.ModelProto, peaks: dict[str, float], margin: float) -> dict[str, str]:
    """Which nodes must stay FP32, with the reason for each."""
    limit = FP16_MAX / margin
    keep: dict[str, str] = {}
    by_output = producers(model)
    for tensor, peak in peaks.items():
        node = by_output.get(tensor)
        if node is not None and peak > limit:
            keep[node.name] = f"activation peak {peak:.4g} > {limit:.4g} (FP16 max / margin {margin:g})"
    for node in model.graph.node:
        if node.op_type in FRAGILE_OPS:
            keep.setdefault(node.name, f"{node.op_type} is numerically fragile in FP16")
    return keep


def fp16_from_onnx(source: Path, output: Path, batches: list[np.ndarray], margin: float = 4.0,
                   fp16_io: bool = False, force: bool = False) -> Fp16Report:
    model = onnx.load(str(source))
    peaks = activation_ranges(source, batches)
    keep = plan_fp32_nodes(model, peaks, margin)
    unnamed = [n for n in model.graph.node if not n.name]
    if unnamed:
        raise ExportError(f"{source}: {len(unnamed)} nodes have no name, so they cannot be kept in FP32 by name")
    converted = convert_to_fp16(model, set(keep), fp16_io)
    meta = read_metadata(model)
    meta.update({PRECISION_KEY: "fp16", FP32_NODES_KEY: ",".join(sorted(keep)),
                 FP32_KEEPS_KEY: json.dumps(keep, sort_keys=True), FP16_MARGIN_KEY: str(margin)})
    set_metadata(converted, meta)
    try:
        onnx.checker.check_model(converted)
    except onnx.checker.ValidationError as exc:
        raise ExportError(f"the FP16 graph fails onnx.checker: {str(exc).splitlines()[0]}") from exc
    report = Fp16Report(output=Path(output), kept_fp32=keep, peak_activation=max(peaks.values(), default=0.0))
    with atomic_output(output, force) as tmp:
        onnx.save(converted, str(tmp))
        report.max_abs_diff, report.psnr_db = _compare(source, tmp, batches[0], fp16_io)
    return report


def _compare(fp32_path: Path, fp16_path: Path, batch: np.ndarray, fp16_io: bool) -> tuple[float, float]:
    """FP16 against FP32 on one calibration frame; a non-finite output fails the conversion."""
    with OrtRunner(fp32_path) as ref, OrtRunner(fp16_path) as cand:
        a = ref.infer(batch)
        b = cand.session.run(None, {cand.session.get_inputs()[0].name: batch.astype(np.float16) if fp16_io else batch})[0]
    b = b.astype(np.float32)
    if not np.isfinite(b).all():
        raise ExportError(f"the FP16 model produced {int(b.size - np.isfinite(b).sum())} non-finite values on a "
                          "calibration frame; raise --margin or add calibration frames that cover the range")
    diff = np.abs(np.clip(a, 0, 1) - np.clip(b, 0, 1))
    mse = float(np.mean(diff.astype(np.float64) ** 2))
    return float(diff.max()), float("inf") if mse == 0 else float(10 * np.log10(1 / mse))
