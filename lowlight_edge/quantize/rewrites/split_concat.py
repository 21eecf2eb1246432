"""Conv(Concat(a, b)) -> Conv_a(a) + Conv_b(b): the same function, quantized far better.

Each decoder level concatenates the upsampled features with the gated skip. Their ranges differ by 10x
to 80x (the attention gate scales the skip down), so the one INT8 scale a concatenated tensor gets
leaves the skip one or two quantization levels: that concatenation and the convolution reading it were
the most LPIPS-sensitive layers of the model. Splitting the convolution's weights along its input
channels gives every input its own scale; the partial results are summed (exact in real arithmetic).
It also removes the concatenation's copy of the largest tensors in the network.
"""

import numpy as np
import onnx
from onnx import helper, numpy_helper

from lowlight_edge.onnxgraph.graph import drop_unused_initializers, readers


def split_concat_convs(model: onnx.ModelProto) -> dict[str, list[str]]:
    """Rewrite `model` in place; returns {convolution split: the nodes replacing it}."""
    graph = model.graph
    weights = {t.name: t for t in graph.initializer}
    channels = _channel_counts(model)
    reading = readers(model)
    graph_outputs = {o.name for o in graph.output}
    split, new_nodes, dropped = {}, [], set()
    for node in graph.node:
        conv = _splittable_conv(node, reading, graph_outputs, weights, channels)
        if conv is None:
            continue
        dropped.update((id(node), id(conv)))
        nodes = _split(graph, conv, list(node.input), [channels[i] for i in node.input], weights)
        new_nodes.append((id(conv), nodes))
        split[conv.name] = [n.name for n in nodes]
    replacement = dict(new_nodes)
    rebuilt = []
    for node in graph.node:
        if id(node) in replacement:
            rebuilt.extend(replacement[id(node)])
        elif id(node) not in dropped:
            rebuilt.append(node)
    del graph.node[:]
    graph.node.extend(rebuilt)
    drop_unused_initializers(model)
    return split


def _channel_counts(model: onnx.ModelProto) -> dict[str, int]:
    """Static channel dimension (axis 1) of every tensor shape inference can tell."""
    inferred = onnx.shape_inference.infer_shapes(model)
    counts = {}
    for info in list(inferred.graph.value_info) + list(inferred.graph.input) + list(inferred.graph.output):
        dims = info.type.tensor_type.shape.dim
        if len(dims) >= 2 and dims[1].HasField("dim_value"):
            counts[info.name] = dims[1].dim_value
    return counts


def _splittable_conv(concat, reading, graph_outputs, weights, channels):
    """The plain convolution that alone reads this channel concatenation, or None."""
    if concat.op_type != "Concat" or concat.output[0] in graph_outputs:
        return None
    axis = next((a.i for a in concat.attribute if a.name == "axis"), None)
    if axis not in (1, -3) or not all(name in channels for name in concat.input):
        return None
    consumers = reading.get(concat.output[0], [])
    if len(consumers) != 1 or consumers[0].op_type != "Conv":
        return None
    conv = consumers[0]
    group = next((a.i for a in conv.attribute if a.name == "group"), 1)
    if group != 1 or conv.input[0] != concat.output[0] or conv.input[1] not in weights:
        return None
    if weights[conv.input[1]].dims[1] != sum(channels[name] for name in concat.input):
        return None
    return conv


def _split(graph, conv, inputs: list[str], counts: list[int], weights) -> list[onnx.NodeProto]:
    weight = numpy_helper.to_array(weights[conv.input[1]])
    bias = conv.input[2] if len(conv.input) > 2 else ""
    offsets = np.cumsum([0] + counts)
    nodes, partials = [], []
    for index, (name, start, stop) in enumerate(zip(inputs, offsets[:-1], offsets[1:])):
        part_weight = f"{conv.input[1]}_in{index}"
        graph.initializer.append(numpy_helper.from_array(np.ascontiguousarray(weight[:, start:stop]), part_weight))
        partial = f"{conv.output[0]}_in{index}"
        node_inputs = [name, part_weight] + ([bias] if index == 0 and bias else [])
        nodes.append(helper.make_node("Conv", node_inputs, [partial], name=f"{conv.name}_in{index}"))
        nodes[-1].attribute.extend(conv.attribute)
        partials.append(partial)
    total = partials[0]
    for index, partial in enumerate(partials[1:], 1):
        out = conv.output[0] if index == len(partials) - 1 else f"{conv.output[0]}_sum{index}"
        nodes.append(helper.make_node("Add", [total, partial], [out], name=f"{conv.name}_sum{index}"))
        total = out
    return nodes
