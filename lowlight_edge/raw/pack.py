"""Bayer mosaic -> the model's packed input, and the padding that makes any size fit the network.

Normalisation (SID): clip((raw - black) / (white - black), 0, 1) * ratio, then min(., 1). For ratio r > 0
this equals clip((raw - black) / (white - black) * r, 0, min(r, 1)), computed in one vectorised pass. A `neutral`
model's colour conversion goes between the amplification and a wider, symmetric clip,
clip(., -4 min(r, 1), 4 min(r, 1)) (raw/colour.py NEUTRAL_RANGE says why): clipping at zero would rectify the noise
the white-balance gains amplify, a bias that differs with every camera and light.
"""

import numpy as np

from lowlight_edge.errors import InputError
from lowlight_edge.raw.cfa import channel_offsets
from lowlight_edge.raw.colour import NEUTRAL_RANGE


def crop_even(bayer: np.ndarray) -> np.ndarray:
    """Drop a trailing row/column so the mosaic is whole 2x2 cells (the phase is unchanged)."""
    h, w = bayer.shape
    return bayer[: h - h % 2, : w - w % 2]


def pack_bayer(bayer: np.ndarray, phase: str, black, white: float, ratio: float = 1.0,
               mix: np.ndarray | None = None) -> np.ndarray:
    """uint16 mosaic [H, W] -> float32 [4, H/2, W/2] in R, G1, B, G2 order, normalised and amplified.

    `black` is one level per packed channel (R, G1, B, G2), or a single number. `mix` [4, 4] (a `neutral` model's
    colour conversion, raw/colour.py `packed_mix`) converts each cell after amplification, and the clip is symmetric:
    clip(mix @ ((raw - black) * ratio / (white - black)), -4 min(ratio, 1), 4 min(ratio, 1)).
    """
    if bayer.ndim != 2:
        raise InputError(f"a Bayer mosaic is 2-D, got shape {list(bayer.shape)}")
    if not np.isfinite(ratio) or ratio <= 0:
        raise InputError(f"ratio must be a positive finite number, got {ratio}")
    bayer = crop_even(bayer)
    if bayer.shape[0] < 2 or bayer.shape[1] < 2:
        raise InputError(f"mosaic of {bayer.shape[0]}x{bayer.shape[1]} pixels is too small")
    black = np.broadcast_to(np.asarray(black, dtype=np.float32), (4,))
    span = np.float32(white) - black
    if np.any(span <= 0):
        raise InputError(f"white level {white} must exceed every black level {black.tolist()}")
    planes = np.stack([bayer[dy::2, dx::2] for dy, dx in channel_offsets(phase)]).astype(np.float32)
    planes -= black[:, None, None]
    planes *= (np.float32(ratio) / span)[:, None, None]
    cap = min(float(ratio), 1.0)
    if mix is not None:
        converted = mix_planes(np.asarray(mix, dtype=np.float32), planes)
        bound = np.float32(NEUTRAL_RANGE * cap)
        return np.clip(converted, -bound, bound, out=converted)
    return np.clip(planes, 0.0, cap, out=planes)


def mix_planes(mix: np.ndarray, planes: np.ndarray) -> np.ndarray:
    """[4, 4] @ [4, h, w] per cell, summed in sample order in float32: the bits a pipeline graph's Mul and ReduceSum
    give (a BLAS product sums in another order)."""
    out = mix[:, 0, None, None] * planes[0]
    for k in range(1, planes.shape[0]):
        out += mix[:, k, None, None] * planes[k]
    return out


def pad_to_multiple(packed: np.ndarray, multiple: int) -> tuple[np.ndarray, tuple[int, int]]:
    """Reflect-pad [..., h, w] up to multiples of `multiple`; returns the padded array and (h, w) to crop back."""
    h, w = packed.shape[-2:]
    ph, pw = (-h) % multiple, (-w) % multiple
    if ph == 0 and pw == 0:
        return packed, (h, w)
    mode = "reflect" if (ph < h and pw < w) else "edge"  # reflect needs pad < size
    pad = [(0, 0)] * (packed.ndim - 2) + [(0, ph), (0, pw)]
    return np.pad(packed, pad, mode=mode), (h, w)


def unpack_rgb(rgb: np.ndarray, packed_size: tuple[int, int], upscale: int = 2) -> np.ndarray:
    """Crop the network output [N, 3, H', W'] back to the unpadded frame and clip to [0, 1]."""
    h, w = packed_size
    return np.clip(rgb[..., : h * upscale, : w * upscale], 0.0, 1.0)
