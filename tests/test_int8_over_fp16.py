"""The TensorRT-target INT8 graph on an FP16 base (quantize/int8_fp16.py): the layers between the INT8 convolutions
in FP16, overflow-prone and fragile nodes (and their own Q/DQ) in FP32, every keep listed by `check` with its reason,
a DLA build refused for an FP32 body."""

import json

import numpy as np
import onnx
import pytest
from closeness import low_light_batch, psnr
from onnx import TensorProto, helper, numpy_helper

from lowlight_edge.cli import main
from lowlight_edge.engines.ort_runner import OrtRunner
from lowlight_edge.engines.trt.fp32_layers import fp32_layer_findings, fp32_layers
from lowlight_edge.onnxgraph.metadata import FP32_KEEPS_KEY, INT8_BASE_KEY, read_metadata
from lowlight_edge.quantize.int8_fp16 import int8_over_fp16

CALIB = ["--calib", "synthetic:4", "--calib-shape", "64x64"]


@pytest.fixture(scope="module")
def bases(default_onnx, tmp_path_factory):
    folder = tmp_path_factory.mktemp("bases")
    out = {}
    for base in ("fp16", "fp32"):
        out[base] = folder / f"int8.{base}.onnx"
        assert main(["quantize", "int8", str(default_onnx), "-o", str(out[base]), "--base", base, *CALIB]) == 0
    return out


def _scale_types(model: onnx.ModelProto) -> set[int]:
    inits = {t.name: t.data_type for t in model.graph.initializer}
    return {inits[n.input[1]] for n in model.graph.node if n.op_type in ("QuantizeLinear", "DequantizeLinear")}


def test_the_float_body_is_fp16_and_no_layer_is_fp32_outside_the_documented_keeps(bases):
    model = onnx.load(str(bases["fp16"]))
    meta = read_metadata(model)
    assert meta[INT8_BASE_KEY] == "fp16" and meta["lowlight_edge.precision"] == "int8"
    assert next(o.version for o in model.opset_import if o.domain in ("", "ai.onnx")) == 19  # FP16 Q/DQ scales
    assert _scale_types(model) == {TensorProto.FLOAT16}
    keeps = json.loads(meta[FP32_KEEPS_KEY])
    assert set(fp32_layers(model)) <= set(keeps)  # every FP32 layer is a documented keep (none on this model)
    assert [f.code for f in fp32_layer_findings(model) if f.severity == "warning"] == []
    # the control: the same quantization on an FP32 base computes every layer between the convolutions in FP32
    control = onnx.load(str(bases["fp32"]))
    assert read_metadata(control)[INT8_BASE_KEY] == "fp32" and _scale_types(control) == {TensorProto.FLOAT}
    warnings = [f for f in fp32_layer_findings(control) if f.severity == "warning"]
    assert warnings and warnings[0].code == "fp32-layers" and "--base fp16" in warnings[0].message


def test_int8_over_fp16_stays_close_to_int8_over_fp32_and_to_fp32(bases, default_onnx):
    x = low_light_batch()
    with OrtRunner(default_onnx) as fp32, OrtRunner(bases["fp32"]) as over_fp32, OrtRunner(bases["fp16"]) as over_fp16:
        reference, int8_fp32, int8_fp16 = fp32.infer(x), over_fp32.infer(x), over_fp16.infer(x)
    assert np.isfinite(int8_fp16).all() and int8_fp16.dtype == np.float32  # FP32 I/O kept
    assert psnr(int8_fp32, int8_fp16) >= 40.0  # what FP16 adds to INT8 is small
    assert psnr(reference, int8_fp16) >= 30.0  # the INT8 threshold of tests/test_quantize.py
    assert psnr(int8_fp32, int8_fp16) < 120.0  # the control: the body really changed precision


