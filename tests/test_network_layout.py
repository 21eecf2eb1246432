"""The network's output taken channels-last for the pipeline graph: the same values in HWC order, or left alone.

Reference: the untouched network's NCHW output under ONNX Runtime, transposed by numpy.
"""

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from lowlight_edge.export.network_layout import NCHW, NHWC, channels_last_output


def _run(model: onnx.ModelProto, x: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: x})[0]


def _packed(seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).random((1, 4, 32, 48), dtype=np.float32)  # multiples of 16


def test_the_exported_network_gives_the_same_values_channels_last(default_onnx):
    network = onnx.load(str(default_onnx))
    rewritten, layout = channels_last_output(network)
    assert layout == NHWC
    x = _packed()
    expected = _run(network, x)  # [1, 3, 64, 96]
    got = _run(rewritten, x)
    assert got.shape == (1, 64, 96, 3)
    assert np.array_equal(got, expected.transpose(0, 2, 3, 1))
    # negative control: the comparison tells layouts apart (the same values read as if the rows were columns)
    assert not np.array_equal(got, expected.transpose(0, 3, 2, 1).reshape(got.shape))
    assert network.graph.node[-1].op_type == "DepthToSpace"  # the original is left as it was


def test_an_int8_graph_for_the_cpu_gives_the_same_values_channels_last(default_onnx, tmp_path):
    from lowlight_edge.quantize.int8 import Int8Options
    from lowlight_edge.quantize.jobs import quantize_int8

    path = tmp_path / "m.int8-cpu.onnx"
    quantize_int8(default_onnx, path, "synthetic:2", calib_shape=(64, 64), calib_count=2,
                  options=Int8Options(target="cpu"))
    network = onnx.load(str(path))
    rewritten, layout = channels_last_output(network)
    assert layout == NHWC
    x = _packed(1)
    assert np.array_equal(_run(rewritten, x), _run(network, x).transpose(0, 2, 3, 1))


def _tail_graph(tail: list[onnx.NodeProto], inits: list[onnx.TensorProto], out: str = "y") -> onnx.ModelProto:
    """x [1, 2, 3, 3] NHWC -> Transpose to NCHW -> `tail` -> y."""
    nodes = [helper.make_node("Transpose", ["x"], ["t"], perm=[0, 3, 1, 2]), *tail]
    graph = helper.make_graph(nodes, "tail", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, 3, 3])],
                              [helper.make_tensor_value_info(out, TensorProto.FLOAT, [1, 3, 2, 3])], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def _scalars(scale):
    return [numpy_helper.from_array(np.asarray(scale, np.float32), "s"),
            numpy_helper.from_array(np.zeros(np.shape(scale), np.uint8), "z")]


def test_a_final_transpose_behind_per_tensor_quantization_is_dropped():
    model = _tail_graph([helper.make_node("QuantizeLinear", ["t", "s", "z"], ["q"]),
                         helper.make_node("DequantizeLinear", ["q", "s", "z"], ["y"])], _scalars(0.01))
    rewritten, layout = channels_last_output(model)
    assert layout == NHWC and [n.op_type for n in rewritten.graph.node] == ["QuantizeLinear", "DequantizeLinear"]
    x = np.random.default_rng(2).random((1, 2, 3, 3), dtype=np.float32)
    assert np.array_equal(_run(rewritten, x), _run(model, x).transpose(0, 2, 3, 1))


@pytest.mark.parametrize("case", ["per-channel scale", "transpose read twice", "not per value", "another permutation"])
def test_a_transpose_that_cannot_move_stays(case):
    if case == "per-channel scale":  # one scale per NCHW channel: the values' order matters
        model = _tail_graph([helper.make_node("QuantizeLinear", ["t", "s", "z"], ["q"], axis=1),
                             helper.make_node("DequantizeLinear", ["q", "s", "z"], ["y"], axis=1)],
                            _scalars([0.01, 0.02, 0.03]))
    elif case == "transpose read twice":
        model = _tail_graph([helper.make_node("Identity", ["t"], ["y"]), helper.make_node("Relu", ["t"], ["r"])], [])
    elif case == "not per value":  # Relu would commute, but only ops known to act on each value alone are moved
        model = _tail_graph([helper.make_node("Relu", ["t"], ["y"])], [])
    else:
        model = _tail_graph([helper.make_node("Identity", ["t"], ["y"])], [])
        model.graph.node[0].attribute[0].ints[:] = [0, 3, 2, 1]
    rewritten, layout = channels_last_output(model)
    assert layout == NCHW and rewritten is model
