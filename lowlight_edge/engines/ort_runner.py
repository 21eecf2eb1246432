"""ONNX Runtime runner: the embedded default backend (CPU provider), CUDA/TensorRT providers on request."""

from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort

from lowlight_edge.engines.base import Runner, TensorSpec
from lowlight_edge.errors import InputError, ModelError

PROVIDERS = {
    "cpu": "CPUExecutionProvider",
    "cuda": "CUDAExecutionProvider",
    "tensorrt": "TensorrtExecutionProvider",
}


class OrtRunner(Runner):
    def __init__(self, path: Path, provider: str = "cpu", threads: int | None = None) -> None:
        super().__init__(path)
        if provider not in PROVIDERS:
            raise InputError(f"unknown ONNX Runtime provider {provider!r}; choose from {', '.join(PROVIDERS)}")
        self.provider = provider
        self.threads = threads
        self.backend = f"ort-{provider}"
        self._session: ort.InferenceSession | None = None

    def activate(self) -> None:
        wanted = PROVIDERS[self.provider]
        if wanted not in ort.get_available_providers():
            raise InputError(
                f"ONNX Runtime here has no {wanted} (available: {', '.join(ort.get_available_providers())}); "
                "install onnxruntime-gpu on a CUDA machine or use --backend ort-cpu"
            )
        validate_onnx_file(self.path)
        options = ort.SessionOptions()
        if self.threads:
            options.intra_op_num_threads = self.threads
        options.log_severity_level = 3  # errors only: warnings about unused initializers are noise here
        providers = [wanted] if wanted == "CPUExecutionProvider" else [wanted, "CPUExecutionProvider"]
        try:
            self._session = ort.InferenceSession(str(self.path), sess_options=options, providers=providers)
        except Exception as exc:  # ORT raises its own Fail/InvalidGraph/RuntimeException types
            raise ModelError(f"ONNX Runtime cannot load {self.path}: {str(exc).splitlines()[0][:300]}") from exc
        self._check_io()
        meta = self._session.get_modelmeta().custom_metadata_map
        self.size_multiple = int(meta.get("lowlight_edge.size_multiple", 16))
        self.precision = meta.get("lowlight_edge.precision", "fp32")
        self.source_sha256 = meta.get("lowlight_edge.checkpoint_sha256")

    def deactivate(self) -> None:
        self._session = None

    def _check_io(self) -> None:
        ins, outs = self._session.get_inputs(), self._session.get_outputs()
        if len(ins) != 1 or len(outs) != 1:
            raise ModelError(f"{self.path}: expected one input and one output, found {len(ins)} and {len(outs)}")
        shape = ins[0].shape
        if len(shape) != 4 or shape[1] != 4:
            raise ModelError(f"{self.path}: input {ins[0].name!r} has shape {shape}; expected packed Bayer [N, 4, h, w]")

    @property
    def inputs(self) -> list[TensorSpec]:
        return [_spec(t) for t in self._session.get_inputs()]

    @property
    def outputs(self) -> list[TensorSpec]:
        return [_spec(t) for t in self._session.get_outputs()]

    @property
    def session(self) -> ort.InferenceSession:
        return self._session

    def _infer(self, packed: np.ndarray) -> np.ndarray:
        feed = {self._session.get_inputs()[0].name: packed}
        return self._session.run(None, feed)[0]


def _spec(arg) -> TensorSpec:
    return TensorSpec(arg.name, tuple(arg.shape), arg.type.replace("tensor(", "").rstrip(")"))


def validate_onnx_file(path: Path) -> None:
    """Fail with one line on a missing, empty, truncated or otherwise unparsable ONNX file."""
    path = Path(path)
    if not path.is_file():
        raise ModelError(f"ONNX file not found: {path}")
    if path.stat().st_size == 0:
        raise ModelError(f"ONNX file {path} is empty (0 bytes)")
    try:
        onnx.load(str(path), load_external_data=False)
    except Exception as exc:  # protobuf DecodeError and friends
        raise ModelError(f"{path} is not a valid ONNX model (truncated or corrupt: {str(exc).splitlines()[0][:200]})") from exc
