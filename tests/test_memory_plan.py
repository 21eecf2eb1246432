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
    # half of it for twice the activations (the runtime's own memory): 144 B/px -> 1024 x 1024
    plan = plan_tiles(model, available=4 * 144 * 1024 * 1024)
    assert plan.max_tile == 1024 and plan.bytes_per_pixel == 144
    with pytest.raises(InputError, match="needs ~1 MiB for even a 64x64 tile"):
        plan_tiles(model, available=144 * 64 * 64)


def test_enhance_tiles_on_its_own_when_memory_is_short_and_says_so(default_onnx, tmp_path, monkeypatch, capsys):
    from closeness import psnr

    from lowlight_edge.cli import main
    from lowlight_edge.fileio.png import read_png
    from lowlight_edge.raw.synth_frames import write_frames

    frame = write_frames(tmp_path / "f", {"x": np.random.default_rng(0).random((256, 320, 3)).astype(np.float32)})[0]
    per_pixel = activation_bytes_per_pixel(default_onnx)
    runs = {}
    for name, free in (("roomy", 2**40), ("short", int(4 * per_pixel * 96 * 96)), ("explicit", 2**40)):
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


def _shape_derived_reshape(path):
    """x [1,4,h,w] -> Conv 4->8 (a) -> Reshape(a, Shape(a) / 1 * 1) (b) -> Relu = y: the Reshape's target comes from
    arithmetic on a Shape, which ONNX shape inference cannot follow (as in an INT8 graph for the CPU)."""
    w = helper.make_tensor("w", TensorProto.FLOAT, [8, 4, 1, 1], np.ones(32, np.float32))
    one = helper.make_tensor("one", TensorProto.INT64, [4], np.ones(4, np.int64))
    nodes = [helper.make_node("Conv", ["x", "w"], ["a"]), helper.make_node("Shape", ["a"], ["s"]),
             helper.make_node("Div", ["s", "one"], ["q"]), helper.make_node("Mul", ["q", "one"], ["t"]),
             helper.make_node("Reshape", ["a", "t"], ["b"]), helper.make_node("Relu", ["b"], ["y"])]
    graph = helper.make_graph(nodes, "reshape", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, "h", "w"])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], [w, one])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    return path


def test_tensors_shape_inference_cannot_size_are_measured_by_running_the_graph(tmp_path):
    # issue #29 item 5: the shipped INT8 graph for the CPU left 210 tensors unsized, and the plan turned itself off
    path = _shape_derived_reshape(tmp_path / "r.onnx")
    model = onnx.load(str(path))
    for dim, value in zip(model.graph.input[0].type.tensor_type.shape.dim, (1, 4, 64, 64)):
        dim.Clear()
        dim.dim_value = value
    inferred = onnx.shape_inference.infer_shapes(model, strict_mode=True, data_prop=True)
    b = next(i for i in inferred.graph.value_info if i.name == "b")
    assert not all(d.HasField("dim_value") for d in b.type.tensor_type.shape.dim)  # control: inference cannot
    # per packed pixel: a = 32 B, b = 32 (a alive, Reshape makes b), y = 32 (b alive, Relu makes y);
    # s, q, t: 4 int64 each, 96 bytes over 4096 pixels. Peak: a + b (+ t) or b + y
    assert activation_bytes_per_pixel(path) == pytest.approx(64 + 32 / 4096)


