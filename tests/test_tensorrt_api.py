"""The TensorRT layer against NVIDIA's real Python bindings of 10.3 (JetPack 6), 10.13 (JetPack 7) and 11.4 (desktop).

The bindings import on this CPU machine with stand-in libraries (trt_bindings.py); their API becomes a strict
stand-in module (trt_standin.py) under which the project's own `build_engine` and `TrtRunner` run, every branch
of them: a member a version lacks, a call whose arguments fit none of its overloads, a write to a read-only
property fails the run. This checks names, signatures and the project's logic; TensorRT itself never runs here.
"""

import ast
import sys
from pathlib import Path

import numpy as np
import pytest
import trt_bindings
from trt_standin import ApiError, HostCuda, StandInModule

from lowlight_edge.engines.select import open_runner
from lowlight_edge.engines.trt import build as trt_build
from lowlight_edge.engines.trt import runner as trt_runner
from lowlight_edge.engines.trt.build import BuildOptions, build_engine
from lowlight_edge.engines.trt.profiles import Profile
from lowlight_edge.errors import InputError
from lowlight_edge.onnxgraph.pipeline_io import pipeline_feed

VERSIONS = list(trt_bindings.VERSIONS)
TRT_CODE = sorted((Path(trt_build.__file__).parent).glob("*.py"))


@pytest.fixture(scope="session")
def apis(tmp_path_factory):
    missing = [v for v in VERSIONS if trt_bindings.wheel_for(v) is None]
    if missing:
        pytest.skip(f"TensorRT bindings wheels for {', '.join(missing)} not in {trt_bindings.WHEELS}; run make test-data")
    if trt_bindings.compiler() is None:
        pytest.skip("no C compiler to build the stand-in TensorRT libraries")
    folder = tmp_path_factory.mktemp("tensorrt-bindings")
    return {v: trt_bindings.api_of(v, folder) for v in VERSIONS}


@pytest.fixture
def standin(apis, request, monkeypatch):
    """The stand-in `tensorrt` of one version, with host-memory CUDA, installed where the project imports them."""
    module = StandInModule(apis[request.param])
    monkeypatch.setitem(sys.modules, "tensorrt", module)
    cuda = HostCuda()
    module.simulation.memory = cuda  # engines compute (ONNX Runtime on the buffers the runner binds)
    monkeypatch.setattr(trt_build, "open_cuda", lambda: cuda)
    monkeypatch.setattr(trt_runner, "open_cuda", lambda: cuda)
    return module


@pytest.mark.parametrize("version", VERSIONS)
def test_the_real_bindings_import_and_describe_themselves(apis, version):
    api = apis[version]
    assert api["version"].startswith(version + ".")
    names = api["names"]
    assert {"Builder", "Runtime", "ICudaEngine", "IExecutionContext", "OnnxParser"} <= set(names)
    assert names["IExecutionContext"]["members"]["set_input_shape"]["signatures"][0]["returns"] == "bool"
    assert names["ICudaEngine"]["members"]["num_io_tensors"] == {"kind": "property", "writable": False}
    assert names["IBuilderConfig"]["members"]["builder_optimization_level"]["writable"]


def _trt_references(path: Path) -> set[tuple[str, ...]]:
    """`trt.X` and `trt.X.Y` chains in a source file: module members the code names directly."""
    chains = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Attribute):
            parts, inner = [node.attr], node.value
            while isinstance(inner, ast.Attribute):
                parts.insert(0, inner.attr)
                inner = inner.value
            if isinstance(inner, ast.Name) and inner.id == "trt":
                chains.add(tuple(parts))
    return chains


@pytest.mark.parametrize("version", VERSIONS)
def test_every_tensorrt_name_the_code_uses_exists_in_the_real_bindings(apis, version):
    names = apis[version]["names"]
    references = set().union(*(_trt_references(p) for p in TRT_CODE))
    assert len(references) > 10  # the scan sees the code
    missing = []
    for chain in references:
        head = chain[0]
        if head == "__version__":
            continue
        spec = names.get(head)
        if spec is None:
            missing.append(".".join(chain))
        elif len(chain) > 1 and chain[1] not in spec.get("members", {}) and chain[1] not in spec.get("values", {}):
            missing.append(".".join(chain))
    assert missing == [], f"TensorRT {version} has no {missing}"


