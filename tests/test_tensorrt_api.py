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
    with trt_runner.TrtRunner(engine) as runner:
        out = runner.infer(np.zeros((1, 4, 48, 80), np.float32))
        assert out.shape == (1, 3, 96, 160) and out.dtype == np.float32  # the shape the engine reports
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
        mosaic = np.full((2 * 40, 2 * 50), 600, np.uint16)
        pixels = runner.infer(pipeline_feed(mosaic, "RGGB", 512, 16383, 100.0))
        assert pixels.shape == (80, 100, 3) and pixels.dtype == np.uint8
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