def test_measured_sizes_agree_with_shape_inference_where_it_knows(tiny_onnx, tmp_path):
    from lowlight_edge.cli import main

    int8_cpu = tmp_path / "tiny.int8-cpu.onnx"
    assert main(["quantize", "int8", str(tiny_onnx), "-o", str(int8_cpu), "--target", "cpu", "--calib",
                 "synthetic:2", "--calib-shape", "64x64"]) == 0
    model = onnx.load(str(int8_cpu))
    graph_input = model.graph.input[0]
    for dim, value in zip(graph_input.type.tensor_type.shape.dim, (1, 4, 64, 64)):
        dim.Clear()
        dim.dim_value = value
    del model.graph.value_info[:]
    assert memory_plan._inferred_tensors(model) is None  # the graph the issue found: inference leaves some unsized
    measured = memory_plan._measured_tensors(model, graph_input)
    inferred = onnx.shape_inference.infer_shapes(model, strict_mode=True)
    known = {}
    for info in inferred.graph.value_info:
        dims = info.type.tensor_type.shape.dim
        if dims and all(d.HasField("dim_value") for d in dims):
            known[info.name] = (int(np.prod([d.dim_value for d in dims])),
                                 np.dtype(helper.tensor_dtype_to_np_dtype(info.type.tensor_type.elem_type)))
    assert len(known) > 50 and all(measured[name] == size for name, size in known.items())
    assert plan_tiles(int8_cpu, available=2**30) is not None  # and the plan is on
    # as a CPU runtime runs it (Q/DQ fused, weights dequantized at load) it costs what its FP32 graph costs
    assert activation_bytes_per_pixel(int8_cpu) == pytest.approx(activation_bytes_per_pixel(tiny_onnx), rel=1e-3)


def test_an_empty_tensor_does_not_turn_the_plan_off(tmp_path):
    # a dead branch producing a zero-size tensor: 0 bytes, not "unknown"
    w = helper.make_tensor("w", TensorProto.FLOAT, [8, 4, 1, 1], np.ones(32, np.float32))
    starts, ends = (helper.make_tensor(n, TensorProto.INT64, [1], [v]) for n, v in (("st", 0), ("en", 0)))
    axes = helper.make_tensor("ax", TensorProto.INT64, [1], [1])
    nodes = [helper.make_node("Conv", ["x", "w"], ["y"]), helper.make_node("Slice", ["y", "st", "en", "ax"], ["e"])]
    graph = helper.make_graph(nodes, "dead", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, "h", "w"])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None),
                               helper.make_tensor_value_info("e", TensorProto.FLOAT, None)], [w, starts, ends, axes])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(tmp_path / "d.onnx"))
    assert activation_bytes_per_pixel(tmp_path / "d.onnx") == 32


def test_free_memory_is_the_tightest_of_the_machine_the_address_space_limit_and_the_cgroup(tmp_path):
    import subprocess
    import sys

    # RLIMIT_AS 512 MiB above what the child maps: the headroom is at most that, far below the machine's free memory
    child = ("import resource, sys; from lowlight_edge.engines import memory_plan as m; "
             "mapped = int(next(l.split()[1] for l in open('/proc/self/status') if l.startswith('VmSize:'))) * 1024; "
             "resource.setrlimit(resource.RLIMIT_AS, (mapped + 2**29, resource.RLIM_INFINITY)); "
             "print(m.address_space_headroom(), m.available_memory(), m._machine_available())")
    headroom, available, machine = map(int, subprocess.run([sys.executable, "-c", child], capture_output=True,
                                                           text=True, check=True).stdout.split())
    assert 0 < headroom <= 2**29 and available == min(headroom, machine)
    v2 = tmp_path / "v2"
    v2.mkdir()
    (v2 / "memory.max").write_text("1073741824\n")
    (v2 / "memory.current").write_text("268435456\n")
    assert memory_plan.cgroup_headroom(v2) == 3 * 2**28
    (v2 / "memory.max").write_text("max\n")  # control: no limit
    assert memory_plan.cgroup_headroom(v2) is None
    v1 = tmp_path / "v1" / "memory"
    v1.mkdir(parents=True)
    (v1 / "memory.limit_in_bytes").write_text("9223372036854771712\n")  # v1's "no limit"
    (v1 / "memory.usage_in_bytes").write_text("100\n")
    assert memory_plan.cgroup_headroom(tmp_path / "v1") is None
    (v1 / "memory.limit_in_bytes").write_text("1000\n")
    assert memory_plan.cgroup_headroom(tmp_path / "v1") == 900


def test_no_memory_left_is_the_one_line_error_not_a_plan_turned_off(tmp_path):
    with pytest.raises(InputError, match="needs ~1 MiB for even a 64x64 tile and 0 MiB are free"):
        plan_tiles(_chain(tmp_path / "c.onnx"), available=0)
