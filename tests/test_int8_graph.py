"""The exact graph rewrites made before INT8 quantization, and the fallback's backward pass."""

import numpy as np
import onnx
import pytest
from closeness import low_light_batch, perturbed

from lowlight_edge.cli import main
from lowlight_edge.engines.ort_runner import OrtRunner
from lowlight_edge.onnxgraph.graph import producers
from lowlight_edge.quantize.int8 import _renamed, quantization_friendly
from lowlight_edge.quantize.rewrites.interleave import shapes_read_quantized
from lowlight_edge.quantize.sensitivity import SensitivityResult, _requantize_unneeded

CALIB = ["--calib", "synthetic:2", "--calib-shape", "32x32"]


def _ops(path) -> list[str]:
    return [n.op_type for n in onnx.load(str(path)).graph.node]


@pytest.mark.parametrize("target", ["tensorrt", "cpu"])
def test_rewrites_compute_the_same_function(default_onnx, tmp_path, target):
    rewritten, renamed = quantization_friendly(default_onnx, tmp_path / "r.onnx", target)
    ops = _ops(rewritten)
    assert "Concat" not in ops  # every Conv(Concat) split, one scale per input
    if target == "cpu":
        assert "ConvTranspose" not in ops and "DepthToSpace" not in ops
        assert any(name.endswith("/up/ConvTranspose") for name in renamed)
    else:
        assert ops.count("ConvTranspose") == _ops(default_onnx).count("ConvTranspose")  # TensorRT quantizes these
    x = low_light_batch((2, 4, 48, 64))  # the bundled model: its output responds to its input
    with OrtRunner(default_onnx) as a, OrtRunner(rewritten) as b:
        expected = a.infer(x)
        np.testing.assert_allclose(b.infer(x), expected, atol=1e-5)
    with OrtRunner(perturbed(default_onnx, tmp_path / "p.onnx", factor=1.001)) as control:
        assert np.abs(control.infer(x) - expected).max() > 1e-5  # a 0.1% change is caught


def _spans_measured_here(model, names, batches) -> dict:
    """Per-channel max - min of the named tensors over the batches, with ONNX's reference evaluator."""
    from onnx.reference import ReferenceEvaluator

    probe = onnx.ModelProto()
    probe.CopyFrom(model)
    probe.graph.output.extend(onnx.helper.make_empty_tensor_value_info(n) for n in names)
    evaluator = ReferenceEvaluator(probe)
    values = {n: [] for n in names}
    for batch in batches:
        for name, value in zip(names, evaluator.run(names, {probe.graph.input[0].name: batch})):
            values[name].append(value)
    spans = {}
    for name, parts in values.items():
        stacked = np.concatenate([p.transpose(1, 0, 2, 3).reshape(p.shape[1], -1) for p in parts], axis=1)
        spans[name] = stacked.max(axis=1) - stacked.min(axis=1)
    return spans


def test_equalized_channels_span_the_same_range_and_the_function_is_unchanged(default_onnx, tmp_path):
    from lowlight_edge.quantize.rewrites.equalize import MAX_GAIN, _equalizable
    from lowlight_edge.raw.calibration_frames import calibration_batches

    batches = calibration_batches("synthetic:2", (32, 32))
    plain, _ = quantization_friendly(default_onnx, tmp_path / "plain.onnx", "cpu")
    equalized, _ = quantization_friendly(default_onnx, tmp_path / "eq.onnx", "cpu", batches)
    before_model, after_model = onnx.load(str(plain)), onnx.load(str(equalized))
    pairs = _equalizable(before_model)
    assert len(pairs) >= 8  # the two convolutions of every decoder level at least
    names = [activation.input[0] for _, activation, _ in pairs]
    before = _spans_measured_here(before_model, names, batches)  # not the module's own helper
    after = _spans_measured_here(after_model, names, batches)
    for name in names:
        widest = before[name].max()
        assert after[name].max() == pytest.approx(widest, rel=1e-3)
        reachable = before[name] * MAX_GAIN >= widest  # channels the gain cap lets reach the widest range
        np.testing.assert_allclose(after[name][reachable], widest, rtol=1e-3)
    x = low_light_batch((1, 4, 32, 48), seed=3)
    with OrtRunner(default_onnx) as a, OrtRunner(equalized) as b:
        np.testing.assert_allclose(b.infer(x), a.infer(x), atol=1e-5)  # what the docs promise


