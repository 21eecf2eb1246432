"""The parity gate: an exported model must reproduce PyTorch on more than one input shape.

Shapes differ so that a graph that accidentally froze H or W fails here rather than on the device.
"""

from dataclasses import dataclass

import numpy as np

from lowlight_edge.errors import ExportError


@dataclass(frozen=True)
class ParityResult:
    shape: tuple[int, int, int, int]
    max_abs_diff: float
    psnr_db: float  # of the candidate against the reference, data range 1

    def as_dict(self) -> dict:
        return {"shape": list(self.shape), "max_abs_diff": self.max_abs_diff, "psnr_db": self.psnr_db}


def compare(reference: np.ndarray, candidate: np.ndarray, shape) -> ParityResult:
    if reference.shape != candidate.shape:
        raise ExportError(f"output shape {candidate.shape} differs from PyTorch's {reference.shape} at input {shape}")
    diff = np.abs(reference.astype(np.float64) - candidate.astype(np.float64))
    max_abs = float(diff.max()) if diff.size else 0.0
    mse = float(np.mean(diff**2)) if diff.size else 0.0
    psnr = float("inf") if mse == 0 else float(10 * np.log10(1.0 / mse))
    return ParityResult(tuple(shape), max_abs, psnr)


def parity_inputs(shapes, seed: int = 0):
    """Seeded packed inputs in [0, 1], the range the network sees after normalisation."""
    rng = np.random.default_rng(seed)
    for shape in shapes:
        yield tuple(shape), rng.random(shape, dtype=np.float32)


def check_parity(reference_fn, candidate_fn, shapes, tolerance: float) -> list[ParityResult]:
    """Run both on the same inputs; raise ExportError when any max abs diff exceeds `tolerance`."""
    results = []
    for shape, x in parity_inputs(shapes):
        result = compare(reference_fn(x), candidate_fn(x), shape)
        if not np.isfinite(result.max_abs_diff):
            raise ExportError(f"non-finite output at input {shape}")
        results.append(result)
        if result.max_abs_diff > tolerance:
            raise ExportError(
                f"parity gate failed at input {list(shape)}: max abs diff {result.max_abs_diff:.3g} > {tolerance:g} "
                f"(PSNR {result.psnr_db:.1f} dB); nothing was written"
            )
    return results
