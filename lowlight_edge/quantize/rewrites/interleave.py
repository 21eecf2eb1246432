"""2x upsampling that stays in INT8 on ONNX Runtime's CPU: no ConvTranspose, no DepthToSpace.

ONNX Runtime's CPU provider has no quantized ConvTranspose, so each decoder's 2x2/stride-2 up-convolution
ran in float between a dequantize and a quantize, with layout transposes around it; its DepthToSpace
(the final pixel shuffle) is a slow generic shuffle, for uint8 as for float. Both are rewritten exactly:

- ConvTranspose(k=2, s=2) -> 1x1 Conv to 4C channels + DepthToSpace (one channel group per output phase);
- Conv -> DepthToSpace(2) -> the same Conv with its output channels reordered phase-major, then
  Transpose to channels-last, Reshape [N, h, w, 2, 2C], Transpose rows and phases, Reshape [N, 2h, 2w, C],
  Transpose back. ONNX Runtime runs the convolution channels-last, cancels the transposes against its own
  and moves 2C-byte blocks of uint8 in the middle one.

Used for the `cpu` INT8 target (TensorRT quantizes ConvTranspose itself); the DepthToSpace rewrite also gives pipeline
graphs a channels-last network output (export/network_layout.py).
"""

import numpy as np
import onnx
from onnx import helper, numpy_helper

from lowlight_edge.onnxgraph.graph import drop_unused_initializers, producers, readers


def rewrite_upsampling(model: onnx.ModelProto) -> dict[str, list[str]]:
    """Rewrite `model` in place; returns {original node: nodes that replace it}."""
    as_conv = _convtranspose_as_conv(model)
    shuffles = depth_to_space_channels_last(model)
    replaced = {original: [new for name in names for new in shuffles.pop(name, [name])]
                for original, names in as_conv.items()}
    replaced.update(shuffles)
    drop_unused_initializers(model)
    return replaced


def shapes_read_quantized(model: onnx.ModelProto) -> None:
    """Point Shape nodes at the quantized tensor instead of its DequantizeLinear (same shape).

    A dequantized tensor read by Shape keeps its DequantizeLinear alive: a full float copy of the largest
    tensors, only to learn their dimensions.
    """
    producer = producers(model)
    for node in model.graph.node:
        source = producer.get(node.input[0]) if node.op_type == "Shape" else None
        if source is not None and source.op_type == "DequantizeLinear":
            node.input[0] = source.input[0]


def _attributes(node) -> dict:
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def _initializers(model) -> dict:
    return {t.name: t for t in model.graph.initializer}


def _convtranspose_as_conv(model) -> dict[str, list[str]]:
    weights = _initializers(model)
    rebuilt, replaced = [], {}
    for node in model.graph.node:
        attrs = _attributes(node)
        plain = (list(attrs.get("kernel_shape", [])) == [2, 2] and list(attrs.get("strides", [])) == [2, 2]
                 and not any(attrs.get("pads", [])) and attrs.get("group", 1) == 1
                 and not any(attrs.get("output_padding", [])) and list(attrs.get("dilations", [1, 1])) == [1, 1])
        if node.op_type != "ConvTranspose" or not plain or node.input[1] not in weights:
            rebuilt.append(node)
            continue
        weight = numpy_helper.to_array(weights[node.input[1]])  # [Cin, C, 2, 2]
        c_in, c_out = weight.shape[:2]
        as_conv = np.ascontiguousarray(weight.transpose(1, 2, 3, 0).reshape(c_out * 4, c_in, 1, 1))  # (c, a, b)
        inputs = [node.input[0], _add(model, f"{node.input[1]}_as_conv", as_conv)]
        if len(node.input) > 2 and node.input[2]:
            bias = numpy_helper.to_array(weights[node.input[2]])
            inputs.append(_add(model, f"{node.input[2]}_as_conv", np.repeat(bias, 4)))
        phases = f"{node.output[0]}_phases"
        rebuilt.append(helper.make_node("Conv", inputs, [phases], name=f"{node.name}_phases", kernel_shape=[1, 1]))
        rebuilt.append(helper.make_node("DepthToSpace", [phases], list(node.output), name=f"{node.name}_shuffle",
                                        blocksize=2, mode="CRD"))
        replaced[node.name] = [f"{node.name}_phases", f"{node.name}_shuffle"]
    del model.graph.node[:]
    model.graph.node.extend(rebuilt)
    return replaced


