"""The INT8 calibration cache: checked before ONNX Runtime reads it.

ONNX Runtime's `quantize_static(calibration_cache_path=...)` rebuilds its range objects from the JSON with
whatever types it finds, so a damaged or hand-edited file fails deep inside it with a TypeError or an
AttributeError, or worse, quantizes with NaN ranges. This module accepts exactly what ONNX Runtime writes:
a TensorsData document whose tensors have finite float ranges with lowest <= highest.
"""

import json
import math
from pathlib import Path

from lowlight_edge.errors import InputError
from lowlight_edge.fileio.limits import read_text_limited

METHODS = {"CalibrationMethod.MinMax", "CalibrationMethod.Entropy", "CalibrationMethod.Percentile",
           "CalibrationMethod.Distribution"}
FIELDS = {"avg", "std", "lowest", "highest", "hist", "hist_edges", "bins"}
FLOAT_FIELDS = {"avg", "std", "lowest", "highest", "hist_edges"}
# Activations of a network on [0, 1] frames stay far below FP16's 65504 (the bundled model's largest is ~4000): a
# cached range beyond this is corrupt or hostile, and would give infinite or zero INT8 scales.
MAX_ACTIVATION = 1e6


def check_calibration_cache(path: Path) -> int:
    """Number of calibrated tensors in the cache at `path`; one clear InputError if it is not a valid cache."""
    path = Path(path)
    try:
        doc = json.loads(read_text_limited(path, "calibration cache"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise InputError(f"calibration cache {path} is unreadable ({type(exc).__name__}); delete it to recalibrate") from exc
    problem = _problem(doc)
    if problem:
        raise InputError(f"calibration cache {path} is corrupt: {problem}; delete it to recalibrate")
    return len(doc["data"])


def _problem(doc) -> str | None:
    if not isinstance(doc, dict) or doc.get("CLS") != "TensorsData":
        return "not an ONNX Runtime TensorsData document"
    method = doc.get("calibration_method")
    if not isinstance(method, dict) or method.get("CLS") != "CalibrationMethod" or str(method.get("value")) not in METHODS:
        return "missing or unknown calibration_method"
    data = doc.get("data")
    if not isinstance(data, dict) or not data:
        return "no tensor ranges"
    for name, tensor in data.items():
        problem = _tensor_problem(tensor)
        if problem:
            return f"tensor {name[:80]!r}: {problem}"
    return None


def _tensor_problem(tensor) -> str | None:
    if not isinstance(tensor, dict) or tensor.get("CLS") != "TensorData":
        return "not a TensorData entry"
    fields = set(tensor) - {"CLS"}
    if not {"lowest", "highest"} <= fields or not fields <= FIELDS:
        return f"fields {sorted(map(str, fields))[:8]} (lowest and highest required)"
    values = {}
    for field in fields:
        value = tensor[field]
        if isinstance(value, dict):  # ONNX Runtime writes numpy arrays as {"CLS": "numpy.array", "data", "dtype"}
            if value.get("CLS") != "numpy.array":
                return f"{field} is not an array"
            allowed = ("float16", "float32") if field in FLOAT_FIELDS else ("float16", "float32", "float64", "int32", "int64")
            if value.get("dtype") not in allowed:
                return f"{field} has dtype {str(value.get('dtype'))[:20]!r}"
            value = value.get("data")
        flat = _numbers(value)
        if not flat:
            return f"{field} holds no numbers"
        values[field] = flat
    low, high = values["lowest"], values["highest"]
    if len(low) != len(high) or any(not (math.isfinite(a) and math.isfinite(b) and a <= b) for a, b in zip(low, high)):
        return "lowest/highest are not finite ranges with lowest <= highest"
    if any(abs(v) > MAX_ACTIVATION for v in low + high):
        return f"a range reaches beyond +-{MAX_ACTIVATION:g}, which no activation of this network does"
    return None


def _numbers(value, depth: int = 0) -> list[float] | None:
    """A number or a (nested, at most 4 deep) list of numbers, flattened; None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        try:
            return [float(value)]
        except OverflowError:  # an integer beyond float range
            return None
    if not isinstance(value, list) or depth > 4:
        return None
    out: list[float] = []
    for item in value:
        inner = _numbers(item, depth + 1)
        if inner is None:
            return None
        out += inner
    return out
