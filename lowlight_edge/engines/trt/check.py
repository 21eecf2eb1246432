"""What `lowlight-edge check` runs: the readiness rules on an ONNX file, FP16 ranges measured when asked.

Example::

    result = check_onnx("model.int8.onnx")
    result.errors
    # -> []
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx

from lowlight_edge.engines.trt.fp32_layers import fp32_layer_findings
from lowlight_edge.engines.trt.readiness import ERROR, INFO, WARNING, Finding, check_tensorrt
from lowlight_edge.engines.variants import FAST, variant_of
from lowlight_edge.errors import InputError
from lowlight_edge.onnxgraph.files import validate_onnx_file
from lowlight_edge.onnxgraph.metadata import input_convention_of, read_metadata
from lowlight_edge.onnxgraph.pipeline_io import PIPELINE_KEY
from lowlight_edge.onnxgraph.ranges import activation_ranges
from lowlight_edge.raw.calibration_frames import calibration_batches


@dataclass
class CheckResult:
    model: Path
    findings: list[Finding]

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == WARNING]


def check_onnx(model_path: Path, calib: str | None = None, calib_shape: tuple[int, int] = (256, 256)) -> CheckResult:
    """TensorRT-readiness findings; with `calib`, FP16 tensors whose measured range overflows are found too."""
    validate_onnx_file(model_path)
    model = onnx.load(str(model_path))
    peaks = None
    if calib and PIPELINE_KEY in read_metadata(model):
        raise InputError(f"{model_path} is a pipeline graph, which takes RAW frames: check FP16 ranges (--calib) on the "
                         "network graph it wraps")
    if calib and any(t.data_type == onnx.TensorProto.FLOAT16 for t in model.graph.initializer):
        batches = calibration_batches(calib, calib_shape, limit=8,
                                      convention=input_convention_of(read_metadata(model)))
        wants_fp16 = model.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.FLOAT16
        peaks = activation_ranges(model_path, [b.astype(np.float16) if wants_fp16 else b for b in batches])
    return CheckResult(Path(model_path), check_tensorrt(model, peaks) + fp32_layer_findings(model)
                       + variant_findings(read_metadata(model)))


def variant_findings(meta: dict[str, str]) -> list[Finding]:
    """Which row of the variant table the file is, and where that row is timed (information)."""
    row = variant_of(meta)
    if row is None or PIPELINE_KEY in meta:
        return []
    timed = [name for name, how in row.runs.items() if how == FAST]
    return [Finding(INFO, "variant", "", f"the {row.name} variant: timed on {', '.join(timed)}; drift budget "
                    f"{row.budget}" + (f"; {row.why_slow}" if row.why_slow else ""))]
