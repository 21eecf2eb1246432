"""The pipeline graph (RAW mosaic in, pixels out) against the host path it replaces, on every runtime here.

The reference is the host path: numpy packing (raw/pack.py), the network graph alone under ONNX Runtime, and
numpy cropping/rounding; the pipeline graph reimplements all of it as ONNX nodes, in two forms (the "tensorrt"
form every runtime takes, the "cpu" form with fewer passes). A wrong CFA order and a perturbed network are the
negative controls the comparisons must catch.
"""

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from lowlight_edge.engines.select import open_runner
from lowlight_edge.errors import InputError, ModelError
from lowlight_edge.export.pipeline import wrap_pipeline
from lowlight_edge.fileio.png import to_integer
from lowlight_edge.onnxgraph.metadata import read_metadata
from lowlight_edge.onnxgraph.pipeline_io import PIPELINE_KEY, TARGETS, PipelineSpec, pipeline_feed
from lowlight_edge.raw.cfa import PHASES
from lowlight_edge.raw.pack import pack_bayer
from lowlight_edge.raw.padded_inference import enhance_packed

BLACK = (512.0, 506.0, 519.0, 509.0)  # unequal per packed channel
WHITE, RATIO = 16383.0, 80.0


def _mosaic(seed: int, shape=(2 * 37, 2 * 45)) -> np.ndarray:
    """A dim frame whose packed size (37x45) is not a multiple of 16 or 32."""
    return np.random.default_rng(seed).integers(480, 820, size=shape).astype(np.uint16)


def _host_pixels(network_runner, mosaic, phase, bits=8, black=BLACK):
    packed = pack_bayer(mosaic, phase, black, WHITE, RATIO)
    return to_integer(enhance_packed(network_runner.infer, packed, network_runner.size_multiple), bits)


def _lsb(a, b) -> int:
    return int(np.abs(a.astype(np.int64) - b.astype(np.int64)).max())


def _target(path) -> str:
    return PipelineSpec.from_metadata(read_metadata(onnx.load(str(path), load_external_data=False))).target


@pytest.fixture(scope="module")
def pipeline_onnx(default_camera_onnx, tmp_path_factory):
    return wrap_pipeline(default_camera_onnx, tmp_path_factory.mktemp("pipe") / "default.pipeline.onnx").output


@pytest.fixture(scope="module")
def pipelines(default_camera_onnx, pipeline_onnx, tmp_path_factory):
    """The FP32 network in each form: {"tensorrt": path, "cpu": path}."""
    cpu = wrap_pipeline(default_camera_onnx, tmp_path_factory.mktemp("pipe") / "default.cpu.pipeline.onnx",
                        target="cpu")
    return {"tensorrt": pipeline_onnx, "cpu": cpu.output}


def test_each_form_says_its_target_and_an_fp32_network_defaults_to_the_form_every_runtime_takes(pipelines):
    assert {target: _target(path) for target, path in pipelines.items()} == {t: t for t in TARGETS}


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("phase", PHASES)
def test_pipeline_pixels_equal_the_host_path_for_every_cfa_phase(default_camera_onnx, pipelines, phase, target):
    mosaic = _mosaic(PHASES.index(phase))
    with open_runner(default_camera_onnx, "ort-cpu") as network, open_runner(pipelines[target], "ort-cpu") as pipeline:
        expected = _host_pixels(network, mosaic, phase)
        got = pipeline.infer(pipeline_feed(mosaic, phase, BLACK, WHITE, RATIO))
        assert got.dtype == np.uint8 and got.shape == (*mosaic.shape, 3)
        assert _lsb(got, expected) <= 1
        # negative controls: the same mosaic read with another phase, or with the black levels swapped, must differ
        wrong = {"RGGB": "BGGR", "BGGR": "RGGB", "GRBG": "GBRG", "GBRG": "GRBG"}[phase]
        assert _lsb(pipeline.infer(pipeline_feed(mosaic, wrong, BLACK, WHITE, RATIO)), expected) > 1
        assert _lsb(pipeline.infer(pipeline_feed(mosaic, phase, BLACK[::-1], WHITE, RATIO)), expected) > 1


def test_a_perturbed_network_fails_the_comparison(pipeline_onnx, tmp_path):
    from onnx import numpy_helper

    model = onnx.load(str(pipeline_onnx))
    weight = next(t for t in model.graph.initializer if len(t.dims) == 4 and t.dims[0] > 8)
    weight.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(weight) * 1.5, weight.name))
    onnx.save(model, str(tmp_path / "perturbed.onnx"))
    mosaic = _mosaic(7)
    feed = pipeline_feed(mosaic, "RGGB", BLACK, WHITE, RATIO)
    with open_runner(pipeline_onnx, "ort-cpu") as good, open_runner(tmp_path / "perturbed.onnx", "ort-cpu") as bad:
        assert _lsb(good.infer(feed), bad.infer(feed)) > 1


