"""Per-layer INT8 sensitivity and greedy fallback to an LPIPS budget.

Sensitivity of a layer = LPIPS drift, against the FP32 model on the selection frames (photographs used for nothing
else: raw/scenes.py), of the model with that
layer *alone* quantized (its input and weight Q/DQ included). The fallback aims below the budget
(SELECTION_MARGIN), since validation measures it on other frames. "Leave one out" was tried first and
misleads on the CPU target: a layer left in float still reads a tensor its quantized neighbours keep
quantized, so it looks harmless while it carries most of the drift. Layers are then kept in float, most
sensitive first, until the drift is within the budget; a backward pass then quantizes again every kept
layer the budget holds without. Calibration ranges come from the cache, so each
re-quantization costs seconds, not a calibration pass.
"""

import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

import numpy as np

from lowlight_edge.engines.ort_runner import OrtRunner
from lowlight_edge.errors import ModelError
from lowlight_edge.fileio.cache import cache_dir
from lowlight_edge.fileio.hashing import sha256_file
from lowlight_edge.metrics.lpips_backend import load_lpips
from lowlight_edge.onnxgraph.files import validate_onnx_file
from lowlight_edge.onnxgraph.metadata import input_convention_of, read_metadata
from lowlight_edge.quantize.int8 import Int8Options, Int8Report, cache_key, int8_from_onnx
from lowlight_edge.raw.cameras import TRAIN_CAMERAS, camera_shots
from lowlight_edge.raw.datasets import synthetic_samples
from lowlight_edge.raw.padded_inference import enhance_packed
from lowlight_edge.raw.scenes import SELECTION_IMAGES
from lowlight_edge.raw.synth_frames import IDENTITY_SHOT

# The fallback stops at this fraction of the budget on the selection frames: it is checked on other frames
# (validation) afterwards, where the same layers drift differently.
SELECTION_MARGIN = 0.6


@dataclass
class SensitivityResult:
    full_drift: float
    final_drift: float
    budget: float
    target: float  # what the selection frames must reach: the budget less the margin (SELECTION_MARGIN)
    sensitivity: dict[str, float] = field(default_factory=dict)  # node -> drift when quantized alone
    kept_float: list[str] = field(default_factory=list)
    met: bool = False


def module_of(node_name: str) -> str:
    """The PyTorch module an exported node came from, from the exporter's scope names.

    Each scope is named after its module relative to the parent scope, prefixed by the parent's own
    local name when the parent is a container ('encoders.0' -> 'encoders.0.2'), so the full path is
    rebuilt scope by scope.

    >>> module_of("/decoders.1/conv/conv.0/Conv")
    'decoders.1.conv.0'
    >>> module_of("/encoders.0/encoders.0.2/Conv")
    'encoders.0.2'
    >>> module_of("/head/Conv")
    'head'
    """
    scopes = [p for p in node_name.split("/") if p][:-1]
    if not scopes:
        return node_name
    path, local = scopes[0], scopes[0]
    for scope in scopes[1:]:
        path = f"{path}.{scope[len(local) + 1:]}" if scope.startswith(local + ".") else f"{path}.{scope}"
        local = scope
    return path


class DriftMeter:
    """LPIPS of a model's outputs against the FP32 model's outputs, mean over held-out frames."""
    def __init__(self, fp32_path: Path, frames: list[np.ndarray], lpips) -> None:
        self.frames, self.lpips = frames, lpips
        with OrtRunner(fp32_path) as ref:
            self.references = [enhance_packed(ref.infer, f, ref.size_multiple) for f in frames]

    def __call__(self, model_path: Path) -> float:
        with OrtRunner(model_path) as runner:
            drifts = []
            for frame, reference in zip(self.frames, self.references):
                try:
                    out = enhance_packed(runner.infer, frame, runner.size_multiple)
                except ModelError:
                    return float("inf")
                drifts.append(self.lpips(reference, out)[0])
        return float(np.mean(drifts))