def test_concatenation_inputs_keep_their_own_scales(tiny_onnx, tmp_path):
    out = tmp_path / "cpu.onnx"
    assert main(["quantize", "int8", str(tiny_onnx), "-o", str(out), "--target", "cpu", *CALIB]) == 0
    model = onnx.load(str(out))
    producer = producers(model)
    scales = {t.name: float(onnx.numpy_helper.to_array(t)) for t in model.graph.initializer if not t.dims}
    halves = [n for n in model.graph.node if n.op_type == "Conv" and n.name.endswith(("_in0", "_in1"))]
    assert len(halves) == 8  # 4 decoder levels x (upsampled, gated skip)
    by_level = {}
    for conv in halves:
        by_level.setdefault(conv.name[:-4], []).append(scales[producer[conv.input[0]].input[1]])
    assert all(len(set(pair)) == 2 for pair in by_level.values())  # two inputs, two different scales
    # no Shape keeps a float copy of a quantized tensor alive
    assert not any(n.op_type == "Shape" and getattr(producer.get(n.input[0]), "op_type", "") == "DequantizeLinear"
                   for n in model.graph.node)


def test_shapes_read_the_quantized_tensor():
    from onnx import TensorProto, helper

    nodes = [helper.make_node("QuantizeLinear", ["x", "s"], ["q"]),
             helper.make_node("DequantizeLinear", ["q", "s"], ["d"]), helper.make_node("Shape", ["d"], ["shape"])]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])],
                              [helper.make_tensor_value_info("shape", TensorProto.INT64, [2])],
                              [onnx.numpy_helper.from_array(np.array(0.1, np.float32), "s")])
    model = helper.make_model(graph)
    shapes_read_quantized(model)
    assert model.graph.node[2].input[0] == "q"


def test_excluding_a_rewritten_node_by_its_fp32_name_excludes_its_replacements(tiny_onnx, tmp_path):
    _, renamed = quantization_friendly(tiny_onnx, tmp_path / "r.onnx", "cpu")
    original = next(name for name in renamed if name.endswith("/up/ConvTranspose"))
    assert _renamed([original, "/head/Conv"], renamed) == renamed[original] + ["/head/Conv"]
    out = tmp_path / "x.onnx"
    assert main(["quantize", "int8", str(tiny_onnx), "-o", str(out), "--target", "cpu", "--exclude", original,
                 *CALIB]) == 0
    model = onnx.load(str(out))
    phases = next(n for n in model.graph.node if n.name == f"{original}_phases")
    assert phases.input[1] not in producers(model)  # weights straight from an initializer: kept in float


def test_backward_pass_requantizes_layers_the_budget_holds_without():
    # drift model: "a" only matters while "c" is quantized; "b" and "c" together meet the budget
    def drift_of(kept):
        return 0.02 - (0.006 if "a" in kept and "c" not in kept else 0) - (0.009 if "c" in kept else 0) \
            - (0.003 if "b" in kept else 0)

    result = SensitivityResult(full_drift=0.02, final_drift=drift_of(["a", "b", "c"]), budget=0.0125, target=0.01,
                               kept_float=["a", "b", "c"], met=True)
    steps = []
    _requantize_unneeded(result, drift_of, steps.append)
    assert result.kept_float == ["b", "c"] and result.final_drift == pytest.approx(0.008)
    assert steps == ["quantize a again: drift 0.0080"]


def test_training_calibration_selection_and_validation_photographs_are_disjoint_where_they_must_be():
    from lowlight_edge.metrics.validate import frame_source
    from lowlight_edge.quantize.sensitivity import selection_samples
    from lowlight_edge.raw import scenes
    from lowlight_edge.raw.calibration_frames import iter_packed

    splits = list(scenes.SPLITS.values())
    for i, a in enumerate(splits):
        for b in splits[i + 1:]:
            assert set(a).isdisjoint(b)

    def photographs(names) -> set[str]:  # samples are named PHOTOGRAPH-INDEX
        return {name.rsplit("-", 1)[0] for name in names}

    calibration = photographs(name for name, _ in iter_packed("synthetic:15"))
    selection = photographs(s.name for s in selection_samples(3))
    validation = photographs(s.name for s in frame_source(synthetic=2)[0])
    assert calibration == set(scenes.CALIBRATION_IMAGES) and selection == set(scenes.SELECTION_IMAGES)
    assert validation == set(scenes.HELD_OUT_IMAGES)
    assert calibration.isdisjoint(selection) and selection.isdisjoint(validation) and calibration.isdisjoint(validation)