def depth_to_space_channels_last(model) -> dict[str, list[str]]:
    """Rewrite each DepthToSpace(2) fed by a Conv with stored weights, in place; returns {shuffle: its nodes}."""
    weights = _initializers(model)
    producer = producers(model)
    reading = readers(model)
    rebuilt, replaced, rewritten_convs = [], {}, {}
    for node in model.graph.node:
        attrs = _attributes(node)
        conv = producer.get(node.input[0]) if node.op_type == "DepthToSpace" else None
        if (conv is None or conv.op_type != "Conv" or attrs.get("blocksize") != 2
                or len(reading[node.input[0]]) != 1 or conv.input[1] not in weights):
            rebuilt.append(node)
            continue
        mode = attrs.get("mode", b"DCR")
        mode = mode.decode() if isinstance(mode, bytes) else mode
        channels, rewritten_convs[conv.name] = _phase_major(model, conv, weights, mode)
        nodes = _interleave(model, node, conv.output[0], channels)
        rebuilt.extend(nodes)
        replaced[node.name] = [n.name for n in nodes]
    for node in rebuilt:
        if node.name in rewritten_convs:
            del node.input[1:]
            node.input.extend(rewritten_convs[node.name])
    del model.graph.node[:]
    model.graph.node.extend(rebuilt)
    return replaced


def _phase_major(model, conv, weights, mode: str) -> tuple[int, list[str]]:
    """Reorder the convolution's output channels to (phase row, phase column, channel).

    Returns the channels per phase and the new weight (and bias) names for the convolution."""
    weight = numpy_helper.to_array(weights[conv.input[1]])
    channels = weight.shape[0] // 4
    if mode == "CRD":  # input channel c*4 + a*2 + b -> (a*2 + b)*C + c
        order = np.arange(weight.shape[0]).reshape(channels, 4).T.reshape(-1)
    else:  # DCR is already phase-major
        order = np.arange(weight.shape[0])
    inputs = [conv.input[0], _add(model, f"{conv.input[1]}_phase_major", np.ascontiguousarray(weight[order]))]
    if len(conv.input) > 2 and conv.input[2]:
        bias = numpy_helper.to_array(weights[conv.input[2]])
        inputs.append(_add(model, f"{conv.input[2]}_phase_major", np.ascontiguousarray(bias[order])))
    return channels, inputs[1:]


def _interleave(model, shuffle, phases: str, channels: int) -> list[onnx.NodeProto]:
    name, out = shuffle.name, shuffle.output[0]
    ints = lambda tag, values: _add(model, f"{name}_{tag}", np.array(values, np.int64))  # noqa: E731
    return [
        helper.make_node("Transpose", [phases], [f"{out}_nhwc"], name=f"{name}_to_nhwc", perm=[0, 2, 3, 1]),
        helper.make_node("Reshape", [f"{out}_nhwc", ints("split", [0, 0, 0, 2, 2 * channels])], [f"{out}_rows"],
                         name=f"{name}_split_rows"),
        helper.make_node("Transpose", [f"{out}_rows"], [f"{out}_interleaved"], name=f"{name}_interleave",
                         perm=[0, 1, 3, 2, 4]),
        helper.make_node("Shape", [phases], [f"{out}_phase_shape"], name=f"{name}_shape"),
        # [N, 4C, h, w] -> [N, 2h, 2w, C]
        helper.make_node("Div", [f"{out}_phase_shape", ints("divisor", [1, 4, 1, 1])], [f"{out}_quarter"],
                         name=f"{name}_quarter"),
        helper.make_node("Mul", [f"{out}_quarter", ints("factor", [1, 1, 2, 2])], [f"{out}_nchw_shape"],
                         name=f"{name}_double"),
        helper.make_node("Gather", [f"{out}_nchw_shape", ints("nhwc_order", [0, 2, 3, 1])], [f"{out}_nhwc_shape"],
                         name=f"{name}_nhwc_shape"),
        helper.make_node("Reshape", [f"{out}_interleaved", f"{out}_nhwc_shape"], [f"{out}_merged"],
                         name=f"{name}_merge"),
        helper.make_node("Transpose", [f"{out}_merged"], [out], name=f"{name}_to_nchw", perm=[0, 3, 1, 2]),
    ]


def _add(model, name: str, array: np.ndarray) -> str:
    model.graph.initializer.append(numpy_helper.from_array(array, name))
    return name