def _build(onnx_path, tmp_path, **options) -> Path:
    engine = tmp_path / (Path(onnx_path).stem + ".engine")
    profile = Profile(min=(1, 4, 32, 32), opt=(1, 4, 64, 64), max=(1, 4, 96, 128))
    build_engine(onnx_path, engine, BuildOptions(profile=profile, **options), force=True, log=lambda _m: None)
    return engine


@pytest.mark.parametrize("standin", VERSIONS, indirect=True)
def test_build_and_run_a_network_engine(standin, default_onnx, tmp_path):
    engine = _build(default_onnx, tmp_path, timing_cache=tmp_path / "timing.cache", optimization_level=3)
    assert (tmp_path / "timing.cache").read_bytes() == b"timing-cache"  # what the builder's cache serialised
    x = np.random.default_rng(0).random((1, 4, 48, 80), dtype=np.float32) * 0.05
    with trt_runner.TrtRunner(engine) as runner:
        out = runner.infer(x)
        assert out.shape == (1, 3, 96, 160) and out.dtype == np.float32  # the shape the engine reports
        with open_runner(default_onnx, "ort-cpu") as ort_runner:
            np.testing.assert_array_equal(out, ort_runner.infer(x))  # the bytes the runner bound and read back
        # smaller than the profile's minimum: refused, never run on stale buffers (finding 1)
        with pytest.raises(InputError, match="outside the engine's profile"):
            runner.infer(np.zeros((1, 4, 16, 16), np.float32))
        runner.compute_call(np.zeros((1, 4, 32, 32), np.float32))()
    assert "IExecutionContext.execute_async_v3" in standin.calls


@pytest.mark.parametrize("standin", VERSIONS, indirect=True)
def test_build_and_run_a_pipeline_engine(standin, default_camera_onnx, tmp_path):
    from lowlight_edge.export.pipeline import wrap_pipeline

    pipeline = wrap_pipeline(default_camera_onnx, tmp_path / "m.pipeline.onnx").output
    engine = _build(pipeline, tmp_path)
    with trt_runner.TrtRunner(engine) as runner:
        assert runner.pipeline is not None and runner.pipeline.bits == 8
        mosaic = (600 + np.random.default_rng(1).gamma(2.0, 20.0, (2 * 40, 2 * 50))).astype(np.uint16)
        feed = pipeline_feed(mosaic, "RGGB", 512, 16383, 100.0)
        pixels = runner.infer(feed)
        assert pixels.shape == (80, 100, 3) and pixels.dtype == np.uint8
        with open_runner(pipeline, "ort-cpu") as ort_runner:
            expected = ort_runner.infer(feed)
        assert expected.std() > 1 and np.array_equal(pixels, expected)  # uint16 bytes in, uint8 pixels out
        with pytest.raises(InputError, match="outside the engine's profile"):
            runner.infer(pipeline_feed(np.full((2 * 200, 2 * 50), 600, np.uint16), "RGGB", 512, 16383, 100.0))


@pytest.mark.parametrize("standin", VERSIONS, indirect=True)
def test_a_neutral_network_and_its_pipeline_engine_take_the_files_colour(standin, default_neutral_onnx, tmp_path):
    from lowlight_edge.engines.trt.meta import read_meta
    from lowlight_edge.export.pipeline import wrap_pipeline
    from lowlight_edge.raw.camera_response import camera_response
    from lowlight_edge.raw.cameras import camera

    network = _build(default_neutral_onnx, tmp_path)
    assert read_meta(network).input_convention == "neutral"  # the sidecar tells the host path to convert
    with trt_runner.TrtRunner(network) as runner:
        assert runner.input_convention == "neutral"
    engine = _build(wrap_pipeline(default_neutral_onnx, tmp_path / "n.pipeline.onnx").output, tmp_path)
    colour = camera_response(camera("sony-ilce-7s"), "D65").conversion()
    mosaic = np.full((2 * 40, 2 * 50), 600, np.uint16)
    with trt_runner.TrtRunner(engine) as runner:
        assert runner.pipeline.convention == "neutral"
        assert runner.infer(pipeline_feed(mosaic, "RGGB", 512, 16383, 100.0, colour)).shape == (80, 100, 3)
        with pytest.raises(InputError, match="gains"):
            runner.infer(pipeline_feed(mosaic, "RGGB", 512, 16383, 100.0))


