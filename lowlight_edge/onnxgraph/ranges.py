"""Activation ranges: run an FP32 ONNX model with every intermediate tensor exposed and record max |x|.

Used to find the nodes that would overflow in FP16 (|x| > 65504) before converting, and reported by
`check` for FP16 models.
"""

from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort

from lowlight_edge.onnxgraph.graph import expose_all_outputs


def activation_ranges(model_path: Path, batches: list[np.ndarray]) -> dict[str, float]:
    """Max |value| of every node output over all batches (float tensors only)."""
    model = onnx.load(str(model_path))
    exposed = expose_all_outputs(model)
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL  # keep every tensor by name
    options.log_severity_level = 3
    session = ort.InferenceSession(exposed.SerializeToString(), options, providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    input_name = session.get_inputs()[0].name
    peaks: dict[str, float] = {}
    for batch in batches:
        for name, value in zip(names, session.run(names, {input_name: batch})):
            if np.issubdtype(value.dtype, np.floating) and value.size:
                peak = float(np.nanmax(np.abs(value)))
                peaks[name] = max(peaks.get(name, 0.0), peak)
    return peaks
