"""Every metric of the catalog between two PNG images: what `lowlight-edge metrics` prints.

Example::

    compare_images("reference.png", "candidate.png")
    # -> {'a': 'reference.png', 'b': 'candidate.png', 'lpips': 0.0123, 'psnr': 38.2, 'ssim': 0.981, 'lpips_backend': 'torch'}
"""

from pathlib import Path

from lowlight_edge.errors import InputError
from lowlight_edge.fileio.png import read_png
from lowlight_edge.metrics.catalog import METRICS
from lowlight_edge.metrics.lpips_backend import load_lpips


def compare_images(a: Path, b: Path, lpips_weights: Path | None = None, lpips_onnx: Path | None = None) -> dict:
    """LPIPS, PSNR and SSIM of image `b` against reference `a` (8- or 16-bit PNGs of the same size)."""
    first, second = read_png(a), read_png(b)
    if first.shape != second.shape:
        raise InputError(f"{a} is {first.shape[1]}x{first.shape[0]} but {b} is {second.shape[1]}x{second.shape[0]}; "
                         "sizes must match")
    lpips = load_lpips(lpips_weights, lpips_onnx)
    values = {m.name: m.compute(first, second, lpips) for m in METRICS}
    return {"a": str(a), "b": str(b), **values, "lpips_backend": lpips.backend}
