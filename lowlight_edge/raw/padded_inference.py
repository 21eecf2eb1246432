"""Packed frame in, RGB image out: pad to the network's multiple, infer, crop back, clip.

Works with any runner-like callable `infer(batch [N, 4, h, w]) -> [N, 3, 2h, 2w]`, so PyTorch, ONNX
Runtime, OpenVINO and TensorRT share one pre/post-processing path.
"""

from typing import Callable

import numpy as np

from lowlight_edge.errors import InputError, ModelError
from lowlight_edge.raw.pack import pad_to_multiple, unpack_rgb


def enhance_packed(infer: Callable[[np.ndarray], np.ndarray], packed: np.ndarray, multiple: int = 16) -> np.ndarray:
    """float32 [4, h, w] -> float32 sRGB [2h, 2w, 3] in [0, 1]."""
    if packed.ndim != 3 or packed.shape[0] != 4:
        raise InputError(f"a packed frame is [4, h, w], got {list(packed.shape)}")
    if not np.isfinite(packed).all():
        raise InputError(f"the input frame has {int(np.size(packed) - np.isfinite(packed).sum())} NaN/Inf values")
    batch, size = pad_to_multiple(packed[None].astype(np.float32, copy=False), multiple)
    out = infer(np.ascontiguousarray(batch))
    bad = int(out.size - np.isfinite(out).sum())
    if bad:
        raise ModelError(f"the model produced {bad} non-finite output values (NaN/Inf)")
    return unpack_rgb(out, size)[0].transpose(1, 2, 0)
