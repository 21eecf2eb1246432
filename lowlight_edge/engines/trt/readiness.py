"""Static TensorRT-readiness check of an ONNX model (what `lowlight-edge check --target tensorrt` reports).

TensorRT 10/11 build strongly typed networks: precision comes from the graph, so problems in the graph
are problems on the device. This finds, without TensorRT or a GPU:
- Q/DQ that TensorRT rejects: non-INT8 (UINT8) zero points, non-zero zero points (asymmetric), bad scales;
- weights quantized on the wrong per-channel axis (Conv: 0, ConvTranspose: 1, the output channels);
- Q/DQ that cannot fuse: a Quantize not followed by a Dequantize, or an activation Dequantize feeding an
  op TensorRT cannot run in INT8 (it then runs unfused, slower);
- ops or domains TensorRT's ONNX parser does not take (ONNX Runtime contrib ops, QOperator-format ops),
  and opsets outside what the TensorRT 10.3+ parser supports;
- dynamic dimensions other than batch, height and width (an optimization profile covers N, H, W only), or in a
  pipeline graph, other than the mosaic's; a pipeline graph made for CPU runtimes (`pipeline --target cpu`);
- I/O types TensorRT has no bindings for (16-bit integers, doubles) and uint8 tensors inside the network
  (TensorRT takes uint8 only at its inputs and outputs, through a Cast);
- FP16 tensors whose range measured on calibration frames overflows FP16.
"""

from dataclasses import dataclass

import numpy as np
import onnx
from onnx import numpy_helper

from lowlight_edge.onnxgraph.graph import producers
from lowlight_edge.onnxgraph.metadata import read_metadata
from lowlight_edge.onnxgraph.pipeline_io import MOSAIC, PipelineSpec

ERROR, WARNING, INFO = "error", "warning", "info"
UNSUPPORTED_OPS = {"QLinearConv", "QLinearMatMul", "ConvInteger", "MatMulInteger", "DynamicQuantizeLinear",
                   "QLinearAdd", "QLinearMul", "QLinearLeakyRelu", "QLinearConcat", "QLinearSigmoid",
                   "QLinearAveragePool", "FusedConv", "NhwcConv"}
INT8_CONSUMERS = {"Conv", "ConvTranspose", "MatMul", "Gemm", "Add", "Mul", "Concat", "MaxPool", "AveragePool",
                  "GlobalAveragePool", "Relu", "LeakyRelu", "Sigmoid", "Reshape", "Transpose", "Identity"}
WEIGHT_AXIS = {"Conv": 0, "ConvTranspose": 1}
PARSER_OPSETS = range(9, 21)  # onnx-tensorrt 10.x: opsets 9 to 20
# what TensorRT's `nptype` maps to numpy (BF16, FP8, INT4 I/O have none: the runner could not bind them)
IO_TYPES = {onnx.TensorProto.FLOAT, onnx.TensorProto.FLOAT16, onnx.TensorProto.INT8, onnx.TensorProto.UINT8,
            onnx.TensorProto.INT32, onnx.TensorProto.INT64, onnx.TensorProto.BOOL}


@dataclass(frozen=True)
class Finding:
    severity: str
    code: str
    node: str
    message: str


def check_tensorrt(model: onnx.ModelProto, fp16_peaks: dict[str, float] | None = None) -> list[Finding]:
    findings: list[Finding] = []
    graph = model.graph
    inits = {t.name: t for t in graph.initializer}
    consumers: dict[str, list[onnx.NodeProto]] = {}
    for node in graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
    producer = producers(model)
    findings += _opsets(model)
    pipeline = PipelineSpec.from_metadata(read_metadata(model))
    findings += _pipeline_dims(graph) if pipeline else _dynamic_dims(graph)
    if pipeline and pipeline.target != "tensorrt":
        findings.append(Finding(ERROR, "pipeline-target", "", f"a pipeline graph made for {pipeline.target} runtimes "
                                "(`pipeline --target cpu`); wrap the network again with --target tensorrt"))
    findings += _io_types(graph)
    findings += _uint8_inside(graph, consumers)
    for node in graph.node:
        if node.domain not in ("", "ai.onnx") or node.op_type in UNSUPPORTED_OPS:
            findings.append(Finding(ERROR, "unsupported-op", node.name, f"{node.domain or 'ai.onnx'}:{node.op_type} "
                                    "is not parsed by TensorRT (use QDQ format, no ONNX Runtime fused ops)"))
        if node.op_type in ("QuantizeLinear", "DequantizeLinear"):
            findings += _qdq_params(node, inits)
        if node.op_type == "QuantizeLinear":
            users = consumers.get(node.output[0], [])
            if not users or any(u.op_type != "DequantizeLinear" for u in users):
                findings.append(Finding(ERROR, "dangling-quantize", node.name,
                                        "QuantizeLinear not followed by DequantizeLinear: TensorRT cannot fuse it"))
        if node.op_type == "DequantizeLinear" and node.input[0] not in inits:
            for user in consumers.get(node.output[0], []):
                if user.op_type not in INT8_CONSUMERS:
                    findings.append(Finding(WARNING, "unfused-dq", node.name, f"feeds {user.op_type} ({user.name}), "
                                            "which TensorRT does not run in INT8: runs unfused"))
        if node.op_type in WEIGHT_AXIS:
            findings += _weight_axis(node, producer, inits)
    for tensor, peak in (fp16_peaks or {}).items():
        if not np.isfinite(peak) or peak > 65504:
            findings.append(Finding(ERROR, "fp16-overflow", tensor, f"FP16 tensor reaches {peak:.4g} on calibration "
                                    "frames (FP16 max 65504): re-run quantize fp16 with a larger --margin"))
    return findings


