"""Real TensorRT and CUDA: run by `make test-gpu` on a machine with a GPU; skipped here with the reason.

With --require-gpu (what `make test-gpu` passes) a skip here is a failure, so a GPU run cannot pass by
skipping everything.
"""

import json

import numpy as np
import pytest
from closeness import low_light_batch, psnr

from lowlight_edge.deps import available


def _tensorrt_reason() -> str | None:
    if not available("tensorrt"):
        return "TensorRT is not installed (pip install 'lowlight-edge[trt]')"
    if not (available("pycuda") or available("cuda.bindings")):
        return "neither pycuda nor cuda-python is installed"
    return None


def _cuda_torch_reason() -> str | None:
    try:
        import torch
    except ImportError:
        return "torch is not installed"
    return None if torch.cuda.is_available() else "PyTorch sees no CUDA device"


requires_trt = pytest.mark.skipif(_tensorrt_reason() is not None, reason=str(_tensorrt_reason()))
# PSNR against ONNX Runtime FP32 on the bundled model, whose output responds to its input (closeness.py); the
# controls of tests/test_quantize.py show a perturbed or constant model falls below these. FP32 engines are built
# with TF32 cleared (engines/trt/build.py), so 60 dB holds; PyTorch CUDA keeps TF32 and gets 50 dB below
MIN_PSNR_DB = {"fp32": 60.0, "fp16": 50.0, "int8": 30.0}
PROFILE = ["--min-shape", "32x32", "--opt-shape", "64x64", "--max-shape", "128x128", "--workspace", "512"]


@pytest.mark.gpu
@pytest.mark.skipif(_cuda_torch_reason() is not None, reason=str(_cuda_torch_reason()))
def test_torch_cuda_matches_cpu():
    from lowlight_edge.engines.select import open_runner
    from lowlight_edge.weights import default_model

    x = low_light_batch()
    with open_runner(default_model(), backend="torch-cpu") as cpu, open_runner(default_model(), backend="torch-cuda") as gpu:
        assert psnr(cpu.infer(x), gpu.infer(x)) >= 50.0  # TF32 convolutions on Ampere and newer: not bit-exact


@pytest.fixture(scope="module")
def engines(default_onnx, tmp_path_factory):
    from lowlight_edge.cli import main

    folder = tmp_path_factory.mktemp("engines")
    models = {"fp32": default_onnx}
    for precision, extra in (("fp16", []), ("int8", ["--calib", "synthetic:2", "--calib-shape", "64x64"])):
        models[precision] = folder / f"default.{precision}.onnx"
        assert main(["quantize", precision, str(default_onnx), "-o", str(models[precision]), *extra]) == 0
    built = {}
    for precision, onnx_path in models.items():
        built[precision] = folder / f"default.{precision}.engine"
        assert main(["build", str(onnx_path), "-o", str(built[precision]), *PROFILE]) == 0
    return built, models


@pytest.mark.tensorrt
@requires_trt
@pytest.mark.parametrize("precision", ["fp32", "fp16", "int8"])
@pytest.mark.parametrize("shape", [(1, 4, 32, 32), (1, 4, 64, 96), (1, 4, 128, 128)])
def test_engines_match_onnx_runtime_on_dynamic_shapes(engines, precision, shape):
    from lowlight_edge.engines.select import open_runner

    built, models = engines
    x = low_light_batch(shape, seed=1)
    with open_runner(models["fp32"]) as ort_runner, open_runner(built[precision]) as trt_runner:
        expected, got = ort_runner.infer(x), trt_runner.infer(x)
        assert trt_runner.last_gpu_ms is not None and trt_runner.last_gpu_ms > 0
    assert got.shape == expected.shape and np.isfinite(got).all()
    assert psnr(expected, got) >= MIN_PSNR_DB[precision]


@pytest.mark.tensorrt
@requires_trt
def test_timing_cache_is_written_and_reused(engines, capsys):
    from lowlight_edge.cli import main

    built, models = engines
    cache = built["fp32"].parent / "timing.cache"
    before = cache.read_bytes()
    assert len(before) > 0
    capsys.readouterr()
    assert main(["build", str(models["fp32"]), "-o", str(built["fp32"].with_suffix(".again.engine")), *PROFILE]) == 0
    assert "another GPU or TensorRT" not in capsys.readouterr().err  # TensorRT took the cache it wrote
    assert len(cache.read_bytes()) >= len(before)  # and kept what it had learnt


@pytest.mark.tensorrt
@requires_trt
def test_tampered_metadata_is_refused(engines, tmp_path):
    import shutil

    from lowlight_edge.engines.select import open_runner
    from lowlight_edge.errors import ModelError

    built, _ = engines
    copy = tmp_path / "copy.engine"
    shutil.copy(built["fp32"], copy)
    meta = json.loads((built["fp32"].parent / "default.fp32.engine.json").read_text())
    meta["compute_capability"] = "1.0"
    (tmp_path / "copy.engine.json").write_text(json.dumps(meta))
    with pytest.raises(ModelError, match="compute capability"):
        open_runner(copy).activate()


