"""Activation equalization: give every channel of Conv -> LeakyReLU -> Conv the same range (exact rewrite).

INT8 drift on this model comes from the activations (16-bit activations with INT8 weights drift 0.0002
LPIPS, INT8 activations with 16-bit weights 0.0198): one scale per tensor, and channels whose values span
a fraction of the tensor's range get a fraction of its 256 levels. LeakyReLU is positively homogeneous
(f(t*x) = t*f(x) for t > 0), so channel i of the first convolution can be multiplied by t_i and the
second convolution's input channel i divided by t_i without changing the function. t_i brings channel
i's calibration range up to the widest one (capped), moving precision the weights have to spare (they
are quantized per output channel) to the activations.
"""

import numpy as np
import onnx
import onnxruntime as ort
from onnx import numpy_helper

from lowlight_edge.onnxgraph.graph import producers, readers

MAX_GAIN = 16.0  # a channel is scaled up at most this much: weights lose at most 4 of their 8 bits


def equalize_activations(model: onnx.ModelProto, batches: list[np.ndarray]) -> list[str]:
    """Rewrite `model` in place; returns the activation nodes whose channels were equalized."""
    pairs = _equalizable(model)
    if not pairs or not batches:
        return []
    spans = _channel_spans(model, [activation.input[0] for _, activation, _ in pairs], batches)
    weights = {t.name: t for t in model.graph.initializer}
    for convs, activation, consumer in pairs:
        span = np.maximum(spans[activation.input[0]], 1e-12)
        gain = np.clip(span.max() / span, 1.0, MAX_GAIN).astype(np.float32)
        for conv in convs:
            _scale(weights, conv.input[1], gain, axis=0)
            if len(conv.input) > 2 and conv.input[2]:
                _scale(weights, conv.input[2], gain, axis=0)
        _scale(weights, consumer.input[1], 1.0 / gain, axis=1)
    return [activation.name for _, activation, _ in pairs]


def _equalizable(model):
    """(producing convolutions, LeakyRelu, consuming convolution) where nothing else reads between them.

    The producer is a Conv, or the Add of a split convolution's partial results (quantize/rewrites/split_concat.py).
    """
    producer = producers(model)
    reading = readers(model)
    weights = {t.name for t in model.graph.initializer}
    private = {name for name in weights if len(reading.get(name, [])) == 1}  # scaling it changes nothing else
    pairs = []
    for node in model.graph.node:
        consumers = reading.get(node.output[0], []) if node.op_type == "LeakyRelu" else []
        if len(consumers) != 1 or consumers[0].op_type != "Conv" or consumers[0].input[0] != node.output[0]:
            continue
        source = producer.get(node.input[0])
        if source is None or len(reading[node.input[0]]) != 1:
            continue
        convs = [source] if source.op_type == "Conv" else (
            [producer.get(name) for name in source.input] if source.op_type == "Add" else [])
        if not convs or not all(c is not None and c.op_type == "Conv" and _group(c) == 1
                                and len(reading[c.output[0]]) == 1 for c in convs):
            continue
        scaled = [name for c in convs for name in c.input[1:] if name] + [consumers[0].input[1]]
        if _group(consumers[0]) == 1 and all(name in private for name in scaled):
            pairs.append((convs, node, consumers[0]))
    return pairs


def _group(node) -> int:
    return next((a.i for a in node.attribute if a.name == "group"), 1)


def _channel_spans(model, names: list[str], batches) -> dict[str, np.ndarray]:
    """max - min of each channel of the named tensors over the calibration frames."""
    probe = onnx.ModelProto()
    probe.CopyFrom(model)
    del probe.graph.output[:]
    for name in names:
        probe.graph.output.add(name=name)
    options = ort.SessionOptions()
    options.log_severity_level = 3
    session = ort.InferenceSession(probe.SerializeToString(), options, providers=["CPUExecutionProvider"])
    input_name = session.get_inputs()[0].name
    low: dict[str, np.ndarray] = {}
    high: dict[str, np.ndarray] = {}
    for batch in batches:
        for name, value in zip(names, session.run(names, {input_name: batch})):
            axes = (0,) + tuple(range(2, value.ndim))
            low[name] = np.minimum(low.get(name, np.inf), value.min(axis=axes))
            high[name] = np.maximum(high.get(name, -np.inf), value.max(axis=axes))
    return {name: high[name] - low[name] for name in names}


def _scale(weights, name: str, factor: np.ndarray, axis: int) -> None:
    array = numpy_helper.to_array(weights[name]).astype(np.float32)
    shape = [1] * array.ndim
    shape[axis] = -1
    weights[name].CopyFrom(numpy_helper.from_array(array * factor.reshape(shape), name))