def _opsets(model: onnx.ModelProto) -> list[Finding]:
    out = []
    for opset in model.opset_import:
        if opset.domain in ("", "ai.onnx") and opset.version not in PARSER_OPSETS:
            out.append(Finding(ERROR, "opset", "", f"opset {opset.version} is outside what TensorRT 10.3's ONNX parser "
                               f"supports ({PARSER_OPSETS.start}-{PARSER_OPSETS.stop - 1}); export with --opset 17"))
    return out


def _dynamic_dims(graph: onnx.GraphProto) -> list[Finding]:
    out = []
    for value in graph.input:
        dims = value.type.tensor_type.shape.dim
        dynamic = [i for i, d in enumerate(dims) if not d.HasField("dim_value")]
        if any(i not in (0, 2, 3) for i in dynamic) or len(dims) != 4:
            out.append(Finding(ERROR, "dynamic-dims", value.name, f"input {value.name} has dynamic dimensions "
                               f"{dynamic} of rank {len(dims)}; only N, H, W of [N, 4, H, W] can have a profile"))
        elif dynamic:
            out.append(Finding(INFO, "dynamic-dims", value.name, "dynamic N/H/W: `lowlight-edge build` gives one "
                               "optimization profile (512x512 tile up to the Sony full frame, optimum at the full frame)"))
    return out


def _pipeline_dims(graph: onnx.GraphProto) -> list[Finding]:
    out = []
    for value in graph.input:
        dims = value.type.tensor_type.shape.dim
        dynamic = [i for i, d in enumerate(dims) if not d.HasField("dim_value")]
        if dynamic and value.name != MOSAIC:
            out.append(Finding(ERROR, "dynamic-dims", value.name, f"pipeline input {value.name} has dynamic dimensions "
                               f"{dynamic}; only the mosaic's height and width can have a profile"))
    return out + [Finding(INFO, "dynamic-dims", MOSAIC, "pipeline graph: `lowlight-edge build` gives the mosaic one "
                          "optimization profile, the frames whose packed sizes span the packed profile")]


def _io_types(graph: onnx.GraphProto) -> list[Finding]:
    out = []
    for value in [*graph.input, *graph.output]:
        elem = value.type.tensor_type.elem_type
        if elem not in IO_TYPES:
            out.append(Finding(ERROR, "io-type", value.name, f"{value.name} is {onnx.TensorProto.DataType.Name(elem)}: "
                               "TensorRT or its numpy bindings have no type for it (16-bit integers go in as uint8 "
                               "byte pairs; BF16/FP8 I/O has no numpy type)"))
    return out


def _uint8_inside(graph: onnx.GraphProto, consumers: dict) -> list[Finding]:
    """TensorRT takes uint8 only as network I/O: a uint8 input may only be cast, a cast to uint8 only be an output."""
    out = []
    outputs = {o.name for o in graph.output}
    for value in graph.input:
        if value.type.tensor_type.elem_type == onnx.TensorProto.UINT8:
            for user in consumers.get(value.name, []):
                if user.op_type != "Cast":
                    out.append(Finding(ERROR, "uint8-inside", user.name, f"uint8 input {value.name} feeds {user.op_type}; "
                                       "TensorRT only casts uint8 inputs"))
    for node in graph.node:
        to = next((a.i for a in node.attribute if a.name == "to"), None)
        if node.op_type == "Cast" and to == onnx.TensorProto.UINT8 and node.output[0] not in outputs:
            out.append(Finding(ERROR, "uint8-inside", node.name, "casts to uint8 inside the network; TensorRT takes "
                               "uint8 only as a network output"))
    return out


def _qdq_params(node: onnx.NodeProto, inits: dict) -> list[Finding]:
    out = []
    scale = inits.get(node.input[1]) if len(node.input) > 1 else None
    zero = inits.get(node.input[2]) if len(node.input) > 2 else None
    if scale is None:
        return [Finding(ERROR, "qdq-scale", node.name, "scale is not a constant initializer")]
    s = numpy_helper.to_array(scale)
    if not np.all(np.isfinite(s)) or np.any(s <= 0):
        out.append(Finding(ERROR, "qdq-scale", node.name, "scale must be finite and positive"))
    if zero is not None:
        z = numpy_helper.to_array(zero)
        if z.dtype != np.int8:
            out.append(Finding(ERROR, "qdq-type", node.name, f"{z.dtype} Q/DQ: TensorRT takes INT8 (signed) only; "
                               "quantize with --target tensorrt"))
        elif np.any(z != 0):
            out.append(Finding(ERROR, "qdq-asymmetric", node.name, "non-zero zero point: TensorRT needs symmetric "
                               "quantization (zero point 0)"))
    return out


def _weight_axis(node: onnx.NodeProto, producer_of: dict, inits: dict) -> list[Finding]:
    producer = producer_of.get(node.input[1])
    if producer is None or producer.op_type != "DequantizeLinear":
        return []
    scale = inits.get(producer.input[1])
    if scale is None or numpy_helper.to_array(scale).size <= 1:
        return []
    axis = next((a.i for a in producer.attribute if a.name == "axis"), 1)
    expected = WEIGHT_AXIS[node.op_type]
    if axis != expected:
        return [Finding(ERROR, "weight-axis", producer.name, f"{node.op_type} weights quantized per channel on axis "
                        f"{axis}; TensorRT expects the output-channel axis {expected}")]
    return []
