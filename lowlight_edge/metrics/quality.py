"""PSNR and SSIM from scikit-image, with the project's convention fixed in one place.

Convention: RGB float images [H, W, 3] in [0, 1], data range 1; SSIM with scikit-image's defaults
(7x7 uniform window, K1 0.01, K2 0.03) computed per channel and averaged (`channel_axis=2`).
"""

import numpy as np

from lowlight_edge.errors import InputError


def _check(a: np.ndarray, b: np.ndarray) -> None:
    if a.shape != b.shape:
        raise InputError(f"images differ in size: {list(a.shape)} vs {list(b.shape)}")
    if a.ndim != 3 or a.shape[2] != 3:
        raise InputError(f"expected RGB images [H, W, 3], got {list(a.shape)}")


def psnr(reference: np.ndarray, image: np.ndarray) -> float:
    """Peak signal-to-noise ratio in dB (inf for identical images).

    >>> round(psnr(np.zeros((8, 8, 3)), np.full((8, 8, 3), 0.1)), 3)
    20.0
    """
    from skimage.metrics import peak_signal_noise_ratio

    _check(reference, image)
    if np.array_equal(reference, image):
        return float("inf")
    return float(peak_signal_noise_ratio(reference, image, data_range=1.0))


def ssim(reference: np.ndarray, image: np.ndarray) -> float:
    """Structural similarity, mean over RGB channels."""
    from skimage.metrics import structural_similarity

    _check(reference, image)
    return float(structural_similarity(reference, image, data_range=1.0, channel_axis=2))
