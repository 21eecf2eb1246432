"""An engine file is a program: only the user may let TensorRT run the host code inside it.

The sidecar (`NAME.engine.json`) is untrusted: it may narrow what runs (refuse a version-compatible plan
the user did not trust) but never enable anything, and the ONNX it names is never read. The refusal is
decided before TensorRT is imported, so it is tested here for real. What the runner then tells TensorRT
is checked against a recording stand-in for the `tensorrt` module (TensorRT cannot be installed on these
machines); it stands in for the module, not for the decision under test.
"""

import sys
import types
from pathlib import Path

import pytest

from lowlight_edge.cli import main
from lowlight_edge.engines.trt import runner as trt_runner
from lowlight_edge.engines.trt.cuda_memory import DeviceInfo
from lowlight_edge.engines.trt.meta import EngineMeta, write_meta
from lowlight_edge.engines.trt.profiles import Profile
from lowlight_edge.errors import ModelError


def _engine(tmp_path: Path, version_compatible: bool | None, onnx_path: str = "m.onnx") -> Path:
    engine = tmp_path / "m.engine"
    engine.write_bytes(b"not a real plan")
    if version_compatible is not None:
        write_meta(engine, EngineMeta(
            tensorrt_version="10.3.0.26", gpu_name="stand-in", compute_capability="8.7", driver_version="1",
            cuda_version="12.6", precision="fp16", onnx_path=onnx_path, onnx_sha256="a" * 64,
            profile=Profile().as_dict(), version_compatible=version_compatible))
    return engine


def test_a_version_compatible_engine_is_refused_without_the_users_trust(tmp_path, capsys):
    engine = _engine(tmp_path, version_compatible=True)
    code = main(["bench", str(engine), "--shape", "16x16", "--no-progress", "--json", str(tmp_path / "b.json")])
    lines = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert "version-compatible" in lines[-1] and "--trust-engine-code" in lines[-1]
    assert not (tmp_path / "b.json").exists()


class _Recorder:
    """What the runner asked of TensorRT."""

    def __init__(self):
        self.host_code_allowed = []
        self.deserialised = 0


def _stand_in_tensorrt(recorder: _Recorder) -> types.ModuleType:
    trt = types.ModuleType("tensorrt")
    trt.__version__ = "10.3.0.26"

    class Logger:
        WARNING = 2

        def __init__(self, level):
            pass

    class Runtime:
        def __init__(self, logger):
            self._allowed = False

        @property
        def engine_host_code_allowed(self):
            return self._allowed

        @engine_host_code_allowed.setter
        def engine_host_code_allowed(self, value):
            self._allowed = value
            recorder.host_code_allowed.append(value)

        def deserialize_cuda_engine(self, data):
            recorder.deserialised += 1
            return None  # like TensorRT on a plan it cannot load: the runner must say so in one line

    trt.Logger, trt.Runtime = Logger, Runtime
    return trt


class _StandInCuda:
    def push(self):
        pass

    def pop(self):
        pass

    def release(self):
        pass

    def info(self):
        return DeviceInfo(name="stand-in", compute_capability="8.7", driver_version="1", cuda_version="12.6")


@pytest.fixture
def recorder(monkeypatch):
    rec = _Recorder()
    monkeypatch.setitem(sys.modules, "tensorrt", _stand_in_tensorrt(rec))
    monkeypatch.setattr(trt_runner, "open_cuda", _StandInCuda)
    hashed = []
    real = trt_runner.sha256_file
    monkeypatch.setattr(trt_runner, "sha256_file", lambda p: hashed.append(Path(p)) or real(p))
    rec.hashed = hashed
    return rec


@pytest.mark.parametrize("sidecar", [None, False], ids=["no-sidecar", "sidecar-not-compatible"])
def test_host_code_stays_disabled_unless_the_user_trusts_the_engine(tmp_path, recorder, sidecar):
    engine = _engine(tmp_path, version_compatible=sidecar)
    with pytest.raises(ModelError, match="could not deserialise.*--trust-engine-code"):
        with trt_runner.TrtRunner(engine):
            pass
    assert recorder.host_code_allowed == [False] and recorder.deserialised == 1


def test_the_users_trust_enables_host_code(tmp_path, recorder):
    engine = _engine(tmp_path, version_compatible=True)
    with pytest.raises(ModelError, match="could not deserialise"):
        with trt_runner.TrtRunner(engine, trust_engine_code=True):
            pass
    assert recorder.host_code_allowed == [True]


def test_the_onnx_named_by_the_sidecar_is_never_read(tmp_path, recorder):
    secret = tmp_path / "elsewhere.onnx"
    secret.write_bytes(b"not yours to read")
    engine = _engine(tmp_path, version_compatible=False, onnx_path=str(secret))
    with pytest.raises(ModelError):
        with trt_runner.TrtRunner(engine):
            pass
    assert recorder.hashed == []


def test_the_onnx_the_user_names_is_compared(tmp_path, recorder):
    mine = tmp_path / "mine.onnx"
    mine.write_bytes(b"changed since the build")
    engine = _engine(tmp_path, version_compatible=False)
    with pytest.raises(ModelError, match="the ONNX file changed since the engine was built"):
        with trt_runner.TrtRunner(engine, onnx=mine):
            pass
    assert recorder.hashed == [mine] and recorder.deserialised == 0
