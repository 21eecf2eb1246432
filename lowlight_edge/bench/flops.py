"""FLOPs of one inference, counted from the ONNX graph at a concrete input shape.

Convolutions dominate this network, so only Conv and ConvTranspose are counted (2 FLOPs per
multiply-accumulate); element-wise ops add well under 1%.
"""

from pathlib import Path

import numpy as np
import onnx


def conv_flops(model_path: Path, input_shape: tuple[int, ...]) -> float:
    """Total Conv/ConvTranspose FLOPs for one call with input `input_shape` ([N, 4, h, w])."""
    model = onnx.load(str(model_path))
    graph = model.graph
    dims = graph.input[0].type.tensor_type.shape.dim
    for dim, value in zip(dims, input_shape):
        dim.ClearField("dim_param")
        dim.dim_value = int(value)
    inferred = onnx.shape_inference.infer_shapes(model)
    shapes = {v.name: [d.dim_value for d in v.type.tensor_type.shape.dim]
              for v in list(inferred.graph.value_info) + list(inferred.graph.input) + list(inferred.graph.output)}
    weights = {t.name: tuple(t.dims) for t in graph.initializer}
    producer = {o: n for n in graph.node for o in n.output}
    total = 0.0
    for node in graph.node:
        if node.op_type not in ("Conv", "ConvTranspose"):
            continue
        w = _weight_shape(node.input[1], weights, producer)
        if node.op_type == "Conv":
            out = shapes.get(node.output[0])
            if not out or w is None:
                continue
            total += 2.0 * float(np.prod(out)) * (w[1] * w[2] * w[3])  # each output: Cin/group*kh*kw MACs
        else:
            inp = shapes.get(node.input[0])
            if not inp or w is None:
                continue
            total += 2.0 * float(np.prod(inp)) * (w[1] * w[2] * w[3])  # each input: Cout/group*kh*kw MACs
    return total


def _weight_shape(name: str, weights: dict, producer: dict):
    """The weight's shape, looking through a DequantizeLinear (INT8 Q/DQ models) or a Cast (FP16)."""
    for _ in range(3):
        if name in weights:
            return weights[name]
        node = producer.get(name)
        if node is None or node.op_type not in ("DequantizeLinear", "Cast", "Identity"):
            return None
        name = node.input[0]
    return None