def test_sixteen_bit_pixels_equal_the_host_path(default_camera_onnx, tmp_path):
    path = wrap_pipeline(default_camera_onnx, tmp_path / "p16.onnx", bits=16).output
    mosaic = _mosaic(11)
    with open_runner(default_camera_onnx, "ort-cpu") as network, open_runner(path, "ort-cpu") as pipeline:
        got = pipeline.infer(pipeline_feed(mosaic, "GRBG", BLACK, WHITE, RATIO))
        assert got.dtype == np.uint16 and got.shape == (*mosaic.shape, 3)
        assert _lsb(got, _host_pixels(network, mosaic, "GRBG", bits=16)) <= 1


@pytest.fixture(scope="module")
def quantized(default_camera_onnx, tmp_path_factory):
    from lowlight_edge.quantize.jobs import quantize_fp16, quantize_int8

    folder = tmp_path_factory.mktemp("quantized")
    quantize_fp16(default_camera_onnx, folder / "m.fp16.onnx", calib="synthetic:2", calib_shape=(64, 64), calib_count=2)
    quantize_int8(default_camera_onnx, folder / "m.int8.onnx", "synthetic:2", calib_shape=(64, 64), calib_count=2)
    return folder


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("variant", ["fp16", "int8"])
def test_quantized_pipelines_equal_their_own_host_path_and_only_the_tensorrt_form_passes_the_check(
        quantized, variant, target):
    """The INT8 (tensorrt target) network stays NCHW: the cpu form's crop and HWC transpose run on bytes there."""
    from lowlight_edge.engines.trt.check import check_onnx

    network = quantized / f"m.{variant}.onnx"
    path = wrap_pipeline(network, quantized / f"m.{variant}.{target}.pipeline.onnx", target=target).output
    mosaic = _mosaic(5)
    with open_runner(network, "ort-cpu") as host, open_runner(path, "ort-cpu") as pipeline:
        assert pipeline.precision == variant
        got = pipeline.infer(pipeline_feed(mosaic, "GBRG", BLACK, WHITE, RATIO))
        assert _lsb(got, _host_pixels(host, mosaic, "GBRG")) <= 1
    codes = [f.code for f in check_onnx(path).errors]
    assert codes == [] if target == "tensorrt" else "pipeline-target" in codes


def test_an_int8_pipeline_for_the_cpu_equals_its_own_host_path(default_camera_onnx, tmp_path):
    """Its network output is taken channels-last, the final dequantize run on the NHWC tensor."""
    from lowlight_edge.quantize.int8 import Int8Options
    from lowlight_edge.quantize.jobs import quantize_int8

    network = tmp_path / "m.int8-cpu.onnx"
    quantize_int8(default_camera_onnx, network, "synthetic:2", calib_shape=(64, 64), calib_count=2,
                  options=Int8Options(target="cpu"))
    path = wrap_pipeline(network, tmp_path / "m.int8-cpu.pipeline.onnx").output
    assert _target(path) == "cpu"  # the network runs on CPU runtimes only, so its pipeline takes their form
    mosaic = _mosaic(6)
    with open_runner(network, "ort-cpu") as host, open_runner(path, "ort-cpu") as pipeline:
        got = pipeline.infer(pipeline_feed(mosaic, "BGGR", BLACK, WHITE, RATIO))
        assert _lsb(got, _host_pixels(host, mosaic, "BGGR")) <= 1


def test_the_fp32_pipeline_passes_the_tensorrt_check_and_a_uint8_inside_the_network_does_not(pipeline_onnx, tmp_path):
    from lowlight_edge.engines.trt.check import check_onnx

    assert check_onnx(pipeline_onnx).errors == []
    model = onnx.load(str(pipeline_onnx))
    image = next(n for n in model.graph.node if n.output[0] == "image")
    image.output[0] = "inner_u8"  # the uint8 Cast now feeds another op instead of being the output
    model.graph.node.append(helper.make_node("Cast", ["inner_u8"], ["image"], to=TensorProto.UINT8))
    onnx.save(model, str(tmp_path / "inner.onnx"))
    assert [f.code for f in check_onnx(tmp_path / "inner.onnx").errors] == ["uint8-inside"]


