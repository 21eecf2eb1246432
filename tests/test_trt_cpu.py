"""Everything about TensorRT engines that needs no GPU: profiles, metadata, compatibility, version gates."""

import json
import sys

import pytest

from lowlight_edge.cli import main
from lowlight_edge.deps import available
from lowlight_edge.engines.trt.meta import (
    HW_AMPERE_PLUS,
    EngineMeta,
    RuntimeInfo,
    compatibility,
    meta_path,
    read_meta,
    write_meta,
)
from lowlight_edge.engines.trt.profiles import Profile, parse_profile_shape
from lowlight_edge.engines.trt.trtexec import trtexec_command
from lowlight_edge.engines.trt.versions import check_supported
from lowlight_edge.errors import InputError, MissingDependency, ModelError


def test_profile_shapes_from_flags():
    profile = Profile(parse_profile_shape("512x512"), parse_profile_shape("1x4x1424x2128"), parse_profile_shape("1424x2128"))
    assert profile.as_dict() == {"min": [1, 4, 512, 512], "opt": [1, 4, 1424, 2128], "max": [1, 4, 1424, 2128]}
    assert profile.covers((1, 4, 1024, 1024)) and not profile.covers((1, 4, 256, 256))


@pytest.mark.parametrize("min_, opt, max_, message", [
    ((1, 4, 1024, 1024), (1, 4, 512, 512), (1, 4, 2048, 2048), "min <= opt <= max"),
    ((1, 4, 500, 512), (1, 4, 512, 512), (1, 4, 512, 512), "multiple of 16"),
    ((1, 3, 512, 512), (1, 4, 512, 512), (1, 4, 512, 512), "4 channels"),
])
def test_bad_profiles_are_refused(min_, opt, max_, message):
    with pytest.raises(InputError, match=message):
        Profile(min_, opt, max_)


@pytest.mark.parametrize("text", ["512", "ax512", "1x4x0x16", "1x2x3x4x5"])
def test_bad_profile_shape_text(text):
    with pytest.raises(InputError):
        parse_profile_shape(text)


def _meta(**changes) -> EngineMeta:
    base = dict(tensorrt_version="10.3.0.26", gpu_name="Orin", compute_capability="8.7", driver_version="540.4",
                cuda_version="12.6", precision="fp16", onnx_path="m.onnx", onnx_sha256="a" * 64,
                profile=Profile().as_dict())
    base.update(changes)
    return EngineMeta(**base)


def test_metadata_round_trip_and_tampering(tmp_path):
    engine = tmp_path / "m.engine"
    engine.write_bytes(b"plan")
    write_meta(engine, _meta())
    assert read_meta(engine) == _meta()
    assert engine.read_bytes() == b"plan"  # no header is ever prepended to the plan
    assert read_meta(tmp_path / "other.engine") is None
    meta_path(engine).write_text("{not json")
    with pytest.raises(ModelError, match="tampered"):
        read_meta(engine)
    meta_path(engine).write_text(json.dumps({"schema": "something-else"}))
    with pytest.raises(ModelError, match="rebuild"):
        read_meta(engine)


@pytest.mark.parametrize("field, value", [("dla_core", 10**9), ("dla_core", -1), ("builder_optimization_level", 99),
                                          ("workspace_bytes", -5), ("build_seconds", float("nan"))])
def test_numeric_metadata_outside_what_a_build_writes_is_refused(tmp_path, field, value):
    # issue #29 item 4: dla_core goes straight to IRuntime.DLA_core
    engine = tmp_path / "m.engine"
    engine.write_bytes(b"plan")
    write_meta(engine, _meta(dla_core=0, builder_optimization_level=3, workspace_bytes=2**30, build_seconds=61.5))
    assert read_meta(engine).dla_core == 0  # control: values a build writes
    raw = json.loads(meta_path(engine).read_text())
    raw[field] = value
    meta_path(engine).write_text(json.dumps(raw))
    with pytest.raises(ModelError, match=f"field '{field}' is .*, outside"):
        read_meta(engine)


ORIN_10_3 = RuntimeInfo("10.3.0.26", "8.7", "Orin")