def _quantized_pair() -> onnx.ModelProto:
    """x -> Q/DQ -> Conv a (weights Q/DQ) -> Relu -> Q/DQ -> Conv b -> y: a hand-made TensorRT-style INT8 graph."""
    inits = [numpy_helper.from_array(np.array(v, np.float32), n) for n, v in (("s", 0.02), ("s2", 0.5))]
    inits += [numpy_helper.from_array(np.array(0, np.int8), "z")]
    for name in ("a", "b"):
        inits += [numpy_helper.from_array(np.full((4, 4, 3, 3), 9, np.int8), f"{name}_wq"),
                  numpy_helper.from_array(np.full(4, 0.05, np.float32), f"{name}_ws"),
                  numpy_helper.from_array(np.zeros(4, np.int8), f"{name}_wz")]
    nodes = [helper.make_node("QuantizeLinear", ["x", "s", "z"], ["xq"], name="q_x"),
             helper.make_node("DequantizeLinear", ["xq", "s", "z"], ["xd"], name="dq_x")]
    for name, source, out in (("a", "xd", "a_out"), ("b", "rd", "y")):
        nodes.append(helper.make_node("DequantizeLinear", [f"{name}_wq", f"{name}_ws", f"{name}_wz"], [f"{name}_w"],
                                      name=f"dq_{name}_w", axis=0))
        nodes.append(helper.make_node("Conv", [source, f"{name}_w"], [out], name=f"conv_{name}", pads=[1, 1, 1, 1]))
        if name == "a":
            nodes += [helper.make_node("Relu", ["a_out"], ["r"], name="relu"),
                      helper.make_node("QuantizeLinear", ["r", "s2", "z"], ["rq"], name="q_r"),
                      helper.make_node("DequantizeLinear", ["rq", "s2", "z"], ["rd"], name="dq_r")]
    graph = helper.make_graph(nodes, "pair", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, 8, 8])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 8, 8])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.metadata_props.add(key="lowlight_edge.precision", value="int8")
    return model


def test_an_overflow_prone_convolution_stays_fp32_with_its_own_qdq(tmp_path):
    model = _quantized_pair()
    converted, keeps = int8_over_fp16(model, {"y": 30000.0, "a_out": 10.0, "r": 10.0})  # y: above 65504 / 4
    assert set(keeps) == {"conv_b", "dq_b_w", "dq_r", "q_r"} and "activation peak" in keeps["conv_b"]
    inferred = onnx.shape_inference.infer_shapes(converted)
    types = {v.name: v.type.tensor_type.elem_type for v in [*inferred.graph.value_info, *inferred.graph.output]}
    names = {n.name: n.output[0] for n in converted.graph.node}
    assert types[names["conv_a"]] == TensorProto.FLOAT16 and types[names["relu"]] == TensorProto.FLOAT16
    assert types[names["conv_b"]] == TensorProto.FLOAT and types[names["dq_b_w"]] == TensorProto.FLOAT
    assert types[names["dq_r"]] == TensorProto.FLOAT  # no Cast between conv_b and its Q/DQ: TensorRT fuses them
    producer = {o: n for n in converted.graph.node for o in n.output}
    assert producer[next(n for n in converted.graph.node if n.name == "conv_b").input[0]].op_type == "DequantizeLinear"
    assert [f.code for f in fp32_layer_findings(converted)] == ["fp32-keep"]  # listed with its reason, no warning
    onnx.save(converted, str(tmp_path / "pair.onnx"))
    x = np.random.default_rng(0).random((1, 4, 8, 8), dtype=np.float32)
    with OrtRunner(tmp_path / "pair.onnx") as runner:
        assert np.isfinite(runner.session.run(None, {"x": x})[0]).all()
    # the control: with no peak near the limit nothing stays FP32
    assert int8_over_fp16(model, {"y": 100.0})[1] == {}


def test_check_lists_the_keeps_and_warns_of_an_fp32_body(bases, capsys):
    assert main(["check", str(bases["fp16"])]) == 0
    out = capsys.readouterr().out
    assert "fp32-layers" not in out and "the int8-tensorrt variant: timed on ov-cpu" in out  # its variant-table row
    assert main(["check", str(bases["fp32"])]) == 0  # a warning, not an error: it still builds for the GPU
    assert "fp32-layers" in capsys.readouterr().out


def test_every_sensitivity_probe_measures_the_graph_that_will_be_written(tiny_onnx, tmp_path, monkeypatch):
    """The probes once dropped the weight bits (and would have dropped the base): each now carries every option."""
    from lowlight_edge.quantize import sensitivity
    from lowlight_edge.quantize.int8 import Int8Options

    seen = []
    real = sensitivity.int8_from_onnx

    def recording(source, path, batches, options, **kwargs):
        seen.append((options.weight_bits, options.base))
        return real(source, path, batches, options, **kwargs)

    monkeypatch.setattr(sensitivity, "int8_from_onnx", recording)
    options = Int8Options(weight_bits=7, base="fp32")
    from lowlight_edge.raw.calibration_frames import calibration_batches

    batches = calibration_batches("synthetic:2", (32, 32))
    sensitivity.fallback_to_budget(tiny_onnx, batches, options, tmp_path / "cache.json",
                                   lambda path: 1.0, budget=0.5, candidates=["/head/Conv"])
    assert len(seen) >= 2 and set(seen) == {(7, "fp32")}
