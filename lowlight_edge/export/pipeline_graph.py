"""Wrap a network graph into a pipeline graph: Bayer mosaic in, 8- or 16-bit sRGB pixels out.

The nodes around the network do in the graph what the host path does in numpy (raw/pack.py, raw/padded_inference.py,
fileio/png.py `to_integer`), in the same FP32 order of operations so that both give the same pixels:

  mosaic bytes -> FP32 -> the four cell positions' byte pairs -> values lo + 256 * hi (exact) -> R, G1, B, G2 order
  (chosen by the `cfa` input: one graph serves every CFA phase) -> (x - black) * (ratio / (white - black)), clipped
  to [0, min(ratio, 1)] -> reflect-pad to the network's multiple -> the network -> x * peak, clipped, rounded ->
  HWC -> crop back -> uint8 (or uint16 as byte pairs)

The network's output is taken channels-last where an exact rewrite allows it (export/network_layout.py), so HWC
needs no transpose. Pre- and post-processing stay FP32 whatever the network's precision (an FP16 network with
FP16 I/O gets Casts at its boundary). Two forms of the nodes around the network (TARGETS): "tensorrt"
(export/pipeline_builder.py), which every runtime takes, TensorRT's parser included, and "cpu"
(export/pipeline_builder_cpu.py), fewer passes over memory for ONNX Runtime and OpenVINO only.
"""

import onnx
from onnx import helper

from lowlight_edge.errors import ModelError
from lowlight_edge.export.network_layout import channels_last_output
from lowlight_edge.export.pipeline_builder import PREFIX, PipelineBuilder
from lowlight_edge.export.pipeline_builder_cpu import CpuPipelineBuilder
from lowlight_edge.onnxgraph.metadata import (
    INT8_TARGET_KEY,
    input_convention_of,
    read_metadata,
    set_metadata,
    size_multiple_of,
)
from lowlight_edge.onnxgraph.pipeline_io import PIPELINE_KEY, TARGETS, PipelineSpec

BUILDERS = {"tensorrt": PipelineBuilder, "cpu": CpuPipelineBuilder}
assert set(BUILDERS) == set(TARGETS)


def default_target(network: onnx.ModelProto) -> str:
    """An INT8 graph quantized for the CPU runs on CPU runtimes only, so its pipeline may too; else every runtime."""
    return "cpu" if read_metadata(network).get(INT8_TARGET_KEY) == "cpu" else "tensorrt"


def wrap_network(network: onnx.ModelProto, bits: int = 8, target: str | None = None) -> onnx.ModelProto:
    """A new model: `network` (one packed input [N, 4, h, w], one [N, 3, 2h, 2w] output) inside the pipeline."""
    meta = read_metadata(network)
    if PIPELINE_KEY in meta:
        raise ModelError("this graph is already a pipeline graph; wrap the network graph it was made from")
    if bits not in (8, 16):
        raise ModelError(f"a pipeline graph outputs 8- or 16-bit pixels, not {bits}")
    target = target or default_target(network)
    if target not in BUILDERS:
        raise ModelError(f"a pipeline graph's target is one of {', '.join(BUILDERS)}, not {target!r}")
    graph = network.graph
    initializer_names = {t.name for t in graph.initializer}
    inputs = [i for i in graph.input if i.name not in initializer_names]
    if len(inputs) != 1 or len(graph.output) != 1:
        raise ModelError(f"a network graph has one input and one output, this one {len(inputs)} and {len(graph.output)}")
    taken = {n for node in graph.node for n in [*node.input, *node.output]} | initializer_names
    if any(name.startswith(PREFIX) for name in taken):
        raise ModelError(f"the network already uses tensor names starting with {PREFIX!r}; cannot wrap it")
    multiple = size_multiple_of(meta)
    network, layout = channels_last_output(network)
    graph = network.graph
    convention = input_convention_of(meta)
    builder = BUILDERS[target](neutral=convention == "neutral")
    packed, packed_hw = builder.pack_and_normalise()
    padded, padded_hw = builder.pad(packed, packed_hw, multiple)
    net_in, net_out = inputs[0], graph.output[0]
    builder.cast(padded, net_in.name, net_in.type.tensor_type.elem_type)
    rgb = builder.cast_to_float(net_out.name, net_out.type.tensor_type.elem_type)
    builder.postprocess(rgb, packed_hw, padded_hw, bits, layout)

    wrapped = helper.make_graph(
        builder.nodes + list(graph.node) + builder.tail, "lowlight_edge_pipeline", builder.graph_inputs(),
        [builder.graph_output(bits)], initializer=list(graph.initializer) + builder.constants,
        value_info=list(graph.value_info))
    model = helper.make_model(wrapped, opset_imports=list(network.opset_import), producer_name="lowlight-edge")
    model.ir_version = network.ir_version
    set_metadata(model, {**meta, PIPELINE_KEY: PipelineSpec(bits, target, convention).to_json()})
    return model
