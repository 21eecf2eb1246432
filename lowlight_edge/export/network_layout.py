"""Take a network's output channels-last, so that the pipeline graph's HWC pixels need no layout pass of their own.

The network gives NCHW; the pipeline's output is HWC. Converting is a full pass over 36 million floats at the Sony
full frame, and the network's own final DepthToSpace is another (ONNX Runtime runs it as a slow generic shuffle).
Two exact rewrites, on a copy of the network:

- a DepthToSpace fed by a Conv with stored weights (FP32 and FP16 exports): the convolution's output channels are
  reordered phase-major and the shuffle becomes channels-last reshapes around a transpose of 2C-value blocks
  (quantize/rewrites/interleave.py, the same rewrite INT8 graphs for the cpu target get), ending in a Transpose
  back to NCHW;
- a final Transpose from channels-last to NCHW, possibly followed by per-tensor QuantizeLinear/DequantizeLinear
  or Cast: the Transpose is dropped and the nodes after it run on the channels-last tensor. They act on each
  value alone with one scale, so the values are the same, in another order.

Anything else (e.g. INT8 for TensorRT, whose DepthToSpace reads dequantized weights) stays NCHW.
"""

import math

import onnx
from onnx import helper

from lowlight_edge.onnxgraph.graph import drop_unused_initializers, producers, readers
from lowlight_edge.quantize.rewrites.interleave import depth_to_space_channels_last

NCHW, NHWC = "NCHW", "NHWC"
_TO_NCHW = [0, 3, 1, 2]
_PER_VALUE = ("QuantizeLinear", "DequantizeLinear", "Cast", "Identity")


def channels_last_output(network: onnx.ModelProto) -> tuple[onnx.ModelProto, str]:
    """A copy of `network` with its output NHWC where an exact rewrite allows it; returns it and its layout."""
    model = onnx.ModelProto()
    model.CopyFrom(network)
    final = producers(model).get(model.graph.output[0].name)
    if final is not None and final.op_type == "DepthToSpace":
        depth_to_space_channels_last(model)
        drop_unused_initializers(model)
    if not _drop_final_transpose(model):
        return network, NCHW
    return model, NHWC


def _drop_final_transpose(model: onnx.ModelProto) -> bool:
    """Remove a Transpose to NCHW that only per-value nodes separate from the output; False where there is none."""
    output = model.graph.output[0]
    producer, reading = producers(model), readers(model)
    scalars = {t.name for t in model.graph.initializer if math.prod(t.dims) == 1}
    chain, node = [], producer.get(output.name)
    while node is not None and node.op_type in _PER_VALUE and all(i in scalars for i in node.input[1:]):
        chain.append(node)
        node = producer.get(node.input[0])
    if node is None or node.op_type != "Transpose" or _perm(node) != _TO_NCHW:
        return False
    channels_last = node.input[0]
    between = [n.output[0] for n in chain[1:]] + ([node.output[0]] if chain else [])
    if any(len(reading.get(name, [])) != 1 for name in between) or reading.get(output.name):
        return False  # a value is read elsewhere too: it must keep its layout
    if not chain and channels_last not in producer:
        return False  # the graph's input or a constant: nothing to rename
    if chain:
        chain[-1].input[0] = channels_last
    else:
        for other in model.graph.node:
            other.output[:] = [output.name if o == channels_last else o for o in other.output]
            other.input[:] = [output.name if i == channels_last else i for i in other.input]
    model.graph.node.remove(node)
    moved = {n.output[0] for n in chain} | {channels_last}
    kept = [v for v in model.graph.value_info if v.name not in moved]  # shapes recorded for the old layout
    del model.graph.value_info[:]
    model.graph.value_info.extend(kept)
    output.CopyFrom(helper.make_tensor_value_info(output.name, output.type.tensor_type.elem_type, None))
    return True


def _perm(node: onnx.NodeProto) -> list[int]:
    return next((list(a.ints) for a in node.attribute if a.name == "perm"), [])