def _identity_network(tmp_path):
    """A network whose output repeats packed R, G1, B over each 2x2 cell: the pipeline's decoding made visible."""
    packed = helper.make_tensor_value_info("packed", TensorProto.FLOAT, ["n", 4, "h", "w"])
    rgb = helper.make_tensor_value_info("rgb", TensorProto.FLOAT, ["n", 3, "h2", "w2"])
    nodes = [helper.make_node("Slice", ["packed", "s", "e", "a"], ["rgb3"]),
             helper.make_node("Concat", ["rgb3"] * 4, ["rgb12"], axis=1),
             helper.make_node("DepthToSpace", ["rgb12"], ["rgb"], blocksize=2, mode="CRD")]
    inits = [onnx.numpy_helper.from_array(np.array(v, np.int64), n) for n, v in (("s", [0]), ("e", [3]), ("a", [1]))]
    model = helper.make_model(helper.make_graph(nodes, "identity", [packed], [rgb], inits),
                              opset_imports=[helper.make_opsetid("", 17)])
    onnx.save(model, str(tmp_path / "identity.onnx"))
    return tmp_path / "identity.onnx"


@pytest.mark.parametrize("target", TARGETS)
def test_the_input_encoding_is_exact_over_the_whole_16_bit_range(tmp_path, target):
    path = wrap_pipeline(_identity_network(tmp_path), tmp_path / "identity.pipeline.onnx", bits=16,
                         target=target).output
    values = np.arange(65536, dtype=np.uint16)  # 0 and 65535 included
    mosaic = np.zeros((2 * 256, 2 * 256), np.uint16)
    mosaic[0::2, 0::2] = values.reshape(256, 256)  # the R position of RGGB
    with open_runner(path, "ort-cpu") as runner:
        image = runner.infer(pipeline_feed(mosaic, "RGGB", 0, 65535, 1.0))
    assert np.array_equal(image[0::2, 0::2, 0], values.reshape(256, 256))
    assert values.min() == 0 and values.max() == 65535


def test_openvino_and_pytorch_run_the_same_pipeline(pipelines, default_camera_checkpoint):
    feed = pipeline_feed(_mosaic(3), "BGGR", BLACK, WHITE, RATIO)
    with open_runner(pipelines["tensorrt"], "ort-cpu") as ort_runner:
        expected = ort_runner.infer(feed)
    for path in pipelines.values():
        with open_runner(path, "ov-cpu") as ov_runner:
            assert _lsb(ov_runner.infer(feed), expected) <= 1
    with open_runner(default_camera_checkpoint, "torch-cpu", torch_pipeline_bits=8) as torch_runner:
        assert torch_runner.pipeline is not None
        assert _lsb(torch_runner.infer(feed), expected) <= 1


def test_inputs_a_pipeline_cannot_take_are_refused_in_one_line(default_camera_onnx, pipeline_onnx):
    with open_runner(pipeline_onnx, "ort-cpu") as runner:
        with pytest.raises(InputError, match="too small"):
            runner.infer(pipeline_feed(_mosaic(1, (20, 30)), "RGGB", 512, WHITE, RATIO))
        with pytest.raises(InputError, match="RAW frame"):
            runner.infer(np.zeros((1, 4, 32, 32), np.float32))
        feed = pipeline_feed(_mosaic(1), "RGGB", 512, WHITE, RATIO)
        with pytest.raises(InputError, match="cfa"):
            runner.infer(type(feed)(feed.mosaic, feed.black, feed.white, feed.ratio, np.array([0, 0, 1, 2], np.int32)))
    with pytest.raises(InputError, match="white level"):
        pipeline_feed(_mosaic(1), "RGGB", 600, 600, RATIO)
    with open_runner(default_camera_onnx, "ort-cpu") as network:
        with pytest.raises(InputError, match="network graph"):
            network.infer(pipeline_feed(_mosaic(1), "RGGB", 512, WHITE, RATIO))
    with pytest.raises(InputError, match="whole frames"):
        with open_runner(pipeline_onnx, "ort-cpu", max_tile=64):
            pass


def test_quantize_and_wrap_refuse_a_pipeline_graph(pipeline_onnx, tmp_path):
    from lowlight_edge.quantize.jobs import quantize_fp16

    with pytest.raises(ModelError, match="pipeline graph"):
        quantize_fp16(pipeline_onnx, tmp_path / "x.onnx")
    with pytest.raises(ModelError, match="already a pipeline"):
        wrap_pipeline(pipeline_onnx, tmp_path / "y.onnx")
    assert not list(tmp_path.iterdir())


