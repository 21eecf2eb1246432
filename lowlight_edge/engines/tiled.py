"""Tiled inference: bounded memory for frames larger than `max_tile`, for any runner.

The packed frame is cut into overlapping tiles whose origins sit on the network's pooling grid (multiples
of `size_multiple`), so each tile sees its pixels at the same pooling phase as the whole frame would. Tiles
are spread evenly and blended with weights that ramp linearly across each shared region (feathering) and
are 1 at the frame's own borders, so no pixel relies on a tile's zero-padded edge alone. Peak memory then scales with the tile, not
the frame: what a 4-8 GB Jetson needs for a 12-megapixel RAW.
"""

import math
from typing import Callable

import numpy as np

from lowlight_edge.engines.base import Runner, TensorSpec
from lowlight_edge.errors import InputError


def tile_starts(length: int, tile: int, overlap: int, multiple: int) -> list[int]:
    """Origins of the fewest tiles of size `tile` covering [0, length) with neighbours sharing at least
    `overlap`, spread evenly and placed on multiples of `multiple`.

    >>> tile_starts(100, 100, 16, 4)
    [0]
    >>> tile_starts(160, 64, 16, 16)
    [0, 48, 96]
    >>> tile_starts(1424, 512, 64, 16)
    [0, 304, 608, 912]
    """
    if length <= tile:
        return [0]
    if (length - tile) % multiple:
        raise InputError(f"tile origins must be multiples of {multiple}: use a frame and tile that are")
    count = math.ceil((length - overlap) / (tile - overlap))
    span = length - tile
    return [(i * span // (count - 1)) // multiple * multiple for i in range(count)]


def _ramp(length: int, starts: list[int], index: int, tile: int) -> np.ndarray:
    """1-D blend weight of one tile: rises across the whole region it shares with each neighbour, 1 elsewhere."""
    size = min(tile, length)
    weight = np.ones(size, dtype=np.float32)
    if index > 0:
        shared = starts[index - 1] + size - starts[index]
        weight[:shared] = np.minimum(weight[:shared], (np.arange(shared, dtype=np.float32) + 0.5) / shared)
    if index < len(starts) - 1:
        shared = starts[index] + size - starts[index + 1]
        ramp = (np.arange(shared, dtype=np.float32) + 0.5) / shared
        weight[size - shared:] = np.minimum(weight[size - shared:], ramp[::-1])
    return weight


def infer_tiled(infer: Callable[[np.ndarray], np.ndarray], packed: np.ndarray, max_tile: int, overlap: int,
                multiple: int, on_tile: Callable[[], None] = lambda: None) -> np.ndarray:
    """[N, 4, H, W] -> [N, 3, 2H, 2W], running `infer` on tiles of at most max_tile x max_tile."""
    if max_tile % multiple or overlap % multiple or not 0 < overlap < max_tile:
        raise InputError(f"--max-tile ({max_tile}) and --tile-overlap ({overlap}) must be multiples of {multiple}, "
                         "with 0 < overlap < tile")
    n, _, h, w = packed.shape
    if h <= max_tile and w <= max_tile:
        return infer(packed)
    rows, cols = tile_starts(h, max_tile, overlap, multiple), tile_starts(w, max_tile, overlap, multiple)
    out = np.zeros((n, 3, 2 * h, 2 * w), dtype=np.float32)
    total = np.zeros((2 * h, 2 * w), dtype=np.float32)
    for i, top in enumerate(rows):
        wy = np.repeat(_ramp(h, rows, i, max_tile), 2)  # packed -> output resolution
        for j, left in enumerate(cols):
            wx = np.repeat(_ramp(w, cols, j, max_tile), 2)
            th, tw = min(max_tile, h), min(max_tile, w)
            tile = np.ascontiguousarray(packed[:, :, top:top + th, left:left + tw])
            weight = wy[:, None] * wx[None, :]
            region = (slice(2 * top, 2 * (top + th)), slice(2 * left, 2 * (left + tw)))
            out[(slice(None), slice(None), *region)] += infer(tile) * weight
            total[region] += weight
            on_tile()
    out /= total
    return out


class TiledRunner(Runner):
    """Any runner, run tile by tile when the input exceeds `max_tile` (packed pixels) in either dimension."""

    def __init__(self, inner: Runner, max_tile: int, overlap: int = 64) -> None:
        super().__init__(inner.path)
        self.inner, self.max_tile, self.overlap = inner, max_tile, overlap

    def activate(self) -> None:
        self.inner.activate()
        if self.inner.pipeline is not None:
            self.inner.deactivate()
            raise InputError(f"{self.path.name} is a pipeline graph, which runs whole frames: --max-tile cannot split "
                             "them; run the network graph it wraps with --max-tile instead")
        self.backend, self.precision = self.inner.backend, self.inner.precision
        self.size_multiple, self.source_sha256 = self.inner.size_multiple, self.inner.source_sha256
        self.input_convention = self.inner.input_convention

    def deactivate(self) -> None:
        self.inner.deactivate()

    @property
    def inputs(self) -> list[TensorSpec]:
        return self.inner.inputs

    @property
    def outputs(self) -> list[TensorSpec]:
        return self.inner.outputs

    def _infer(self, packed: np.ndarray) -> np.ndarray:
        return infer_tiled(self.inner.infer, packed, self.max_tile, self.overlap, self.size_multiple)

    def settings(self) -> list[str]:
        return self.inner.settings()

    def peak_device_mib(self) -> float | None:
        return self.inner.peak_device_mib()

    def describe(self) -> dict:
        return {**self.inner.describe(), "max_tile": self.max_tile, "tile_overlap": self.overlap}