@pytest.mark.tensorrt
@requires_trt
def test_fp32_engines_are_built_without_tf32(engines):
    from lowlight_edge.engines.trt.meta import read_meta

    built, _ = engines
    assert read_meta(built["fp32"]).tf32 is False and read_meta(built["fp16"]).tf32 is True


@pytest.mark.tensorrt
@requires_trt
@pytest.mark.parametrize("precision", ["fp16", "int8"])
def test_pipeline_engines_give_the_pixels_onnx_runtime_gives_within_one_level(engines, precision, tmp_path):
    """The uint8 casts, the Gather on the int32 cfa input and the shape-derived reflect Pad, through TensorRT's parser."""
    from lowlight_edge.cli import main
    from lowlight_edge.engines.select import open_runner
    from lowlight_edge.onnxgraph.pipeline_io import pipeline_feed
    from lowlight_edge.raw.camera_response import camera_response
    from lowlight_edge.raw.cameras import camera

    _, models = engines
    pipeline = tmp_path / f"default.{precision}.pipeline.onnx"
    assert main(["pipeline", str(models[precision]), "-o", str(pipeline), "--target", "tensorrt"]) == 0
    engine = tmp_path / f"default.{precision}.pipeline.engine"
    assert main(["build", str(pipeline), "-o", str(engine), *PROFILE]) == 0
    rng = np.random.default_rng(3)
    colour = camera_response(camera("nikon-d850"), "A").conversion()  # used when the bundled model is neutral
    for cfa, (height, width) in (("RGGB", (128, 192)), ("BGGR", (100, 150))):  # 150: padded inside the graph
        mosaic = (512 + rng.gamma(2.0, 20.0, (height, width))).astype(np.uint16)
        with open_runner(pipeline, "ort-cpu") as ort_runner, open_runner(engine) as trt_runner:
            neutral = ort_runner.pipeline.convention == "neutral"
            feed = pipeline_feed(mosaic, cfa, 512, 16383, 100.0, colour if neutral else None)
            expected, got = ort_runner.infer(feed), trt_runner.infer(feed)
        assert got.dtype == np.uint8 and got.shape == expected.shape == (height, width, 3)
        assert int(np.abs(got.astype(np.int16) - expected).max()) <= 1
        assert expected.std() > 1.0  # the control: pixels that vary, so agreement means something


@pytest.mark.tensorrt
@requires_trt
def test_validate_skips_frames_outside_an_engines_profile(engines, lpips_weights):
    """Synthetic frames pack to about 160x240, beyond these engines' 128x128: skipped rows, never an escape."""
    from lowlight_edge.metrics.validate import validate

    built, models = engines
    report = validate(models["fp32"], [built["fp16"]], synthetic=1, lpips_weights=lpips_weights)
    assert report.models[1]["skipped_frames"] == 1 and report.first_skips()


def _cuda_bindings_reason() -> str | None:
    if not (available("pycuda") or available("cuda.bindings")):
        return "neither pycuda nor cuda-python is installed"
    return _cuda_torch_reason()


@pytest.mark.gpu
@pytest.mark.skipif(_cuda_bindings_reason() is not None, reason=str(_cuda_bindings_reason()))
def test_cuda_memory_layer_round_trips_through_the_device():
    """The buffers, stream and events TrtRunner uses, without TensorRT: pinned -> device -> pinned."""
    from lowlight_edge.engines.trt.cuda_memory import open_cuda

    cuda = open_cuda()
    cuda.push()
    try:
        info = cuda.info()
        assert info.name and "." in info.compute_capability and int(info.driver_version) > 0
        host_in = cuda.pinned((2, 4, 8, 8), np.float32)
        host_in[...] = np.arange(host_in.size, dtype=np.float32).reshape(host_in.shape)
        host_out = cuda.pinned((2, 4, 8, 8), np.float32)
        host_out[...] = 0
        device = cuda.alloc(host_in.nbytes)
        stream = cuda.stream()
        start, end = cuda.event(), cuda.event()
        cuda.record(start, stream)
        cuda.htod(device, host_in, stream)
        cuda.dtoh(host_out, device, stream)
        cuda.record(end, stream)
        cuda.synchronize(stream)
        assert cuda.elapsed_ms(start, end) >= 0.0
        np.testing.assert_array_equal(host_out, host_in)
    finally:
        cuda.pop()


@pytest.mark.gpu
@pytest.mark.skipif(_cuda_torch_reason() is not None, reason=str(_cuda_torch_reason()))
def test_torch_cuda_views_split_transfers_and_time_by_events(tiny_checkpoint):
    from lowlight_edge.engines.select import open_runner

    x = np.random.default_rng(0).random((1, 4, 64, 96), dtype=np.float32)
    with open_runner(tiny_checkpoint, backend="torch-cuda") as gpu:
        out, stages = gpu.infer_staged(x)
        assert list(stages) == ["h2d", "inference", "d2h"] and all(v >= 0 for v in stages.values())
        assert out.shape == (1, 3, 128, 192)
        device_ms = gpu.compute_call(x)()
        assert isinstance(device_ms, float) and device_ms > 0
