"""FP16 and INT8 Q/DQ variants, calibration sources and cache, sensitivity fallback, the TensorRT check."""

import json

import numpy as np
import onnx
import pytest
from closeness import constant, low_light_batch, perturbed, psnr
from onnx import TensorProto, helper, numpy_helper

from lowlight_edge.cli import main
from lowlight_edge.engines.ort_runner import OrtRunner

CALIB = ["--calib", "synthetic:2", "--calib-shape", "32x32"]


def _init(model, name):
    return next((numpy_helper.to_array(t) for t in model.graph.initializer if t.name == name), None)


def _producer(model):
    return {o: n for n in model.graph.node for o in n.output}


def _int8_of_both_targets(source, folder, calib: list[str]) -> dict:
    out = {}
    for target in ("tensorrt", "cpu"):
        out[target] = folder / f"{target}.onnx"
        assert main(["quantize", "int8", str(source), "-o", str(out[target]), "--target", target, *calib]) == 0
    return out


@pytest.fixture(scope="module")
def quantized(tiny_onnx, tmp_path_factory):
    return _int8_of_both_targets(tiny_onnx, tmp_path_factory.mktemp("q"), CALIB)


def test_tensorrt_target_quantizes_every_conv_input_and_weight_symmetrically(quantized):
    model = onnx.load(str(quantized["tensorrt"]))
    producer = _producer(model)
    convs = [n for n in model.graph.node if n.op_type in ("Conv", "ConvTranspose")]
    assert len(convs) == 39  # 35 in the FP32 graph, the 4 convolutions reading a concatenation split in two
    for conv in convs:
        act, weight = producer[conv.input[0]], producer[conv.input[1]]
        assert act.op_type == "DequantizeLinear" and producer[act.input[0]].op_type == "QuantizeLinear"
        assert weight.op_type == "DequantizeLinear"
        assert _init(model, weight.input[0]).dtype == np.int8  # INT8 weights stored as such
        for dq in (act, weight):
            zero = _init(model, dq.input[2])
            assert zero.dtype == np.int8 and not zero.any()  # symmetric: zero point 0, signed
    # Q/DQ sit only where TensorRT fuses them: every activation DequantizeLinear feeds a Conv/ConvTranspose
    inits = {t.name for t in model.graph.initializer}
    for dq in (n for n in model.graph.node if n.op_type == "DequantizeLinear" and n.input[0] not in inits):
        users = [n for n in model.graph.node if dq.output[0] in n.input]
        assert users and all(u.op_type in ("Conv", "ConvTranspose") for u in users)
    meta = {p.key: p.value for p in model.metadata_props}
    assert meta["lowlight_edge.precision"] == "int8" and meta["lowlight_edge.int8_target"] == "tensorrt"


def test_weights_are_per_output_channel(quantized):
    model = onnx.load(str(quantized["tensorrt"]))
    producer = _producer(model)
    for conv in (n for n in model.graph.node if n.op_type in ("Conv", "ConvTranspose")):
        dq = producer[conv.input[1]]
        weights = _init(model, dq.input[0])
        axis = next(a.i for a in dq.attribute if a.name == "axis")
        expected_axis = 0 if conv.op_type == "Conv" else 1
        assert axis == expected_axis
        assert _init(model, dq.input[1]).shape == (weights.shape[expected_axis],)


def test_cpu_target_uses_u8_activations_and_s8_weights(quantized):
    model = onnx.load(str(quantized["cpu"]))
    producer = _producer(model)
    conv = next(n for n in model.graph.node if n.op_type == "Conv")
    assert _init(model, producer[conv.input[0]].input[2]).dtype == np.uint8
    assert _init(model, producer[conv.input[1]].input[0]).dtype == np.int8


INT8_PSNR_DB = 30.0  # INT8 of the bundled model against its FP32 output: well below what it reaches
FP16_PSNR_DB = 60.0  # FP16 against FP32


@pytest.fixture(scope="module")
def quantized_default(default_onnx, tmp_path_factory):
    """INT8 graphs of the bundled model, whose output responds to its input (closeness.responsive)."""
    return _int8_of_both_targets(default_onnx, tmp_path_factory.mktemp("qd"),
                                 ["--calib", "synthetic:4", "--calib-shape", "64x64"])


def test_quantized_models_run_and_stay_close_to_fp32(quantized_default, default_onnx, tmp_path):
    x = low_light_batch()
    with OrtRunner(default_onnx) as ref:
        expected = ref.infer(x)
    for path in quantized_default.values():
        with OrtRunner(path) as runner:
            out = runner.infer(x)
        assert np.isfinite(out).all() and psnr(expected, out) >= INT8_PSNR_DB
    # negative controls: a perturbed model and one that ignores its input fail the same threshold
    for control in (perturbed(default_onnx, tmp_path / "perturbed.onnx"), constant(tmp_path / "constant.onnx")):
        with OrtRunner(control) as runner:
            assert psnr(expected, runner.infer(x)) < INT8_PSNR_DB