def test_bench_times_a_pipeline_model_by_its_own_stages(default_camera_onnx, pipeline_onnx, tmp_path):
    from lowlight_edge.bench.latency import Protocol
    from lowlight_edge.bench.suite import BenchPlan, annotate, run_plan
    from lowlight_edge.raw.dng import write_dng

    raw = write_dng(tmp_path / "f_00_0.1s.dng", _mosaic(2, (96, 130)), "GRBG", BLACK, 16383, exposure_s=0.1)
    plan = BenchPlan(models=[default_camera_onnx, pipeline_onnx], shapes=[(48, 64)], backends=["ort-cpu"], raw=raw,
                     ratio=50.0, encode=True, protocol=Protocol(warmup=0, runs=2))
    records = annotate(run_plan(plan, show_progress=False))
    by = {(r.model, r.mode): r for r in records}
    pipe = by[(str(pipeline_onnx), "end-to-end")]
    assert list(pipe.stages) == ["decode", "pipeline", "encode"]  # packing and post-processing run inside
    assert list(by[(str(default_camera_onnx), "end-to-end")].stages) == ["decode", "pack", "inference", "postprocess",
                                                                         "encode"]
    assert pipe.shape == [1, 4, 48, 80]  # 48x65 packed, padded to the network's multiple
    assert by[(str(pipeline_onnx), "compute")].shape == [1, 4, 48, 64] and pipe.flops > 0


def test_a_cpu_form_pipeline_is_refused_by_the_engine_build_in_one_line(pipelines, tmp_path):
    from lowlight_edge.engines.trt.build import BuildOptions, build_engine
    from lowlight_edge.engines.trt.profiles import Profile

    with pytest.raises(InputError, match="--target tensorrt"):
        build_engine(pipelines["cpu"], tmp_path / "x.engine", BuildOptions(profile=Profile()), log=lambda _m: None)
    assert not list(tmp_path.iterdir())


def test_the_pipeline_spec_reads_graphs_from_before_targets_and_refuses_an_unknown_target():
    from lowlight_edge.export.pipeline_graph import wrap_network

    assert PipelineSpec.from_metadata({PIPELINE_KEY: '{"version": 1, "bits": 8}'}) == PipelineSpec(8, "tensorrt")
    assert PipelineSpec.from_metadata({PIPELINE_KEY: PipelineSpec(16, "cpu").to_json()}) == PipelineSpec(16, "cpu")
    with pytest.raises(ModelError, match="target 'gpu'"):
        PipelineSpec.from_metadata({PIPELINE_KEY: '{"version": 1, "bits": 8, "target": "gpu"}'})
    with pytest.raises(ModelError, match="target is one of"):
        wrap_network(onnx.ModelProto(), 8, "gpu")


@pytest.mark.parametrize("shape,dtype", [((20000, 20000, 3), np.uint8), ((1, 1, 3), np.uint8), ((64, 96, 3), np.float32),
                                         ((64, 96, 4), np.uint8)])
def test_a_pipeline_graphs_output_is_checked_against_its_input_before_it_is_written(shape, dtype):
    """Issue 29, item 10: a pipeline graph's pixels are refused in one line unless they are one uint8/uint16 RGB
    pixel per mosaic sample (the shape is only described, never allocated here)."""
    from lowlight_edge.engines.frame import checked_pixels
    from lowlight_edge.errors import ModelError

    fake = np.lib.stride_tricks.as_strided(np.zeros(1, dtype), shape=shape, strides=(0,) * len(shape))
    with pytest.raises(ModelError, match="returned .* pixels of shape .* for a 64x96 frame"):
        checked_pixels(fake, (64, 96), 8, "hostile.pipeline.onnx")
    good = np.zeros((64, 96, 3), np.uint8)
    assert checked_pixels(good, (64, 96), 8, "ok.pipeline.onnx") is good  # the control


@pytest.mark.parametrize("declared", ["4096", "24", "0", "-16", "1e3", "16" * 30])
def test_a_size_multiple_outside_what_a_network_can_have_is_refused_before_anything_is_sized(
        default_camera_onnx, tmp_path, capsys, declared):
    # issue #29 item 4: size_multiple 4096 built gate frames of 4 GB
    from lowlight_edge.cli import main
    from lowlight_edge.onnxgraph.metadata import SIZE_MULTIPLE_KEY, set_metadata

    model = onnx.load(str(default_camera_onnx))
    set_metadata(model, {SIZE_MULTIPLE_KEY: declared})
    onnx.save(model, str(tmp_path / "m.onnx"))
    for command in (["pipeline", str(tmp_path / "m.onnx"), "-o", str(tmp_path / "out" / "p.onnx")],
                    ["bench", str(tmp_path / "m.onnx"), "--backend", "ort-cpu", "--shape", "64x64"]):
        assert main(command) == 2
        err = [line for line in capsys.readouterr().err.splitlines() if "error" in line or "Traceback" in line]
        assert len(err) == 1 and f"declares lowlight_edge.size_multiple {declared[:40]!r}; a network's size multiple " \
                                  "is a power of two from 1 to 128" in err[0]
    assert not (tmp_path / "out").exists()
    set_metadata(model, {SIZE_MULTIPLE_KEY: "32"})  # control: a multiple a network can have
    onnx.save(model, str(tmp_path / "m.onnx"))
    assert main(["pipeline", str(tmp_path / "m.onnx"), "-o", str(tmp_path / "out" / "p.onnx")]) == 0
