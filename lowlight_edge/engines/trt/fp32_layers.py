"""Which layers of a reduced-precision graph compute in FP32, and whether each is a documented keep.

A strongly typed engine runs each layer in the type the graph gives it, so an FP32 layer in an FP16 or INT8 graph
is an FP32 layer on the GPU, and on Orin's DLA (FP16 and INT8 only) a layer that falls back to the GPU. The FP16
pass and the INT8-over-FP16 pass record the nodes they keep FP32 and why (`lowlight_edge.fp32_keeps`); `check`
lists those as information and every other FP32 layer as a warning (an INT8 graph on an FP32 base has all its
float layers there: quantize with --base fp16).
"""

import json

import onnx

from lowlight_edge.engines.trt.readiness import INFO, WARNING, Finding
from lowlight_edge.onnxgraph.metadata import FP32_KEEPS_KEY, FP32_NODES_KEY, PRECISION_KEY, read_metadata
from lowlight_edge.onnxgraph.pipeline_io import PIPELINE_KEY

# nodes that move or convert data rather than compute on it: their type follows what they carry
NOT_LAYERS = {"Cast", "QuantizeLinear", "DequantizeLinear", "Constant", "Shape", "Identity", "Reshape", "Squeeze",
              "Unsqueeze", "Flatten", "Gather", "Slice", "Concat", "Transpose"}
SHOWN = 6  # names listed in the one warning line; the JSON report has them all


def fp32_layers(model: onnx.ModelProto) -> list[str]:
    """Compute nodes whose (first) output is FP32, by the types shape inference gives every tensor."""
    inferred = onnx.shape_inference.infer_shapes(model)
    types = {v.name: v.type.tensor_type.elem_type for v in [*inferred.graph.value_info, *inferred.graph.output]}
    return [n.name for n in model.graph.node if n.op_type not in NOT_LAYERS and n.output
            and types.get(n.output[0]) == onnx.TensorProto.FLOAT]


def documented_keeps(meta: dict[str, str]) -> dict[str, str]:
    """{node: reason} a quantize pass recorded; FP16 files from before reasons were kept list names only."""
    try:
        keeps = json.loads(meta.get(FP32_KEEPS_KEY, "{}"))
    except (ValueError, RecursionError):
        keeps = {}
    keeps = {str(k): str(v) for k, v in keeps.items()} if isinstance(keeps, dict) else {}
    for name in filter(None, meta.get(FP32_NODES_KEY, "").split(",")):
        keeps.setdefault(name, "kept FP32 by the FP16 pass")
    return keeps


def fp32_layer_findings(model: onnx.ModelProto) -> list[Finding]:
    meta = read_metadata(model)
    if meta.get(PRECISION_KEY, "fp32") not in ("fp16", "int8") or PIPELINE_KEY in meta:
        return []  # an FP32 network is FP32 by design; a pipeline's own pre/post-processing is FP32 by design
    keeps = documented_keeps(meta)
    layers = fp32_layers(model)
    findings = [Finding(INFO, "fp32-keep", name, f"stays FP32: {keeps[name]}") for name in layers if name in keeps]
    others = [name for name in layers if name not in keeps]
    if others:
        shown = ", ".join(others[:SHOWN]) + (f" and {len(others) - SHOWN} more" if len(others) > SHOWN else "")
        findings.append(Finding(WARNING, "fp32-layers", others[0], f"{len(others)} layers compute in FP32 outside the "
                                f"documented keeps ({shown}): FP32 on the GPU, GPU fallback on a DLA; for an INT8 graph "
                                "quantize with --base fp16"))
    return findings