def fallback_to_budget(source: Path, batches, options: Int8Options, cache: Path, meter: DriftMeter, budget: float,
                       candidates: list[str], on_step: Callable[[str], None] = lambda _m: None) -> SensitivityResult:
    with tempfile.TemporaryDirectory(prefix="lowlight-sens-") as tmp:
        def drift_of(excluded: list[str], only: list[str] | None = None) -> float:
            path = Path(tmp) / "probe.onnx"
            # every option carried (weight bits and base too): the probe measures the graph that will be written
            probe = replace(options, exclude=sorted(set(options.exclude) | set(excluded)), only=only)
            int8_from_onnx(source, path, batches, probe, cache_path=cache, force=True)
            return meter(path)

        full = drift_of([])
        target = budget * SELECTION_MARGIN
        result = SensitivityResult(full_drift=full, final_drift=full, budget=budget, target=target)
        on_step(f"fully quantized: LPIPS drift {full:.4f} on the selection frames (budget {budget}, aiming at "
                f"{target:.4g})")
        if full <= target:
            result.met = True
            return result
        for index, node in enumerate(candidates, 1):
            result.sensitivity[node] = drift_of([], only=[node])
            on_step(f"sensitivity {index}/{len(candidates)}: {node} alone: drift {result.sensitivity[node]:.4f}")
        ranked = sorted(candidates, key=lambda n: result.sensitivity[n], reverse=True)
        for node in ranked:
            result.kept_float.append(node)
            result.final_drift = drift_of(result.kept_float)
            on_step(f"keep {node} in float: drift {result.final_drift:.4f}")
            if result.final_drift <= target:
                result.met = True
                break
        if result.met:
            _requantize_unneeded(result, drift_of, on_step)
    return result


def _requantize_unneeded(result: SensitivityResult, drift_of, on_step) -> None:
    """Backward pass: quantize again each kept layer the budget holds without, first kept first.

    Drift contributions do not add up: a layer kept early can stop mattering once its neighbours are
    float too, and every float layer costs speed (a dequantize, float math, a quantize).
    """
    for node in list(result.kept_float[:-1]):
        trial = [n for n in result.kept_float if n != node]
        drift = drift_of(trial)
        if drift <= result.target:
            result.kept_float, result.final_drift = trial, drift
            on_step(f"quantize {node} again: drift {drift:.4f}")


@dataclass
class BudgetedInt8:
    report: Int8Report  # the model finally written
    cache: Path
    cache_hit: bool  # the first quantization found calibration ranges in the cache
    sensitivity: SensitivityResult | None  # None without a budget


def selection_samples(count: int, convention: str = "camera") -> list:
    """The frames the fallback measures drift on: neither the calibration nor the validation photographs (a neutral
    model's shot by the training cameras, as its calibration frames are)."""
    shots = camera_shots(TRAIN_CAMERAS) if convention == "neutral" else IDENTITY_SHOT
    return list(synthetic_samples(count, seed=99, names=SELECTION_IMAGES, convention=convention, shots=shots))


def default_cache(source: Path, calib: str, shape, count: int, options: Int8Options) -> Path:
    """Where the ranges for this model, data, target and method are kept (under the lowlight-edge cache)."""
    key = cache_key(sha256_file(source), calib, shape, count, options.target, options.method, options.percentile)
    return cache_dir() / "calibration" / f"{key}.json"


def int8_within_budget(source: Path, output: Path, batches, options: Int8Options, cache: Path,
                       budget: float | None = None, holdout: int = 2, lpips_weights: Path | None = None,
                       force: bool = False, on_step: Callable[[str], None] = lambda _m: None) -> BudgetedInt8:
    """INT8 as `quantize int8` makes it: plain, then (with a budget) the sensitive layers kept in float."""
    report = int8_from_onnx(source, output, batches, options, cache_path=cache, force=force)
    result = BudgetedInt8(report=report, cache=cache, cache_hit=report.cache_hit, sensitivity=None)
    if budget is None:
        return result
    convention = input_convention_of(read_metadata(validate_onnx_file(source)))
    frames = [s.packed for s in selection_samples(holdout, convention)]
    meter = DriftMeter(source, frames, load_lpips(lpips_weights))
    result.sensitivity = fallback_to_budget(source, batches, options, cache, meter, budget, report.quantized_nodes,
                                            on_step=on_step)
    options.exclude = sorted(set(options.exclude) | set(result.sensitivity.kept_float))
    result.report = int8_from_onnx(source, output, batches, options, cache_path=cache, force=True)
    return result
