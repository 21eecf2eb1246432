"""An INT8 Q/DQ graph for TensorRT made INT8 over FP16: everything between the quantized convolutions in FP16.

Why: a strongly typed TensorRT network runs every layer in the type the graph gives it. Q/DQ on an FP32 graph
quantizes the convolutions and leaves the rest (attention gates, activations, concatenations, transposed-convolution
upsampling kept in float, the head) in FP32; on Orin's DLA, which runs only FP16 and INT8, those layers fall back to
the GPU. NVIDIA's ModelOpt quantizes on an FP16 base by default for the same reason.

How: the FP16 pass's rules (quantize/fp16.py) on the quantized graph: nodes whose activations, measured on the
calibration frames, come within the FP16 range / margin stay FP32, numerically fragile ops too, and a quantized
convolution kept FP32 keeps its own Q/DQ in FP32 with it. Q/DQ scales become FP16 where their node does: opset 19
gives QuantizeLinear/DequantizeLinear FP16 scales (TensorRT's IDequantizeLayer takes FLOAT, HALF or BF16 scales; the
output type is the scale's), so the graph is lifted from opset 17 to 19. Graph inputs and outputs stay FP32.
"""

import hashlib
import json
from pathlib import Path

import numpy as np
import onnx
from onnx import version_converter

from lowlight_edge.errors import ExportError
from lowlight_edge.fileio.hashing import sha256_file
from lowlight_edge.onnxgraph.graph import producers
from lowlight_edge.onnxgraph.metadata import (
    FP16_MARGIN_KEY,
    FP32_KEEPS_KEY,
    FP32_NODES_KEY,
    INT8_BASE_KEY,
    set_metadata,
)
from lowlight_edge.onnxgraph.ranges import activation_ranges
from lowlight_edge.quantize.fp16 import plan_fp32_nodes
from lowlight_edge.quantize.fp16_graph import convert_to_fp16

FP16_QDQ_OPSET = 19  # QuantizeLinear-19 / DequantizeLinear-19: scales of float16
BASES = ("fp16", "fp32")


_PEAKS: dict[tuple[str, str], dict[str, float]] = {}  # the sensitivity probes quantize one graph many times


def float_peaks(graph: Path, batches: list[np.ndarray]) -> dict[str, float]:
    """Max |x| of every tensor of the float graph the quantizer starts from (its tensor names are the quantized
    graph's), on the calibration frames; computed once per graph and frames."""
    key = (sha256_file(graph), hashlib.sha256(b"".join(np.ascontiguousarray(b).tobytes() for b in batches)).hexdigest())
    if key not in _PEAKS:
        _PEAKS.clear()
        _PEAKS[key] = activation_ranges(graph, batches)
    return _PEAKS[key]


def int8_over_fp16(model: onnx.ModelProto, peaks: dict[str, float],
                   margin: float = 4.0) -> tuple[onnx.ModelProto, dict[str, str]]:
    """The quantized `model` with its float body in FP16 (`peaks`: `float_peaks` of the graph it was quantized from);
    returns it and the nodes kept FP32 with each reason."""
    keep = plan_fp32_nodes(model, peaks, margin)
    keep.update(_quantizers_of(model, keep))
    lifted = _lift_opset(model)
    converted = convert_to_fp16(lifted, set(keep), fp16_io=False)
    set_metadata(converted, {INT8_BASE_KEY: "fp16", FP32_KEEPS_KEY: json.dumps(keep, sort_keys=True),
                             FP32_NODES_KEY: ",".join(sorted(keep)), FP16_MARGIN_KEY: str(margin)})
    try:
        onnx.checker.check_model(converted)
    except onnx.checker.ValidationError as exc:
        raise ExportError(f"the INT8-over-FP16 graph fails onnx.checker: {str(exc).splitlines()[0]}") from exc
    return converted, keep


def _quantizers_of(model: onnx.ModelProto, keep: dict[str, str]) -> dict[str, str]:
    """The DequantizeLinear (and its QuantizeLinear) feeding a kept node: an INT8 convolution kept FP32 dequantizes
    to FP32, or TensorRT would see a cast between its Q/DQ and the convolution and could not fuse them."""
    producer = producers(model)
    extra: dict[str, str] = {}
    for node in model.graph.node:
        if node.name not in keep:
            continue
        for name in node.input:
            dq = producer.get(name)
            if dq is None or dq.op_type != "DequantizeLinear":
                continue
            extra[dq.name] = f"dequantizes for {node.name}, kept FP32"
            q = producer.get(dq.input[0])
            if q is not None and q.op_type == "QuantizeLinear":
                extra[q.name] = f"quantizes for {node.name}, kept FP32"
    return extra


def _lift_opset(model: onnx.ModelProto) -> onnx.ModelProto:
    version = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), FP16_QDQ_OPSET)
    if version >= FP16_QDQ_OPSET:
        return model
    try:
        return version_converter.convert_version(model, FP16_QDQ_OPSET)
    except Exception as exc:  # the converter raises RuntimeError or its own errors for ops it cannot move
        raise ExportError(f"cannot lift the INT8 graph from opset {version} to {FP16_QDQ_OPSET} for FP16 Q/DQ scales "
                          f"({str(exc).splitlines()[0][:200]}); quantize with --base fp32") from exc
