"""A decoded Bayer RAW frame: the visible mosaic and what packing it needs, whichever decoder read it."""

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lowlight_edge.raw.pack import pack_bayer


@dataclass
class RawFrame:
    path: Path
    bayer: np.ndarray  # uint16 [H, W], visible area, whole 2x2 cells
    phase: str  # e.g. "RGGB", read row by row from the top-left of `bayer`
    black: tuple[float, float, float, float]  # per packed channel R, G1, B, G2
    white: float
    camera: str
    raw_size: tuple[int, int]  # full sensor readout (including masked borders)
    visible_size: tuple[int, int]  # before cropping to even
    exposure_s: float | None = None  # shutter time from the file's metadata, when it has one

    def pack(self, ratio: float = 1.0) -> np.ndarray:
        """float32 [4, H/2, W/2], normalised and amplified (see pack.pack_bayer)."""
        return pack_bayer(self.bayer, self.phase, self.black, self.white, ratio)
