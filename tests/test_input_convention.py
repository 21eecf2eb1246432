"""A model's input convention (camera or neutral) from checkpoint to ONNX, engine sidecar and every path that feeds
the network: the host path, tiles and pipeline graphs apply a neutral model's conversion the same way, and a model
that says nothing renders exactly as before the convention existed."""

import json

import numpy as np
import onnx
import pytest
from bad_files import dng_with_tag_values, dng_without_colour

from lowlight_edge.cli import main
from lowlight_edge.engines.frame import frame_pixels
from lowlight_edge.engines.select import open_runner
from lowlight_edge.engines.tiled import infer_tiled
from lowlight_edge.errors import InputError, ModelError
from lowlight_edge.export.pipeline import wrap_pipeline
from lowlight_edge.fileio.png import read_png, to_integer
from lowlight_edge.model.config import GeneratorConfig
from lowlight_edge.onnxgraph.metadata import INPUT_CONVENTION_KEY, input_convention_of, read_metadata
from lowlight_edge.onnxgraph.pipeline_io import INPUT_NAMES, NEUTRAL_INPUT_NAMES, TARGETS, pipeline_feed
from lowlight_edge.raw.camera_response import camera_response
from lowlight_edge.raw.cameras import camera
from lowlight_edge.raw.dng import write_dng
from lowlight_edge.raw.pack import pack_bayer
from lowlight_edge.raw.padded_inference import enhance_packed
from lowlight_edge.raw.reader import read_raw

SHOT = ("nikon-d850", "A")  # incandescent light on a camera far from sRGB: a conversion that shows


def _lsb(a, b) -> int:
    return int(np.abs(a.astype(np.int64) - b.astype(np.int64)).max())


@pytest.fixture(scope="module")
def camera_frame(tmp_path_factory):
    """A dim Nikon D850 DNG under incandescent light (packed 37 x 45: off the network's multiple)."""
    response = camera_response(camera(SHOT[0]), SHOT[1])
    bayer = np.random.default_rng(4).integers(500, 900, size=(74, 90)).astype(np.uint16)
    return write_dng(tmp_path_factory.mktemp("shot") / "90001_00_0.1s.dng", bayer, "GRBG", (512, 508, 515, 511), 16383,
                     exposure_s=0.1, iso=3200, colour=response.tags, make="NIKON CORPORATION", model="NIKON D850")


def test_a_config_that_says_nothing_is_camera_and_neutral_is_recorded_everywhere(default_neutral_onnx,
                                                                                 default_camera_onnx):
    legacy = json.loads(GeneratorConfig(width=16).to_json())
    del legacy["input_convention"]  # a checkpoint from before the convention existed
    assert GeneratorConfig.from_dict(legacy).input_convention == "camera"
    assert input_convention_of({}) == "camera" and input_convention_of({"lowlight_edge.config": "{}"}) == "camera"
    for path, convention in ((default_neutral_onnx, "neutral"), (default_camera_onnx, "camera")):
        meta = read_metadata(onnx.load(str(path)))
        assert meta[INPUT_CONVENTION_KEY] == convention and input_convention_of(meta) == convention
        with open_runner(path, "ort-cpu") as runner:
            assert runner.input_convention == convention
    with pytest.raises(ModelError, match="input convention 'sideways'"):
        input_convention_of({INPUT_CONVENTION_KEY: "sideways"})
    with pytest.raises(InputError, match="input_convention"):
        GeneratorConfig(input_convention="sideways")


def test_a_camera_model_renders_exactly_as_before_and_ignores_the_files_colour(default_camera_onnx, camera_frame,
                                                                             tmp_path):
    """Bit for bit the host path as it was (pack_bayer without a conversion), whatever colour the file declares."""
    frame = read_raw(camera_frame)
    with open_runner(default_camera_onnx, "ort-cpu") as runner:
        before = to_integer(enhance_packed(runner.infer, pack_bayer(frame.bayer, frame.phase, frame.black, frame.white,
                                                                    100.0), runner.size_multiple), 8)
        assert np.array_equal(frame_pixels(runner, frame, 100.0), before)
    assert main(["enhance", str(camera_frame), "-o", str(tmp_path), "--model", str(default_camera_onnx), "--ratio",
                 "100", "--backend", "ort-cpu", "--keep-sensor-orientation"]) == 0
    assert np.array_equal(np.round(read_png(tmp_path / "90001_00_0.1s.png") * 255).astype(np.uint8), before)
    pipeline = wrap_pipeline(default_camera_onnx, tmp_path / "camera.pipeline.onnx").output
    assert [i.name for i in onnx.load(str(pipeline)).graph.input] == list(INPUT_NAMES)  # the graph of before


