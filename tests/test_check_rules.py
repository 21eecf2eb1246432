"""Every rule of `check --target tensorrt`, each on a hand-built graph that breaks it, and one clean graph that
breaks none (the control each rule's test needs)."""

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from lowlight_edge.engines.trt.readiness import ERROR, WARNING, check_tensorrt


def _const(name, value, dtype):
    return numpy_helper.from_array(np.asarray(value, dtype=dtype), name)


def _graph(*, scale=0.02, opset=17, dims=("n", 4, "h", "w"), q_feeds="DequantizeLinear", dq_feeds="Conv",
           extra_nodes=(), input_type=TensorProto.FLOAT):
    """packed -> Q -> DQ -> Conv(DQ(int8 weights)) -> rgb: clean with the defaults, broken by one argument each."""
    inits = [_const("s", scale, np.float32), _const("z", 0, np.int8), _const("w_q", np.ones((3, 4, 3, 3)), np.int8),
             _const("w_s", np.full(3, 0.01), np.float32), _const("w_z", np.zeros(3), np.int8)]
    nodes = [helper.make_node("QuantizeLinear", ["packed", "s", "z"], ["q"], name="q"),
             helper.make_node("DequantizeLinear", ["w_q", "w_s", "w_z"], ["w"], name="dq_w", axis=0)]
    if q_feeds == "DequantizeLinear":
        nodes.append(helper.make_node("DequantizeLinear", ["q", "s", "z"], ["x"], name="dq_x"))
    else:  # a Quantize whose output goes elsewhere: TensorRT cannot fuse it
        nodes.append(helper.make_node("Cast", ["q"], ["x"], name="cast", to=TensorProto.FLOAT))
    if dq_feeds == "Conv":
        nodes.append(helper.make_node("Conv", ["x", "w"], ["rgb"], name="conv", pads=[1, 1, 1, 1]))
    else:  # the activation DQ feeds an op TensorRT runs in float
        nodes += [helper.make_node(dq_feeds, ["x"], ["y"], name="float_op"),
                  helper.make_node("Conv", ["y", "w"], ["rgb"], name="conv", pads=[1, 1, 1, 1])]
    nodes += list(extra_nodes)
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("packed", input_type, list(dims))],
                              [helper.make_tensor_value_info("rgb", TensorProto.FLOAT, ["n", 3, "h", "w"])], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


def _codes(model, peaks=None, severity=ERROR) -> list[str]:
    return sorted({f.code for f in check_tensorrt(model, peaks) if f.severity == severity})


def test_the_clean_graph_breaks_no_rule():
    model = _graph()
    onnx.checker.check_model(model)
    assert _codes(model) == [] and _codes(model, severity=WARNING) == []


@pytest.mark.parametrize("scale", [0.0, -0.5, float("nan")])
def test_qdq_scale(scale):
    assert _codes(_graph(scale=scale)) == ["qdq-scale"]


def test_dangling_quantize():
    assert "dangling-quantize" in _codes(_graph(q_feeds="Cast"))


def test_unfused_dq_is_a_warning():
    model = _graph(dq_feeds="Softmax")
    assert _codes(model) == [] and _codes(model, severity=WARNING) == ["unfused-dq"]


@pytest.mark.parametrize("node", [helper.make_node("QLinearConv", ["a"], ["b"], name="qlc"),
                                  helper.make_node("FusedConv", ["a"], ["b"], name="fc", domain="com.microsoft")])
def test_unsupported_op(node):
    assert _codes(_graph(extra_nodes=[node])) == ["unsupported-op"]


def test_opset_outside_the_parser():
    assert _codes(_graph(opset=22)) == ["opset"]


@pytest.mark.parametrize("dims", [("n", "c", "h", "w"), ("n", 4, "h")])
def test_dynamic_dims_other_than_n_h_w(dims):
    assert "dynamic-dims" in _codes(_graph(dims=dims))


def test_fp16_overflow_from_measured_peaks():
    model = _graph()
    assert _codes(model, {"x": 70000.0}) == ["fp16-overflow"]
    assert _codes(model, {"x": 60000.0}) == []  # the control: in range


@pytest.mark.parametrize("io_type", [TensorProto.UINT16, TensorProto.BFLOAT16, TensorProto.FLOAT8E4M3FN])
def test_io_types_tensorrt_has_no_bindings_for(io_type):
    # BF16 and FP8 I/O: TensorRT has the types, its `nptype` has no numpy type for them, so the runner cannot bind
    assert "io-type" in _codes(_graph(input_type=io_type))
    assert "io-type" not in _codes(_graph(input_type=TensorProto.FLOAT16))  # the control