@pytest.mark.parametrize("meta,runtime,sha,ok", [
    (_meta(), ORIN_10_3, "a" * 64, True),  # same everything
    (_meta(), RuntimeInfo("10.3.0.30", "8.7"), None, True),  # same major.minor.patch, other build number
    (_meta(), RuntimeInfo("10.4.0.1", "8.7"), None, False),  # other minor, not version-compatible
    (_meta(), RuntimeInfo("11.4.1", "8.7"), None, False),  # other major, not version-compatible
    (_meta(version_compatible=True), RuntimeInfo("10.7.0", "8.7"), None, True),  # later minor, compatible plan
    (_meta(version_compatible=True), RuntimeInfo("11.4.1", "8.7"), None, True),  # 10.x plan on 11 runtime
    (_meta(tensorrt_version="11.4.1", version_compatible=True), RuntimeInfo("10.16.0", "8.7"), None, False),  # older
    (_meta(), RuntimeInfo("10.3.0.26", "8.9"), None, False),  # other GPU architecture
    (_meta(compute_capability="8.6", hardware_compatibility=HW_AMPERE_PLUS), RuntimeInfo("10.3.0.26", "8.9"), None, True),
    (_meta(compute_capability="8.6", hardware_compatibility=HW_AMPERE_PLUS), RuntimeInfo("10.3.0.26", "7.5"), None, False),
    (_meta(), ORIN_10_3, "b" * 64, False),  # the ONNX changed since the build
])
def test_compatibility_decision(meta, runtime, sha, ok):
    reasons = compatibility(meta, runtime, sha)
    assert (reasons == []) is ok
    assert all("lowlight-edge build" in r for r in reasons)


@pytest.mark.parametrize("version,supported", [("8.6.1", False), ("9.3.0", False), ("10.0.1", False),
                                               ("10.3.0.26", True), ("10.16.0", True), ("11.4.1", True)])
def test_version_gates(version, supported):
    if supported:
        assert check_supported(version)[:2] >= (10, 3)
    else:
        with pytest.raises(MissingDependency, match="unsupported TensorRT version"):
            check_supported(version)


def test_trtexec_command_mirrors_the_options():
    cmd = trtexec_command("m.onnx", "m.engine", "packed", Profile(), 1024, "t.cache", 4, 0, True, True)
    for flag in ("--stronglyTyped", "--minShapes=packed:1x4x512x512", "--optShapes=packed:1x4x1424x2128",
                 "--memPoolSize=workspace:1024M", "--timingCacheFile=t.cache", "--builderOptimizationLevel=4",
                 "--useDLACore=0", "--allowGPUFallback", "--versionCompatible", "--hardwareCompatibilityLevel=ampere+"):
        assert flag in cmd


@pytest.mark.skipif(available("tensorrt"), reason="TensorRT is installed here")
def test_missing_tensorrt_is_one_line_naming_the_extra(tiny_onnx, tmp_path, capsys):
    assert main(["build", str(tiny_onnx), "-o", str(tmp_path / "m.engine"), "--min-shape", "32x32",
                 "--opt-shape", "64x64", "--max-shape", "64x64"]) == 2
    err = capsys.readouterr().err
    assert "pip install 'lowlight-edge[trt]'" in err.splitlines()[-1] and "trtexec --onnx=" in err
    assert not (tmp_path / "m.engine").exists()
    engine = tmp_path / "given.engine"
    engine.write_bytes(b"plan")
    assert main(["bench", str(engine), "--shape", "16x16", "--no-progress"]) == 2
    assert "pip install 'lowlight-edge[trt]'" in capsys.readouterr().err