@pytest.mark.parametrize("target", TARGETS)
def test_neutral_pipelines_tiles_and_host_path_give_the_same_pixels(default_neutral_onnx, camera_frame, tmp_path,
                                                                    target):
    frame = read_raw(camera_frame)
    pipeline = wrap_pipeline(default_neutral_onnx, tmp_path / f"n.{target}.pipeline.onnx", target=target).output
    assert sorted(i.name for i in onnx.load(str(pipeline)).graph.input) == sorted(NEUTRAL_INPUT_NAMES)
    with open_runner(default_neutral_onnx, "ort-cpu") as host, open_runner(pipeline, "ort-cpu") as device, \
            open_runner(default_neutral_onnx, "ort-cpu", max_tile=32, tile_overlap=16) as tiled:
        expected = frame_pixels(host, frame, 100.0)
        assert _lsb(frame_pixels(device, frame, 100.0), expected) <= 1
        # tiles see the converted frame too: the same tiling of the host path's own converted input
        tiles = to_integer(enhance_packed(lambda x: infer_tiled(host.infer, x, 32, 16, host.size_multiple),
                                          frame.pack(100.0, "neutral"), host.size_multiple), 8)
        assert _lsb(frame_pixels(tiled, frame, 100.0), tiles) <= 1
        # controls: the camera's raw without its conversion, or with its gains inverted, is another picture
        as_recorded = to_integer(enhance_packed(host.infer, frame.pack(100.0), host.size_multiple), 8)
        assert _lsb(as_recorded, expected) > 16
        feed = pipeline_feed(frame.bayer, frame.phase, frame.black, frame.white, 100.0, frame.colour)
        inverted = type(feed)(**{**feed.__dict__, "gains": (1 / feed.gains).astype(np.float32)})
        assert _lsb(device.infer(inverted), expected) > 16


def test_openvino_and_pytorch_run_a_neutral_pipeline_the_same_way(default_neutral_onnx, camera_frame, tmp_path):
    from dataclasses import replace

    from lowlight_edge.model.checkpoint import load_generator, save_generator
    from lowlight_edge.weights import default_model

    frame = read_raw(camera_frame)
    pipeline = wrap_pipeline(default_neutral_onnx, tmp_path / "n.pipeline.onnx").output
    with open_runner(pipeline, "ort-cpu") as ort_runner, open_runner(pipeline, "ov-cpu") as ov_runner:
        expected = frame_pixels(ort_runner, frame, 100.0)
        assert _lsb(frame_pixels(ov_runner, frame, 100.0), expected) <= 1
    model = load_generator(default_model()).model
    model.config = replace(model.config, input_convention="neutral")
    checkpoint = save_generator(model, tmp_path / "neutral.safetensors")
    with open_runner(checkpoint, "torch-cpu", torch_pipeline_bits=8) as torch_runner:
        assert torch_runner.pipeline.convention == "neutral"
        assert _lsb(frame_pixels(torch_runner, frame, 100.0), expected) <= 1


def test_the_tensorrt_form_of_a_neutral_pipeline_passes_the_tensorrt_check(default_neutral_onnx, tmp_path):
    from lowlight_edge.engines.trt.check import check_onnx

    pipeline = wrap_pipeline(default_neutral_onnx, tmp_path / "n.pipeline.onnx", target="tensorrt").output
    assert check_onnx(pipeline).errors == []
    ops = {n.op_type for n in onnx.load(str(pipeline)).graph.node if n.name.startswith("pipeline/")}
    assert "MatMul" not in ops and "ReduceSum" in ops  # elementwise colour mixing: nothing TensorRT runs in TF32