@pytest.mark.parametrize("standin", VERSIONS, indirect=True)
@pytest.mark.parametrize("options", [{"version_compatible": True}, {"hardware_compatible": True}])
def test_every_build_option_uses_members_the_bindings_have(standin, default_onnx, tmp_path, options):
    _build(default_onnx, tmp_path, **options)


@pytest.mark.parametrize("standin", VERSIONS[:1], indirect=True)
def test_the_checker_catches_a_wrong_name_arity_or_read_only_write(standin):
    logger = standin.Logger(standin.Logger.WARNING)
    builder = standin.Builder(logger)
    with pytest.raises(ApiError, match="create_netwrk"):
        builder.create_netwrk(0)
    config = builder.create_builder_config()
    with pytest.raises(TypeError, match="set_memory_pool_limit"):
        config.set_memory_pool_limit(standin.MemoryPoolType.WORKSPACE)  # one argument short
    engine = standin.instance("ICudaEngine")
    with pytest.raises(ApiError, match="read-only"):
        engine.num_io_tensors = 3
    with pytest.raises(ApiError, match="no tensorrt.BuilderFlags"):
        standin.BuilderFlags  # noqa: B018 - the attribute access is the check
    with pytest.raises(AttributeError):
        standin.BuilderFlag.FP8_TYPO  # noqa: B018


@pytest.mark.parametrize("standin", VERSIONS, indirect=True)
def test_one_logger_and_every_cuda_allocation_freed(standin, default_onnx, tmp_path, monkeypatch):
    cuda = HostCuda()
    monkeypatch.setattr(trt_runner, "open_cuda", lambda: cuda)
    standin.simulation.memory = cuda
    engine = _build(default_onnx, tmp_path)
    with trt_runner.TrtRunner(engine) as runner:
        runner.infer(np.zeros((1, 4, 32, 32), np.float32))
        assert cuda.allocated == 2 and len(cuda.buffers) == 2  # input and output
    assert cuda.buffers == {}  # deactivate freed them (finding 2)
    with trt_runner.TrtRunner(engine):
        pass
    assert standin.calls.count("Logger.__init__") == 1  # builder and both runtimes share it (finding 9)


@pytest.mark.parametrize("standin", VERSIONS, indirect=True)
def test_a_timing_cache_from_elsewhere_is_replaced_and_a_corrupt_one_refused(standin, default_onnx, tmp_path):
    cache = tmp_path / "timing.cache"
    cache.write_bytes(b"from another GPU")
    standin.simulation.timing_cache_accepted = False
    lines = []
    profile = Profile(min=(1, 4, 32, 32), opt=(1, 4, 64, 64), max=(1, 4, 96, 128))
    build_engine(default_onnx, tmp_path / "a.engine", BuildOptions(profile, timing_cache=cache), log=lines.append)
    assert any("another GPU or TensorRT" in line for line in lines)
    cache.write_bytes(b"corrupt bytes")
    with pytest.raises(InputError, match="timing cache .* is corrupt"):
        build_engine(default_onnx, tmp_path / "b.engine", BuildOptions(profile, timing_cache=cache), log=lines.append)
    assert not (tmp_path / "b.engine").exists()


@pytest.mark.parametrize("standin", VERSIONS, indirect=True)
def test_dla_builds_are_refused_where_the_dla_would_not_run_them(standin, default_onnx, tmp_path, monkeypatch):
    with pytest.raises(InputError, match="strongly typed networks on the DLA"):
        _build(default_onnx, tmp_path, dla_core=0)  # 10.3, 10.13 and 11.4.0 all predate 11.4.1
    monkeypatch.setattr(trt_build, "DLA_STRONGLY_TYPED_FROM", (10, 0))  # to reach the checks after the version gate
    with pytest.raises(InputError, match="FP16 and INT8 only"):
        _build(default_onnx, tmp_path, dla_core=0)
    assert not list(tmp_path.glob("*.engine"))