def test_calibration_cache_is_reused(tiny_onnx, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("LOWLIGHT_EDGE_CACHE", str(tmp_path / "cache"))
    args = ["quantize", "int8", str(tiny_onnx), *CALIB, "--force"]
    assert main([*args, "-o", str(tmp_path / "a.onnx")]) == 0
    assert "saved to" in capsys.readouterr().err
    assert main([*args, "-o", str(tmp_path / "b.onnx")]) == 0
    assert "reused from" in capsys.readouterr().err
    a, b = onnx.load(str(tmp_path / "a.onnx")), onnx.load(str(tmp_path / "b.onnx"))
    assert [numpy_helper.to_array(t).tolist() for t in a.graph.initializer if "scale" in t.name] == \
           [numpy_helper.to_array(t).tolist() for t in b.graph.initializer if "scale" in t.name]


def test_calibration_from_a_folder_of_dng_files(tiny_onnx, tmp_path, monkeypatch):
    from lowlight_edge.raw.synth_frames import write_frames

    monkeypatch.setenv("LOWLIGHT_EDGE_CACHE", str(tmp_path / "cache"))
    rng = np.random.default_rng(0)
    write_frames(tmp_path / "dng", {f"f{i}": rng.random((64, 64, 3)).astype(np.float32) for i in range(2)})
    assert main(["quantize", "int8", str(tiny_onnx), "--calib", str(tmp_path / "dng"), "--calib-shape", "32x32",
                 "-o", str(tmp_path / "m.onnx")]) == 0
    assert (tmp_path / "m.onnx").exists()


@pytest.mark.parametrize("kind", ["empty", "empty-list", "comment-only-list", "corrupt", "missing", "npy-bad"])
def test_bad_calibration_sources_fail_with_one_line(tiny_onnx, tmp_path, capsys, kind):
    source = tmp_path / "calib"
    source.mkdir()
    if kind.endswith("list"):  # a SID-style list naming no frame
        source = tmp_path / "calib.txt"
        source.write_text("" if kind == "empty-list" else "# no pairs here\n\n")
    if kind == "corrupt":
        (source / "broken.dng").write_bytes(b"II*\x00" + b"\x00" * 64)
    if kind == "missing":
        source = tmp_path / "nowhere"
    if kind == "npy-bad":
        np.save(source / "x.npy", np.zeros((3, 8, 8), np.float32))
    code = main(["quantize", "int8", str(tiny_onnx), "--calib", str(source), "-o", str(tmp_path / "m.onnx")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and err[0].startswith("lowlight-edge: error:"), err
    assert not (tmp_path / "m.onnx").exists()


def _overflowing_onnx(tiny_checkpoint, folder):
    """The tiny generator with a layer scaled so its activations pass the FP16 limit (output stays finite)."""
    import torch

    from lowlight_edge.export.onnx_export import export_onnx
    from lowlight_edge.model.checkpoint import load_generator, save_generator

    model = load_generator(tiny_checkpoint).model
    with torch.no_grad():
        # two convolutions of level 0 with weights x3000 (each still an ordinary FP16 number): their
        # activations reach ~1e6, far past FP16's 65504, while FP32 stays finite
        model.encoders[0][0].weight.mul_(3000)
        model.encoders[0][2].weight.mul_(3000)
    ckpt = save_generator(model, folder / "overflow.safetensors")
    return export_onnx(ckpt, folder / "overflow.onnx", tolerance=1e9).output


def test_fp16_keeps_overflowing_nodes_in_fp32_and_stays_finite(tiny_checkpoint, tmp_path, capsys):
    from lowlight_edge.quantize.fp16_graph import convert_to_fp16

    source = _overflowing_onnx(tiny_checkpoint, tmp_path)
    naive = convert_to_fp16(onnx.load(str(source)), keep_fp32=set())  # everything in FP16
    onnx.save(naive, str(tmp_path / "naive.onnx"))
    x = np.random.default_rng(0).random((1, 4, 32, 32), dtype=np.float32)
    with OrtRunner(tmp_path / "naive.onnx") as runner:
        assert not np.isfinite(runner.infer(x)).all()  # plain FP16 overflows
    assert main(["quantize", "fp16", str(source), "-o", str(tmp_path / "safe.onnx"), *CALIB]) == 0
    assert "kept in FP32" in capsys.readouterr().err
    meta = {p.key: p.value for p in onnx.load(str(tmp_path / "safe.onnx")).metadata_props}
    assert meta["lowlight_edge.precision"] == "fp16" and "/encoders.0/encoders.0.2/Conv" in meta["lowlight_edge.fp32_nodes"]
    with OrtRunner(tmp_path / "safe.onnx") as runner:
        assert np.isfinite(runner.infer(x)).all()


def test_fp16_of_a_normal_model_is_close_to_fp32(default_onnx, tmp_path):
    assert main(["quantize", "fp16", str(default_onnx), "-o", str(tmp_path / "h.onnx"), *CALIB]) == 0
    model = onnx.load(str(tmp_path / "h.onnx"))
    assert any(t.data_type == TensorProto.FLOAT16 for t in model.graph.initializer)
    assert model.graph.input[0].type.tensor_type.elem_type == TensorProto.FLOAT  # FP32 I/O by default
    x = low_light_batch(seed=1)
    with OrtRunner(default_onnx) as a, OrtRunner(tmp_path / "h.onnx") as b:
        expected = a.infer(x)
        assert psnr(expected, b.infer(x)) >= FP16_PSNR_DB
    with OrtRunner(perturbed(default_onnx, tmp_path / "p.onnx", factor=1.01)) as control:  # a 1% change fails it
        assert psnr(expected, control.infer(x)) < FP16_PSNR_DB


def test_fallback_meets_a_budget_plain_int8_misses(tiny_onnx, tmp_path, capsys):
    from lowlight_edge.errors import InputError
    from lowlight_edge.metrics.lpips_weights import resolve

    try:
        resolve()
    except InputError as exc:
        pytest.skip(str(exc))
    plain = tmp_path / "plain.onnx"
    assert main(["quantize", "int8", str(tiny_onnx), "-o", str(plain), *CALIB, "--lpips-budget", "1000",
                 "--holdout", "1"]) == 0
    full = json.loads(plain.with_suffix(".sensitivity.json").read_text())["full_drift"]
    assert full > 0
    budget = full / 3
    out = tmp_path / "fallback.onnx"
    code = main(["quantize", "int8", str(tiny_onnx), "-o", str(out), *CALIB, "--lpips-budget", str(budget),
                 "--holdout", "1"])
    assert code == 0
    report = json.loads(out.with_suffix(".sensitivity.json").read_text())
    assert report["met"] and report["final_drift"] <= budget < report["full_drift"]
    kept = [layer for layer in report["layers"] if layer["precision"] == "float"]
    assert kept and all(layer["module"] for layer in kept)
    meta = {p.key: p.value for p in onnx.load(str(out)).metadata_props}
    assert all(layer["node"] in meta["lowlight_edge.int8_excluded"] for layer in kept)
    assert "PyTorch module" in capsys.readouterr().out


def _asymmetric_qdq_model(path, zero):
    x = helper.make_tensor_value_info("packed", TensorProto.FLOAT, ["n", 4, "h", "w"])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", 8, "h", "w"])
    inits = [numpy_helper.from_array(np.array(0.02, np.float32), "s"), numpy_helper.from_array(zero, "z"),
             numpy_helper.from_array(np.ones((8, 4, 3, 3), np.float32), "w")]
    nodes = [helper.make_node("QuantizeLinear", ["packed", "s", "z"], ["q"], name="q"),
             helper.make_node("DequantizeLinear", ["q", "s", "z"], ["dq"], name="dq"),
             helper.make_node("Conv", ["dq", "w"], ["y"], name="conv", pads=[1, 1, 1, 1])]
    graph = helper.make_graph(nodes, "asym", [x], [y], inits)
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))


@pytest.mark.parametrize("zero,code", [(np.array(128, np.uint8), "qdq-type"), (np.array(5, np.int8), "qdq-asymmetric")])
def test_check_flags_hand_made_asymmetric_qdq(tmp_path, capsys, zero, code):
    bad = tmp_path / "asym.onnx"
    _asymmetric_qdq_model(bad, zero)
    assert main(["check", str(bad), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert code in {f["code"] for f in report["findings"]}


def test_check_passes_our_tensorrt_model_and_refuses_the_cpu_one(quantized):
    assert main(["check", str(quantized["tensorrt"])]) == 0
    assert main(["check", str(quantized["cpu"])]) == 1  # U8 activations: not for TensorRT


def test_check_flags_wrong_weight_axis(quantized, tmp_path):
    model = onnx.load(str(quantized["tensorrt"]))
    producer = _producer(model)
    conv = next(n for n in model.graph.node if n.op_type == "Conv")
    for attr in producer[conv.input[1]].attribute:
        if attr.name == "axis":
            attr.i = 1
    onnx.save(model, str(tmp_path / "axis.onnx"))
    from lowlight_edge.engines.trt.readiness import check_tensorrt

    assert any(f.code == "weight-axis" for f in check_tensorrt(onnx.load(str(tmp_path / "axis.onnx"))))


def test_a_relative_calibration_cache_lands_where_the_user_ran_the_command(tiny_onnx, tmp_path, monkeypatch):
    from lowlight_edge.cli import main

    monkeypatch.chdir(tmp_path)
    args = ["quantize", "int8", str(tiny_onnx), "-o", "m.int8.onnx", "--calib", "synthetic:1", "--calib-shape",
            "32x32", "--calib-cache", "ranges/cache.json"]
    assert main(args) == 0
    assert (tmp_path / "ranges" / "cache.json").is_file()  # not inside the quantizer's temporary folder
    assert main(args + ["--force"]) == 0  # and found again: an existing relative cache is reused, not an error


def test_a_missed_budget_writes_nothing_unless_asked_and_never_clobbers(tiny_onnx, tmp_path, monkeypatch, capsys):
    from lowlight_edge.errors import InputError
    from lowlight_edge.metrics.lpips_weights import resolve
    from lowlight_edge.quantize import sensitivity

    try:
        resolve()
    except InputError as exc:
        pytest.skip(str(exc))
    monkeypatch.setattr(sensitivity.DriftMeter, "__call__", lambda self, path: 1.0)  # a budget no model can meet
    out = tmp_path / "m.int8.onnx"
    args = ["quantize", "int8", str(tiny_onnx), "-o", str(out), *CALIB, "--lpips-budget", "0.01", "--holdout", "1"]
    assert main(args) == 1
    assert "nothing was written" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no model, no sidecars, no temporary file
    out.write_bytes(b"an earlier model")
    assert main(args + ["--force"]) == 1
    assert out.read_bytes() == b"an earlier model"  # a failed run replaces nothing
    assert main(args + ["--force", "--keep-best-effort"]) == 1
    assert onnx.load(str(out)).graph.node  # the best effort, kept on request
    assert out.with_suffix(".sensitivity.json").is_file() and out.with_suffix(".sensitivity.md").is_file()


def test_existing_sensitivity_files_are_not_overwritten_without_force(tiny_onnx, tmp_path, capsys):
    out = tmp_path / "m.int8.onnx"
    out.with_suffix(".sensitivity.json").write_text("{}")
    code = main(["quantize", "int8", str(tiny_onnx), "-o", str(out), *CALIB, "--lpips-budget", "0.01", "--holdout", "1"])
    assert code == 2 and "already exists" in capsys.readouterr().err
    assert out.with_suffix(".sensitivity.json").read_text() == "{}" and not out.exists()


def test_a_cache_with_absurd_ranges_is_refused_and_nothing_is_written(tiny_onnx, tmp_path, capsys):
    cache = tmp_path / "ranges.json"
    args = ["quantize", "int8", str(tiny_onnx), *CALIB, "--calib-cache", str(cache)]
    assert main([*args, "-o", str(tmp_path / "good.onnx")]) == 0
    doc = json.loads(cache.read_text())
    tensor = next(iter(doc["data"].values()))
    for field, sign in (("lowest", -1), ("highest", 1)):  # finite, but no activation is anywhere near
        value = tensor[field]
        if isinstance(value, dict):
            value["data"] = sign * 1e308 if not isinstance(value["data"], list) else [sign * 1e308]
        else:
            tensor[field] = sign * 1e308
    cache.write_text(json.dumps(doc))
    capsys.readouterr()
    assert main([*args, "-o", str(tmp_path / "bad.onnx")]) == 2
    assert "beyond +-1e+06" in capsys.readouterr().err.strip().splitlines()[-1]
    assert not (tmp_path / "bad.onnx").exists()


def test_a_model_with_a_non_finite_scale_is_never_written():
    from onnx import TensorProto, helper

    from lowlight_edge.errors import ExportError
    from lowlight_edge.quantize.int8 import check_scales

    nodes = [helper.make_node("QuantizeLinear", ["x", "s", "z"], ["q"], name="q0"),
             helper.make_node("DequantizeLinear", ["q", "s", "z"], ["y"], name="dq0")]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])],
                              [numpy_helper.from_array(np.array(np.inf, np.float32), "s"),
                               numpy_helper.from_array(np.array(0, np.int8), "z")])
    with pytest.raises(ExportError, match="non-finite or non-positive scale at 'q0'"):
        check_scales(helper.make_model(graph))
    graph.initializer[0].CopyFrom(numpy_helper.from_array(np.array(0.5, np.float32), "s"))
    check_scales(helper.make_model(graph))  # the same graph with a sane scale passes