def test_colour_inputs_of_the_wrong_kind_are_refused_before_running(default_neutral_onnx, default_camera_onnx,
                                                                     camera_frame, tmp_path):
    frame = read_raw(camera_frame)
    neutral = wrap_pipeline(default_neutral_onnx, tmp_path / "n.pipeline.onnx").output
    camera_pipe = wrap_pipeline(default_camera_onnx, tmp_path / "c.pipeline.onnx").output
    plain = pipeline_feed(frame.bayer, frame.phase, frame.black, frame.white, 100.0)
    coloured = pipeline_feed(frame.bayer, frame.phase, frame.black, frame.white, 100.0, frame.colour)
    with open_runner(neutral, "ort-cpu") as runner:
        with pytest.raises(InputError, match="needs the file's gains"):
            runner.infer(plain)
        for field, value, message in (("gains", coloured.gains[:2], "must be float32 \\[3\\]"),
                                      ("gains", coloured.gains.astype(np.float64), "must be float32"),
                                      ("colour_matrix", coloured.colour_matrix.ravel(), "float32 \\[3, 3\\]"),
                                      ("colour_matrix", np.full((3, 3), np.nan, np.float32), "NaN"),
                                      ("gains", -coloured.gains, "positive")):
            with pytest.raises(InputError, match=message):
                runner.infer(type(coloured)(**{**coloured.__dict__, field: value}))
    with open_runner(camera_pipe, "ort-cpu") as runner:
        with pytest.raises(InputError, match="takes no gains"):
            runner.infer(coloured)


def test_unusable_colour_metadata_is_one_line_unless_the_user_allows_the_identity(default_neutral_onnx,
                                                                                  default_camera_onnx, camera_frame,
                                                                                  tmp_path, capsys):
    broken = dng_with_tag_values(camera_frame, tmp_path / "90002_00_0.1s.dng", 50721, [0] * 9)
    args = [str(broken), "--ratio", "100", "--backend", "ort-cpu"]
    assert main(["enhance", *args, "-o", str(tmp_path / "refused"), "--model", str(default_neutral_onnx)]) == 2
    err = capsys.readouterr().err
    assert "ColorMatrix1" in err and "singular" in err and "Traceback" not in err
    assert not (tmp_path / "refused").exists()
    assert main(["enhance", *args, "-o", str(tmp_path / "allowed"), "--model", str(default_neutral_onnx),
                 "--allow-bad-colour"]) == 0
    assert "rendered with the identity" in capsys.readouterr().err
    assert main(["enhance", *args, "-o", str(tmp_path / "camera"), "--model", str(default_camera_onnx)]) == 0
    assert main(["inspect", str(broken)]) == 0
    assert "unusable colour metadata" in capsys.readouterr().err


def test_a_file_without_colour_metadata_gets_the_identity_and_a_line_saying_so(default_neutral_onnx, camera_frame,
                                                                                tmp_path, capsys):
    bare = dng_without_colour(camera_frame, tmp_path / "90003_00_0.1s.dng")
    assert read_raw(bare).colour.is_identity
    assert main(["enhance", str(bare), "-o", str(tmp_path / "out"), "--model", str(default_neutral_onnx), "--ratio",
                 "100", "--backend", "ort-cpu"]) == 0
    assert "no colour metadata in the file: identity" in capsys.readouterr().err
    assert main(["inspect", str(bare)]) == 0
    assert "note: no colour metadata" in capsys.readouterr().err


@pytest.mark.parametrize("target", TARGETS)
def test_an_int8_neutral_network_gets_the_host_paths_bits_in_its_pipeline(default_neutral_onnx, tmp_path, target):
    """An INT8 network quantizes its input: a last-bit difference in the converted frame becomes another quantization
    step and several LSB in the picture. Both paths convert with the same float32 operations in the same order, so
    the gate (every CFA phase, a real camera's colour) holds at 1 LSB."""
    from lowlight_edge.quantize.int8 import Int8Options
    from lowlight_edge.quantize.jobs import quantize_int8

    network = tmp_path / "n.int8.onnx"
    quantize_int8(default_neutral_onnx, network, "synthetic:2", calib_shape=(64, 64), calib_count=2,
                  options=Int8Options(target="tensorrt"))
    report = wrap_pipeline(network, tmp_path / f"n.int8.{target}.pipeline.onnx", target=target)
    assert report.convention == "neutral" and report.max_lsb <= 1
