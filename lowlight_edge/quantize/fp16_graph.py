"""Mixed FP16/FP32 conversion of an ONNX graph: every node in FP16 except a given set kept in FP32.

Why not onnxconverter-common: its `node_block_list` path produces graphs ONNX Runtime refuses ("Type
(tensor(float)) of output arg ... does not match expected type (tensor(float16))") as soon as blocked
and converted nodes alternate, which is exactly the case of an overflow-prone layer inside a network.
The rule here is small and checkable:
- a tensor's precision is its producer's (graph inputs: FP32, or FP16 with `fp16_io`);
- an FP16 node gets FP16 copies of its float initializers and Constant values;
- wherever a node reads a tensor of the other precision, one shared Cast is inserted;
- graph outputs keep their declared type (a final Cast when needed).
Shape inference then re-derives every intermediate type.
"""

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

FLOAT_TYPES = (TensorProto.FLOAT, TensorProto.FLOAT16)


def convert_to_fp16(model: onnx.ModelProto, keep_fp32: set[str], fp16_io: bool = False) -> onnx.ModelProto:
    out = onnx.ModelProto()
    out.CopyFrom(model)
    graph = out.graph
    inits = {t.name: t for t in graph.initializer}
    fp16_inits: dict[str, str] = {}
    precision: dict[str, int] = {}  # tensor name -> TensorProto.FLOAT or FLOAT16 (float tensors only)
    for value in graph.input:
        if value.type.tensor_type.elem_type in FLOAT_TYPES:
            if fp16_io:
                value.type.tensor_type.elem_type = TensorProto.FLOAT16
            precision[value.name] = value.type.tensor_type.elem_type
    for name, tensor in inits.items():
        if tensor.data_type == TensorProto.FLOAT:
            precision[name] = TensorProto.FLOAT

    casts: dict[tuple[str, int], str] = {}
    new_nodes: list[onnx.NodeProto] = []

    def cast(name: str, to: int) -> str:
        key = (name, to)
        if key not in casts:
            casts[key] = f"{name}__as_{'fp16' if to == TensorProto.FLOAT16 else 'fp32'}"
            new_nodes.append(helper.make_node("Cast", [name], [casts[key]], name=f"{casts[key]}_cast", to=to))
        return casts[key]

    for node in graph.node:
        target = TensorProto.FLOAT if node.name in keep_fp32 else TensorProto.FLOAT16
        for i, name in enumerate(node.input):
            if name in inits and inits[name].data_type == TensorProto.FLOAT and target == TensorProto.FLOAT16:
                if name not in fp16_inits:  # one FP16 copy, however many nodes share the initializer
                    fp16_inits[name] = _fp16_initializer(graph, inits[name])
                node.input[i] = fp16_inits[name]
            elif precision.get(name, target) != target:
                node.input[i] = cast(name, target)
        if node.op_type == "Constant" and target == TensorProto.FLOAT16:
            for attr in node.attribute:
                if attr.name == "value" and attr.t.data_type == TensorProto.FLOAT:
                    attr.t.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(attr.t).astype(np.float16)))
        if node.op_type == "Cast":  # an existing float Cast follows the node's precision
            for attr in node.attribute:
                if attr.name == "to" and attr.i in FLOAT_TYPES:
                    attr.i = target
        new_nodes.append(node)
        for name in node.output:
            precision[name] = target

    for value in graph.output:
        want = TensorProto.FLOAT16 if fp16_io else value.type.tensor_type.elem_type
        if value.type.tensor_type.elem_type in FLOAT_TYPES and precision.get(value.name) not in (None, want):
            internal = f"{value.name}__internal"
            for node in new_nodes:
                node.output[:] = [internal if o == value.name else o for o in node.output]
                node.input[:] = [internal if i == value.name else i for i in node.input]
            new_nodes.append(helper.make_node("Cast", [internal], [value.name], name=f"{value.name}_output_cast", to=want))
        if fp16_io and value.type.tensor_type.elem_type in FLOAT_TYPES:
            value.type.tensor_type.elem_type = TensorProto.FLOAT16

    graph.ClearField("node")
    graph.node.extend(new_nodes)
    graph.ClearField("value_info")
    used = {i for n in graph.node for i in n.input}
    kept_inits = [t for t in graph.initializer if t.name in used]
    graph.ClearField("initializer")
    graph.initializer.extend(kept_inits)
    return onnx.shape_inference.infer_shapes(out)


def _fp16_initializer(graph: onnx.GraphProto, tensor: onnx.TensorProto) -> str:
    name = f"{tensor.name}__fp16"
    # values beyond the FP16 range are clipped to it, never turned into Inf
    array = np.clip(numpy_helper.to_array(tensor), -65504, 65504).astype(np.float16)
    graph.initializer.append(numpy_helper.from_array(array, name))
    return name