def test_engines_from_another_cpu_platform_or_hardware_compatible_ones_on_a_jetson_are_refused():
    from lowlight_edge.engines.trt.meta import HW_AMPERE_PLUS, EngineMeta, RuntimeInfo, compatibility

    meta = EngineMeta(tensorrt_version="10.3.0.26", gpu_name="Orin", compute_capability="8.7", driver_version="1",
                      cuda_version="12.6", precision="fp16", onnx_path="m.onnx", onnx_sha256="a" * 64,
                      profile={}, platform="aarch64")
    same = RuntimeInfo("10.3.0.26", "8.7", "Orin", platform="aarch64", jetson=True)
    assert compatibility(meta, same) == []  # the control
    assert "built on aarch64" in compatibility(meta, RuntimeInfo("10.3.0.26", "8.7", "x", platform="x86_64"))[0]
    meta.hardware_compatibility = HW_AMPERE_PLUS
    assert "not support on Jetson" in compatibility(meta, same)[0]
    assert compatibility(meta, RuntimeInfo("10.3.0.26", "8.7", "RTX", platform="aarch64", jetson=False)) == []


def test_cuda_python_up_to_12_6_0_is_found_as_cuda_cudart_and_everything_allocated_is_freed(monkeypatch):
    import types

    from lowlight_edge.engines.trt import cuda_memory

    calls = []

    class Runtime(types.ModuleType):
        """cuda-python's runtime module as 12.6.0 ships it (`cuda.cudart`), recording calls; CUDA itself absent."""

        def __getattr__(self, name):
            def call(*args):
                calls.append(name)
                return (0, len(calls)) if name.endswith(("Create", "Malloc", "MallocHost")) else (0,)
            return call

    cudart = Runtime("cuda.cudart")
    cuda = types.ModuleType("cuda")
    cuda.cudart = cudart
    monkeypatch.setitem(sys.modules, "pycuda", None)
    monkeypatch.setitem(sys.modules, "pycuda.driver", None)
    monkeypatch.setitem(sys.modules, "cuda", cuda)
    monkeypatch.setitem(sys.modules, "cuda.bindings", None)  # 12.6.0 has no cuda.bindings
    monkeypatch.setitem(sys.modules, "cuda.cudart", cudart)
    backend = cuda_memory.open_cuda()
    assert isinstance(backend, cuda_memory.CudaPythonBackend) and backend.rt is cudart
    backend.alloc(16), backend.alloc(32), backend.stream(), backend.event()
    backend.release()
    assert sorted(c for c in calls if c.endswith(("Free", "Destroy"))) == [
        "cudaEventDestroy", "cudaFree", "cudaFree", "cudaStreamDestroy"]


def test_the_tensorrt_extras_install_wheels_only_and_follow_the_drivers_cuda_version():
    from pathlib import Path

    import tomllib

    extras = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())["project"][
        "optional-dependencies"]
    for name in ("trt", "trt-cu13", "jetson"):
        assert not any(req.startswith("pycuda") for req in extras[name])  # builds from source: never beside tensorrt
        assert not any(req.split(">")[0].split("=")[0].strip() == "tensorrt" for req in extras[name])  # unpinned CUDA
    assert any(req.startswith("tensorrt-cu12") for req in extras["trt"])
    assert any(req.startswith("tensorrt-cu13") for req in extras["trt-cu13"])
    assert extras["pycuda"] == ["pycuda>=2022.2"]


def test_a_device_run_can_pick_the_tensorrt_line_it_tests_and_jetpack_gets_its_cuda_python():
    """Issue 27, finding 9 and 2: the plain `trt` extra takes the newest TensorRT for CUDA 12 (11.x on the registry),
    so the 10.x desktop line has an extra of its own and `make test-gpu` takes an exact pin; the Jetson extras pin
    cuda-python to JetPack's CUDA minor."""
    import re
    import tomllib
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    extras = tomllib.loads((root / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert "tensorrt-cu12>=10.3,<11" in extras["trt10"]
    assert extras["jetson"] == ["cuda-python>=12.6,<12.7"] and extras["jetson-jp7"] == ["cuda-python>=13.0,<13.1"]
    makefile = (root / "Makefile").read_text()
    install = next(line for line in makefile.splitlines() if "pip install" in line and "TRT_EXTRA" in line)
    assert "$(TRT_SPEC)" in install and re.search(r"^TRT_SPEC\s*\?=", makefile, re.M)
    assert "tensorrt.__version__" in makefile  # the run says which TensorRT it tested