@pytest.mark.parametrize("standin", VERSIONS, indirect=True)
def test_a_dla_engine_is_built_on_an_existing_core_and_loaded_on_it(standin, default_onnx, tmp_path, monkeypatch):
    from lowlight_edge.quantize.jobs import quantize_fp16

    fp16 = quantize_fp16(default_onnx, tmp_path / "m.fp16.onnx", calib="synthetic:1", calib_shape=(32, 32),
                         calib_count=1).output
    monkeypatch.setattr(trt_build, "DLA_STRONGLY_TYPED_FROM", (10, 0))
    with pytest.raises(InputError, match="has 0 DLA core"):
        _build(fp16, tmp_path, dla_core=0)
    standin.simulation.dla_cores = 2
    engine = _build(fp16, tmp_path, dla_core=1)
    with trt_runner.TrtRunner(engine):
        pass
    assert "Runtime.DLA_core=" in standin.calls and "IBuilderConfig.DLA_core=" in standin.calls


@pytest.mark.parametrize("standin", VERSIONS[-1:], indirect=True)
def test_dla_trtexec_lines_carry_the_note_and_hardware_compatibility_is_refused_on_a_jetson(
        standin, default_onnx, tmp_path, monkeypatch):
    lines = []
    profile = Profile(min=(1, 4, 32, 32), opt=(1, 4, 64, 64), max=(1, 4, 96, 128))
    with pytest.raises(InputError):
        build_engine(default_onnx, tmp_path / "d.engine", BuildOptions(profile, dla_core=0), log=lines.append)
    assert "--useDLACore=0" in lines[0] and "NVIDIA/TensorRT#4228" in lines[0]
    monkeypatch.setattr(trt_build, "is_jetson", lambda: True)
    with pytest.raises(InputError, match="not support hardware-compatible engines on Jetson"):
        build_engine(default_onnx, tmp_path / "h.engine", BuildOptions(profile, hardware_compatible=True),
                     log=lines.append)
    assert not list(tmp_path.glob("*.engine"))


@pytest.mark.parametrize("standin", VERSIONS[:1], indirect=True)
def test_a_wrong_call_inside_the_engine_code_fails_the_run(standin, default_onnx, tmp_path, monkeypatch):
    def one_argument_short(config, path, log):
        config.set_timing_cache(config.create_timing_cache(b""))  # ignore_mismatch missing

    monkeypatch.setattr(trt_build, "_use_timing_cache", one_argument_short)
    with pytest.raises(TypeError, match="set_timing_cache"):
        _build(default_onnx, tmp_path)

    def misspelt(config, path, log):
        config.get_timing_caches()

    monkeypatch.undo()
    monkeypatch.setitem(sys.modules, "tensorrt", standin)
    monkeypatch.setattr(trt_build, "open_cuda", HostCuda)
    monkeypatch.setattr(trt_build, "_save_timing_cache", misspelt)
    with pytest.raises(ApiError, match="get_timing_caches"):
        _build(default_onnx, tmp_path, timing_cache=tmp_path / "t.cache")


def test_the_name_scan_finds_a_member_one_version_removed(apis, tmp_path):
    source = tmp_path / "uses_fp16_flag.py"
    source.write_text("def f(trt, config):\n    config.set_flag(trt.BuilderFlag.FP16)\n")
    assert ("BuilderFlag", "FP16") in _trt_references(source)
    assert "FP16" in apis["10.3"]["names"]["BuilderFlag"]["values"]  # deprecated in 10.x
    assert "FP16" not in apis["11.4"]["names"]["BuilderFlag"]["values"]  # removed in 11: the scan would fail


# -- issue 27: what a close reading against NVIDIA's sources found, finding by finding --------------------------------

