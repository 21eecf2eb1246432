"""Activation-memory estimate and the tiling `enhance` chooses from it (issue #19 item 4)."""

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from lowlight_edge.engines import memory_plan
from lowlight_edge.engines.memory_plan import activation_bytes_per_pixel, peak_live_bytes, plan_tiles
from lowlight_edge.errors import InputError


def _chain(path):
    """x [1,4,h,w] -> Conv 4->8 (a) -> Relu (b) -> Conv 8->12 (c) = y, and a side branch Add(a, b) = s that
    keeps `a` alive until it runs last."""
    w1 = helper.make_tensor("w1", TensorProto.FLOAT, [8, 4, 1, 1], np.ones(32, np.float32))
    w2 = helper.make_tensor("w2", TensorProto.FLOAT, [12, 8, 1, 1], np.ones(96, np.float32))
    nodes = [helper.make_node("Conv", ["x", "w1"], ["a"]), helper.make_node("Relu", ["a"], ["b"]),
             helper.make_node("Conv", ["b", "w2"], ["y"]), helper.make_node("Add", ["a", "b"], ["s"])]
    dims = [1, 4, "h", "w"]
    graph = helper.make_graph(nodes, "chain", [helper.make_tensor_value_info("x", TensorProto.FLOAT, dims)],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None),
                               helper.make_tensor_value_info("s", TensorProto.FLOAT, None)], [w1, w2])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    return path


def test_the_peak_is_the_largest_set_of_tensors_alive_at_once(tmp_path):
    # per packed pixel, float32: a = 8*4 = 32 B, b = 32, y = 12*4 = 48, s = 32. Alive after each node:
    # Conv1 {a}=32, Relu {a,b}=64, Conv2 {a,b,y}=112, Add {a,b,y,s}=144 (outputs live to the end): peak 144
    assert activation_bytes_per_pixel(_chain(tmp_path / "c.onnx")) == 144


def test_a_tensor_is_freed_after_its_last_consumer():
    graph = helper.make_graph([helper.make_node("Relu", ["x"], ["a"]), helper.make_node("Relu", ["a"], ["b"]),
                               helper.make_node("Relu", ["b"], ["y"])], "g", [], [helper.make_tensor_value_info(
                                   "y", TensorProto.FLOAT, None)])
    assert peak_live_bytes(graph, {"a": 10, "b": 10, "y": 10}) == 20  # never all three at once
    assert peak_live_bytes(graph, {"a": 10, "b": 10, "y": 10}) != 30  # what summing every tensor would say


def test_the_bundled_models_estimate_is_near_what_onnx_runtime_measured(default_onnx):
    # benchmarks/results/2026-11-27-cpu2core-avx2-demo/demo.json: ONNX Runtime FP32 on the Sony full frame
    # (1424 x 2128 packed) held 1292 MiB for inference, weights and runtime included
    full_frame = activation_bytes_per_pixel(default_onnx) * 1424 * 2128 / 2**20
    assert 0.4 * 1292 < full_frame < 1292


def test_the_tile_fits_half_the_free_memory_and_too_little_memory_is_one_line(tmp_path):
    model = _chain(tmp_path / "c.onnx")
    plan = plan_tiles(model, available=2 * 144 * 1024 * 1024)  # half of it: 144 B/px -> 1024 x 1024
    assert plan.max_tile == 1024 and plan.bytes_per_pixel == 144
    with pytest.raises(InputError, match="needs ~1 MiB of activations for even a 64x64 tile"):
        plan_tiles(model, available=144 * 64 * 64)


def test_enhance_tiles_on_its_own_when_memory_is_short_and_says_so(default_onnx, tmp_path, monkeypatch, capsys):
    from closeness import psnr

    from lowlight_edge.cli import main
    from lowlight_edge.fileio.png import read_png
    from lowlight_edge.raw.synth_frames import write_frames

    frame = write_frames(tmp_path / "f", {"x": np.random.default_rng(0).random((256, 320, 3)).astype(np.float32)})[0]
    per_pixel = activation_bytes_per_pixel(default_onnx)
    runs = {}
    for name, free in (("roomy", 2**40), ("short", int(2 * per_pixel * 96 * 96)), ("explicit", 2**40)):
        monkeypatch.setattr(memory_plan, "available_memory", lambda free=free: free)
        tiles = ["--max-tile", "96"] if name == "explicit" else []
        assert main(["enhance", str(frame.dng), "-o", str(tmp_path / name), "--model", str(default_onnx),
                     "--backend", "ort-cpu", *tiles]) == 0
        runs[name] = (read_png(tmp_path / name / frame.dng.with_suffix(".png").name), capsys.readouterr().err)
    assert "run as tiles" not in runs["roomy"][1] and "run as tiles" not in runs["explicit"][1]
    assert "frames larger than 96x96 packed pixels run as tiles" in runs["short"][1]
    assert np.array_equal(runs["short"][0], runs["explicit"][0])  # the same tiling as --max-tile 96
    assert not np.array_equal(runs["short"][0], runs["roomy"][0])  # and not the whole frame
    assert psnr(runs["roomy"][0], runs["short"][0]) > 30
