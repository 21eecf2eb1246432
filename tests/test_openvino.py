"""The OpenVINO runner: the same answers as ONNX Runtime on the same graph, explicit precision and threads,
a bounded compile cache, a compute view without copies, and clear refusals."""

import sys

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

from lowlight_edge.cli import main
from lowlight_edge.engines import probes
from lowlight_edge.engines.backends import fastest_backend
from lowlight_edge.engines.select import open_runner
from lowlight_edge.errors import BackendUnavailable, MissingDependency, ModelError

pytest.importorskip("openvino", reason="OpenVINO is not installed here (pip install openvino)")


def _psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((np.clip(a, 0, 1) - np.clip(b, 0, 1)) ** 2))
    return float("inf") if mse == 0 else 10 * np.log10(1.0 / mse)


@pytest.fixture(scope="module")
def frame():
    # a packed low-light frame in SID's range: amplified values around 0.05-0.5
    return (np.random.default_rng(3).random((1, 4, 64, 96), dtype=np.float32) * 0.5).astype(np.float32)


@pytest.fixture(scope="module")
def perturbed_onnx(default_onnx, tmp_path_factory):
    """The same graph with one convolution's weights scaled by 1.5: a model that must fail the closeness check."""
    model = onnx.load(str(default_onnx))
    weight = next(t for t in model.graph.initializer if t.dims and len(t.dims) == 4 and t.dims[0] > 8)
    weight.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(weight) * 1.5, weight.name))
    path = tmp_path_factory.mktemp("perturbed") / "perturbed.onnx"
    onnx.save(model, str(path))
    return path


def test_openvino_matches_onnx_runtime_and_a_perturbed_model_does_not(default_onnx, perturbed_onnx, frame):
    with open_runner(default_onnx, "ort-cpu") as ort_runner, open_runner(default_onnx, "ov-cpu", threads=2) as ov_runner:
        reference = ort_runner.infer(frame)
        same = ov_runner.infer(frame)
        assert _psnr(reference, ort_runner.infer(frame * 0.1)) < 30, "the model must respond to its input"
    with open_runner(perturbed_onnx, "ov-cpu") as perturbed:
        other = perturbed.infer(frame)
    assert same.shape == reference.shape == (1, 3, 128, 192)
    assert _psnr(reference, same) > 60  # FP32 on both: rounding differences only
    assert _psnr(reference, other) < 40  # the negative control fails the same check


def test_precision_and_threads_are_explicit_and_recorded(default_onnx, frame):
    with open_runner(default_onnx, "ov-cpu", threads=1) as runner:
        runner.infer(frame)
        compiled = runner._compiled[frame.shape]
        assert compiled.get_property("INFERENCE_NUM_THREADS") == 1
        assert str(compiled.get_property("INFERENCE_PRECISION_HINT")) in ("f32", "<Type: 'float32'>")
        described = runner.describe()
    assert described["inference_precision"] == "f32" and described["threads"] == 1
    assert described["backend"] == "ov-cpu" and described["precision"] == "fp32"


def test_compiled_shapes_are_cached_and_bounded(default_onnx):
    from lowlight_edge.engines.ov_runner import COMPILED_SHAPES

    with open_runner(default_onnx, "ov-cpu") as runner:
        for size in (16, 32, 48, 64, 80, 32):
            runner.infer(np.zeros((1, 4, size, 16), np.float32))
        assert len(runner._compiled) == COMPILED_SHAPES
        assert list(runner._compiled)[-1] == (1, 4, 32, 16)  # the most recent shape is kept


def test_compute_view_runs_on_tensors_in_place(default_onnx, frame):
    with open_runner(default_onnx, "ov-cpu") as runner:
        call = runner.compute_call(frame)
        assert call() is None  # nothing to read as a device time
        expected = runner.infer(frame)
        assert np.isfinite(expected).all()


def test_a_model_that_is_not_packed_bayer_is_refused_before_compiling(tmp_path):
    from onnx import TensorProto, helper

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, "h", "w"])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3, "h", "w"])
    graph = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "g", [x], [y])
    path = tmp_path / "rgb.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    with pytest.raises(ModelError, match=r"expected packed Bayer"):
        open_runner(path, "ov-cpu").activate()


