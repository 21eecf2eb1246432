"""What `lowlight-edge quantize fp16|int8` run, as functions for scripts: FP32 ONNX and a calibration source in,
a reduced-precision ONNX out.

Example::

    quantize_fp16("model.fp32.onnx", "model.fp16.onnx")
    quantize_int8("model.fp32.onnx", "model.int8.onnx", "synthetic:16", lpips_budget=0.01)
"""

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from lowlight_edge.fileio.atomic import check_writable
from lowlight_edge.onnxgraph.files import check_packed_input, validate_onnx_file
from lowlight_edge.onnxgraph.metadata import input_convention_of, read_metadata
from lowlight_edge.quantize.fp16 import Fp16Report, fp16_from_onnx
from lowlight_edge.quantize.int8 import Int8Options
from lowlight_edge.quantize.sensitivity import BudgetedInt8, default_cache, int8_within_budget
from lowlight_edge.quantize.sensitivity_report import sensitivity_paths, write_sensitivity
from lowlight_edge.raw.calibration_frames import calibration_batches


def calibration_for(model: Path, calib: str, calib_shape: tuple[int, int], calib_count: int,
                    log: Callable[[str], None] = lambda _m: None) -> list[np.ndarray]:
    """The model checked to take packed input, then its calibration batches, packed for its input convention (one
    line of error for either)."""
    proto = validate_onnx_file(model)
    check_packed_input(proto, model)
    convention = input_convention_of(read_metadata(proto))
    batches = calibration_batches(calib, calib_shape, limit=calib_count, convention=convention)
    log(f"calibration: {len(batches)} frames from {calib} at {calib_shape[0]}x{calib_shape[1]}")
    return batches


def quantize_fp16(model: Path, output: Path, calib: str = "synthetic:8", calib_shape: tuple[int, int] = (256, 256),
                  calib_count: int = 16, margin: float = 4.0, fp16_io: bool = False, force: bool = False,
                  log: Callable[[str], None] = lambda _m: None) -> Fp16Report:
    """FP16 ONNX with the nodes whose calibration activations exceed 65504 / `margin` kept in FP32.

    Returns the Fp16Report: kept nodes with their reasons, peak activation, and the FP16 output's max
    difference and PSNR against FP32 on a calibration frame.
    """
    check_writable(output, force)
    batches = calibration_for(Path(model), calib, calib_shape, calib_count, log)
    return fp16_from_onnx(model, output, batches, margin=margin, fp16_io=fp16_io, force=force)


@dataclass
class Int8Outcome(BudgetedInt8):
    sensitivity_files: tuple[Path, Path] | None = None  # written with a budget


def quantize_int8(model: Path, output: Path, calib: str, calib_shape: tuple[int, int] = (256, 256),
                  calib_count: int = 16, options: Int8Options | None = None, lpips_budget: float | None = None,
                  holdout: int = 2, calib_cache: Path | None = None, lpips_weights: Path | None = None,
                  force: bool = False, keep_best_effort: bool = False, log: Callable[[str], None] = lambda _m: None,
                  on_step: Callable[[str], None] | None = None) -> Int8Outcome:
    """INT8 Q/DQ ONNX calibrated on `calib`; with `lpips_budget`, the most sensitive layers kept in float.

    Args:
        options: target ("tensorrt" or "cpu"), calibration method, percentile, excluded nodes.
        holdout: held-out synthetic frames the LPIPS drift is measured on (never calibration frames).
        calib_cache: where calibration ranges are cached (default: keyed by model and data in the cache folder).
        keep_best_effort: when the budget cannot be met, still write the model (every layer tried in float) and its
            sensitivity files; otherwise a run that misses its budget writes nothing.
    Returns:
        the Int8Report, the sensitivity result (with a budget) and the files written (none when the budget was
        missed without `keep_best_effort`: `sensitivity.met` says so).
    """
    options = options or Int8Options()
    output = Path(output)
    sidecars = sensitivity_paths(output) if lpips_budget is not None else ()
    for path in (output, *sidecars):
        check_writable(path, force)
    batches = calibration_for(Path(model), calib, calib_shape, calib_count, log)
    cache = calib_cache or default_cache(model, str(calib), calib_shape, len(batches), options)
    # quantized beside the output under a temporary name: an existing file is replaced only by a model that is kept
    pending = output.with_name(f".{output.name}.pending.onnx")
    try:
        done = int8_within_budget(model, pending, batches, options, cache, lpips_budget, holdout, lpips_weights,
                                  force=True, on_step=on_step or log)
        done.report.output = output
        outcome = Int8Outcome(done.report, done.cache, done.cache_hit, done.sensitivity)
        if done.sensitivity is not None and not done.sensitivity.met and not keep_best_effort:
            return outcome
        check_writable(output, force)  # nobody created it meanwhile
        os.replace(pending, output)
    finally:
        pending.unlink(missing_ok=True)
    if done.sensitivity is not None:
        outcome.sensitivity_files = write_sensitivity(output, done.report, done.sensitivity, force=force)
    return outcome