def _tiny_onnx(path: Path, io_type: int) -> Path:
    """packed [N, 4, H, W] of `io_type` -> Cast -> float -> Resize x2 -> 3 channels: enough for the stand-in's parser."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    weights = numpy_helper.from_array(np.ones((3, 4, 1, 1), np.float32), "w")
    scales = numpy_helper.from_array(np.array([1, 1, 2, 2], np.float32), "scales")
    nodes = [helper.make_node("Cast", ["packed"], ["x"], to=TensorProto.FLOAT),
             helper.make_node("Conv", ["x", "w"], ["y"]),
             helper.make_node("Resize", ["y", "", "scales"], ["rgb"], mode="nearest")]
    graph = helper.make_graph(nodes, "tiny", [helper.make_tensor_value_info("packed", io_type, ["n", 4, "h", "w"])],
                              [helper.make_tensor_value_info("rgb", TensorProto.FLOAT, ["n", 3, "h2", "w2"])],
                              [weights, scales])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), path)
    return path


@pytest.mark.parametrize("standin", VERSIONS, indirect=True)
def test_validate_reports_frames_outside_an_engines_profile_as_skipped_rows(standin, default_onnx, tmp_path,
                                                                            lpips_weights):
    """Finding 1: an engine's profile that does not cover a frame skips that frame, reported; it never ends validate."""
    from lowlight_edge.metrics.validate import validate
    from lowlight_edge.raw.datasets import synthetic_samples

    fed = [(1, 4, -(-h // 16) * 16, -(-w // 16) * 16) for _, h, w in (s.packed.shape for s in synthetic_samples(2))]
    assert fed[0] != fed[1]  # what the engine is fed: each frame padded to the network's multiple of 16
    small = min(fed, key=lambda s: s[2] * s[3])
    engine = tmp_path / "m.engine"
    profile = Profile(min=(1, 4, 32, 32), opt=small, max=small)  # covers the smaller frame only
    build_engine(default_onnx, engine, BuildOptions(profile), force=True, log=lambda _m: None)
    report = validate(default_onnx, [engine], synthetic=2, lpips_weights=lpips_weights)
    candidate = report.models[1]
    assert candidate["skipped_frames"] == 1 and candidate["images"] == 2
    skipped = [r for r in report.images if r.get("skipped")]
    assert len(skipped) == 1 and "outside the engine's profile" in skipped[0]["skipped"]
    assert report.first_skips() == {str(engine): skipped[0]["skipped"]}
    # the control: a profile covering both frames skips none
    profile = Profile(min=(1, 4, 32, 32), opt=small, max=tuple(max(a, b) for a, b in zip(*fed)))
    build_engine(default_onnx, engine, BuildOptions(profile), force=True, log=lambda _m: None)
    assert validate(default_onnx, [engine], synthetic=2, lpips_weights=lpips_weights).models[1]["skipped_frames"] == 0


@pytest.mark.parametrize("standin", VERSIONS[:1], indirect=True)
def test_a_candidate_that_fits_no_frame_fails_with_the_reason(standin, default_onnx, tmp_path, lpips_weights):
    from lowlight_edge.metrics.drift_report import failure_reason
    from lowlight_edge.metrics.validate import validate

    engine = _build(default_onnx, tmp_path)  # profile up to 96x128: no synthetic frame fits
    report = validate(default_onnx, [engine], synthetic=1, lpips_weights=lpips_weights)
    assert report.failed and "no frame it could run (1 outside" in failure_reason(report.failed[0])


@pytest.mark.parametrize("standin", VERSIONS[:1], indirect=True)
def test_a_driver_older_than_the_bindings_stops_the_build_before_anything_is_written(standin, default_onnx, tmp_path,
                                                                                     monkeypatch):
    """Finding 2: the CUDA layer is checked first; a refused build leaves neither plan nor sidecar."""
    from lowlight_edge.errors import DeviceError

    cuda = HostCuda()
    cuda.device = cuda.device.__class__("Orin", "8.7", "12020", "12060")  # JetPack 6.0's driver, 12.6 bindings
    monkeypatch.setattr(trt_build, "open_cuda", lambda: cuda)
    monkeypatch.setattr(trt_build, "is_jetson", lambda: True)
    with pytest.raises(DeviceError, match=r"supports CUDA 12\.2, older than the CUDA 12\.6.*cuda-python==12\.2"):
        _build(default_onnx, tmp_path)
    assert "Builder.__init__" not in standin.calls and list(tmp_path.iterdir()) == []
    monkeypatch.setattr(trt_build, "is_jetson", lambda: False)  # a desktop driver serves a newer 12.x runtime
    assert _build(default_onnx, tmp_path).is_file()


@pytest.mark.parametrize("standin", VERSIONS[:1], indirect=True)
def test_a_sidecar_that_cannot_be_written_leaves_no_plan(standin, default_onnx, tmp_path, monkeypatch):
    def full_disk(*_args, **_kwargs):
        raise OSError("No space left on device")

    from lowlight_edge.errors import OutputError

    monkeypatch.setattr(trt_build, "write_meta", full_disk)
    with pytest.raises(OutputError, match="No space left"):
        _build(default_onnx, tmp_path)
    assert list(tmp_path.glob("*.engine*")) == []


@pytest.mark.parametrize("standin", VERSIONS, indirect=True)
def test_fp32_engines_clear_tf32_and_say_so(standin, default_onnx, tmp_path):
    """Finding 3: the FP32 reference build runs true FP32 (TensorRT sets TF32 by default); reduced-precision builds
    keep it for their FP32 layers; the user's --tf32 decides when given."""
    import json

    from lowlight_edge.engines.trt.meta import read_meta
    from lowlight_edge.quantize.jobs import quantize_fp16

    lines = []
    engine = tmp_path / "m.engine"
    profile = Profile(min=(1, 4, 32, 32), opt=(1, 4, 64, 64), max=(1, 4, 96, 128))
    build_engine(default_onnx, engine, BuildOptions(profile), force=True, log=lines.append)
    assert json.loads(engine.read_bytes())["tf32"] is False  # what the builder config was given
    assert read_meta(engine).tf32 is False and "TF32" not in read_meta(engine).flags
    assert "--noTF32" in lines[0]
    build_engine(default_onnx, engine, BuildOptions(profile, tf32=True), force=True, log=lines.append)
    assert json.loads(engine.read_bytes())["tf32"] is True and "--noTF32" not in lines[-2]
    fp16 = quantize_fp16(default_onnx, tmp_path / "m.fp16.onnx", calib="synthetic:1", calib_shape=(32, 32),
                         calib_count=1).output
    build_engine(fp16, engine, BuildOptions(profile), force=True, log=lines.append)
    assert json.loads(engine.read_bytes())["tf32"] is True and read_meta(engine).tf32 is True


@pytest.mark.parametrize("standin", VERSIONS, indirect=True)
@pytest.mark.parametrize("io_type", ["BFLOAT16", "FLOAT8E4M3FN"])
def test_an_engine_with_io_numpy_has_no_type_for_is_refused_in_one_line(standin, tmp_path, io_type):
    """Finding 4: TensorRT's nptype raises TypeError for BF16/FP8 (the stand-in does too); the runner names the tensor."""
    from onnx import TensorProto

    from lowlight_edge.errors import ModelError

    model = _tiny_onnx(tmp_path / "bf16.onnx", getattr(TensorProto, io_type))
    engine = _build(model, tmp_path)
    with pytest.raises(ModelError, match=r"I/O tensor 'packed' is (BF16|FP8), which has no numpy type"):
        trt_runner.TrtRunner(engine).activate()
    with pytest.raises(TypeError, match="Could not resolve"):
        standin.nptype(standin.DataType.BF16)
    control = _build(_tiny_onnx(tmp_path / "fp16.onnx", TensorProto.FLOAT16), tmp_path)
    with trt_runner.TrtRunner(control) as runner:
        assert runner.inputs[0].dtype == "float16"


@pytest.mark.parametrize("version", VERSIONS)
def test_the_standins_nptype_maps_exactly_what_the_real_one_does(version, tmp_path):
    """The real `nptype` is Python in the bindings wheel: its mapping's keys are read from the source, unrun."""
    import zipfile

    from trt_standin import NUMPY_OF

    wheel = trt_bindings.wheel_for(version)
    if wheel is None:
        pytest.skip(f"TensorRT {version} bindings wheel not downloaded; run make test-data")
    with zipfile.ZipFile(wheel) as archive:
        source = archive.read("tensorrt_bindings/__init__.py").decode()
    function = next(n for n in ast.walk(ast.parse(source)) if isinstance(n, ast.FunctionDef) and n.name == "nptype")
    mapping = next(n for n in ast.walk(function) if isinstance(n, ast.Dict))
    real = {key.id for key in mapping.keys}
    names = {"float32": "FLOAT", "float16": "HALF", "int8": "INT8", "int32": "INT32", "int64": "INT64", "bool": "BOOL",
             "uint8": "UINT8"}
    assert {names[k] for k in real} == set(NUMPY_OF)
    assert "bfloat16" not in real and "Could not resolve" in ast.get_source_segment(source, function)


@pytest.mark.parametrize("standin", VERSIONS, indirect=True)
def test_a_parser_error_names_the_node_and_its_operator(standin, default_onnx, tmp_path):
    """Finding 8: the parser's failure branch, with the first error's node, operator and description."""
    from lowlight_edge.errors import ModelError

    standin.simulation.parser_errors = [("Unsupported attribute", "up3/Resize", "Resize"), ("second", "x", "Add")]
    with pytest.raises(ModelError, match=r"rejected .* at node 'up3/Resize' \(Resize\): Unsupported attribute$"):
        _build(default_onnx, tmp_path)
    assert "ParserError.node_name" in standin.calls and list(tmp_path.glob("*.engine*")) == []


@pytest.mark.parametrize("standin", VERSIONS, indirect=True)
def test_a_failed_build_writes_nothing(standin, default_onnx, tmp_path):
    from lowlight_edge.errors import ExportError

    standin.simulation.build_fails = True
    with pytest.raises(ExportError, match="could not build an engine"):
        _build(default_onnx, tmp_path)
    assert list(tmp_path.glob("*.engine*")) == []


@pytest.mark.parametrize("standin", VERSIONS, indirect=True)
def test_the_progress_monitor_follows_the_builds_phases_and_a_cancel_is_a_failed_build(standin, default_onnx, tmp_path):
    from lowlight_edge.errors import ExportError

    _build(default_onnx, tmp_path)
    assert standin.simulation.phases[0][0] == "start" and standin.simulation.phases[-1] == ("finish",)
    assert [p for p in standin.simulation.phases if p[0] == "step"] == [("step", 0), ("step", 1), ("step", 2)]
    standin.simulation.cancel_at_step = 1
    with pytest.raises(ExportError, match="could not build"):
        _build(default_onnx, tmp_path / "cancelled")


@pytest.mark.parametrize("standin", VERSIONS, indirect=True)
def test_an_engine_run_that_fails_is_one_line(standin, default_onnx, tmp_path):
    from lowlight_edge.errors import ModelError

    engine = _build(default_onnx, tmp_path)
    with trt_runner.TrtRunner(engine) as runner:
        runner.infer(np.zeros((1, 4, 32, 32), np.float32))  # the control: runs
        standin.simulation.execute_fails = True
        with pytest.raises(ModelError, match="TensorRT failed to run"):
            runner.infer(np.zeros((1, 4, 32, 32), np.float32))


@pytest.mark.parametrize("standin", VERSIONS, indirect=True)
def test_host_code_is_refused_by_the_runtime_unless_the_user_trusts_the_engine(standin, default_onnx, tmp_path):
    """Without its sidecar a version-compatible plan reaches deserialisation: TensorRT refuses it (host code not
    allowed), which is one line with the hint; the user's trust lets it load."""
    from lowlight_edge.engines.trt.meta import meta_path
    from lowlight_edge.errors import ModelError

    engine = _build(default_onnx, tmp_path, version_compatible=True)
    meta_path(engine).unlink()
    with pytest.warns(UserWarning, match="no metadata file"):
        with pytest.raises(ModelError, match="could not deserialise .*--trust-engine-code"):
            trt_runner.TrtRunner(engine).activate()
    with pytest.warns(UserWarning), trt_runner.TrtRunner(engine, trust_engine_code=True) as runner:
        assert runner.infer(np.zeros((1, 4, 32, 32), np.float32)).shape == (1, 3, 64, 64)
    assert "Runtime.engine_host_code_allowed=" in standin.calls


@pytest.mark.parametrize("standin", VERSIONS[-1:], indirect=True)
def test_a_dla_build_needs_an_int8_graph_on_an_fp16_base(standin, default_onnx, tmp_path, monkeypatch):
    """Finding 5: the DLA runs FP16 and INT8 only; an INT8 graph whose float body is FP32 would fall back to the GPU."""
    from lowlight_edge.quantize.int8 import Int8Options
    from lowlight_edge.quantize.jobs import quantize_int8

    monkeypatch.setattr(trt_build, "DLA_STRONGLY_TYPED_FROM", (10, 0))  # past the version gate
    standin.simulation.dla_cores = 1
    graphs = {}
    for base in ("fp32", "fp16"):
        graphs[base] = quantize_int8(default_onnx, tmp_path / f"m.int8.{base}.onnx", "synthetic:2", (32, 32), 2,
                                     Int8Options(base=base)).report.output
    with pytest.raises(InputError, match="quantize int8 --base fp16"):
        _build(graphs["fp32"], tmp_path, dla_core=0)
    assert _build(graphs["fp16"], tmp_path, dla_core=0).is_file()