def test_an_absent_device_is_a_skipped_row_with_the_reason(default_onnx, capsys):
    if probes.openvino_device("GPU") is None:
        pytest.skip("this machine has an Intel GPU")
    with pytest.raises(BackendUnavailable, match="no GPU device"):
        open_runner(default_onnx, "ov-gpu").activate()
    assert main(["bench", str(default_onnx), "--backend", "ov-cpu", "--backend", "ov-gpu", "--shape", "32x32",
                 "--runs", "1", "--warmup", "0", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "ov-cpu" in out and "skipped: OpenVINO sees no GPU device" in out


def test_without_openvino_the_row_names_the_install(default_onnx, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "openvino", None)  # as if not installed
    probes.openvino_device.cache_clear()
    try:
        with pytest.raises(MissingDependency, match="pip install openvino"):
            open_runner(default_onnx, "ov-cpu").activate()
        assert fastest_backend(default_onnx)[0].name == "ort-cpu"
    finally:
        probes.openvino_device.cache_clear()


def test_enhance_uses_the_fastest_installed_runtime_and_says_which(default_onnx, tmp_path, capsys):
    from lowlight_edge.raw.synth_frames import synthesize

    frames = synthesize(tmp_path / "frames")
    assert main(["enhance", str(frames[0].dng), "-o", str(tmp_path / "out"), "--model", str(default_onnx)]) == 0
    err = capsys.readouterr().err
    assert "using ov-cpu (OpenVINO), the fastest runtime that can run this model here" in err and ", ov-cpu)" in err


@pytest.mark.parametrize("target, bits, dot_product, refused", [
    ("tensorrt", "8", False, True),   # x86 without VNNI: saturating 16-bit sums on full-range weights
    ("tensorrt", "7", False, False),  # 7-bit weights cannot saturate them
    ("tensorrt", "8", True, False),   # VNNI / Arm dot products accumulate in 32 bits
    ("cpu", "8", False, False),       # the cpu-target graph was measured within budget under OpenVINO
])
def test_openvino_refuses_graphs_its_int8_kernels_would_saturate(monkeypatch, target, bits, dot_product, refused):
    from lowlight_edge.engines import ov_runner

    monkeypatch.setattr(ov_runner, "int8_dot_product", lambda: dot_product)
    meta = {"lowlight_edge.precision": "int8", "lowlight_edge.int8_target": target, "lowlight_edge.int8_weight_bits": bits}
    reason = ov_runner.saturation_risk(meta, "cpu")
    assert (reason is not None) == refused
    if refused:
        assert "--weight-bits 7" in reason and "ort-cpu" in reason
    assert ov_runner.saturation_risk({"lowlight_edge.precision": "fp32"}, "cpu") is None


def test_seven_bit_weights_are_recorded_and_stay_in_range(default_onnx, tmp_path):
    from lowlight_edge.quantize.int8 import Int8Options, int8_from_onnx
    from lowlight_edge.raw.calibration_frames import calibration_batches

    out = tmp_path / "int8-7bit.onnx"
    batches = calibration_batches("synthetic:2", (64, 64))
    int8_from_onnx(default_onnx, out, batches, Int8Options(target="tensorrt", weight_bits=7))
    model = onnx.load(str(out))
    meta = {p.key: p.value for p in model.metadata_props}
    assert meta["lowlight_edge.int8_weight_bits"] == "7"
    weights = [numpy_helper.to_array(t) for t in model.graph.initializer if t.data_type == onnx.TensorProto.INT8]
    # |w| <= 64: two u8 x s8 products then sum to at most 2 * 255 * 64 = 32640, inside a 16-bit accumulator
    assert weights and all(int(np.abs(w.astype(np.int16)).max()) <= 64 for w in weights)
    assert max(int(np.abs(w.astype(np.int16)).max()) for w in weights) == 64  # and the range is used


def test_validate_lists_a_backend_that_cannot_run_a_candidate_as_skipped(default_onnx, tmp_path, monkeypatch, capsys):
    import json

    from lowlight_edge.engines import ov_runner
    from lowlight_edge.quantize.int8 import Int8Options, int8_from_onnx
    from lowlight_edge.raw.calibration_frames import calibration_batches

    monkeypatch.setattr(ov_runner, "int8_dot_product", lambda: False)  # a CPU without VNNI, whatever this one is
    int8 = tmp_path / "int8-tensorrt.onnx"
    int8_from_onnx(default_onnx, int8, calibration_batches("synthetic:2", (64, 64)), Int8Options(target="tensorrt"))
    code = main(["validate", "--reference", str(default_onnx), "--candidate", str(int8), "--backend", "ort-cpu",
                 "--backend", "ov-cpu", "--synthetic", "1", "--budget", "1", "--json", str(tmp_path / "v.json")])
    assert code == 0
    doc = json.loads((tmp_path / "v.json").read_text())
    assert [m["backend"] for m in doc["models"]] == ["ort-cpu", "ort-cpu"]  # reference, then the one that ran
    assert doc["skipped"][0]["backend"] == "ov-cpu" and "VNNI" in doc["skipped"][0]["reason"]
    assert "skipped: this CPU has no INT8 dot-product instructions" in capsys.readouterr().out


def test_the_fastest_choice_passes_over_a_runtime_that_would_saturate(default_onnx, tmp_path, monkeypatch):
    from lowlight_edge.engines import ov_runner
    from lowlight_edge.quantize.int8 import Int8Options, int8_from_onnx
    from lowlight_edge.raw.calibration_frames import calibration_batches

    int8 = tmp_path / "int8-tensorrt.onnx"
    int8_from_onnx(default_onnx, int8, calibration_batches("synthetic:2", (64, 64)), Int8Options(target="tensorrt"))
    monkeypatch.setattr(ov_runner, "int8_dot_product", lambda: False)
    chosen, passed_over = fastest_backend(int8)
    assert chosen.name == "ort-cpu" and passed_over and passed_over[0].startswith("ov-cpu: this CPU has no INT8")
    monkeypatch.setattr(ov_runner, "int8_dot_product", lambda: True)
    assert fastest_backend(int8) == (fastest_backend(default_onnx)[0], [])
    assert fastest_backend(int8)[0].name == "ov-cpu"
