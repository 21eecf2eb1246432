"""A decoded Bayer RAW frame: the visible mosaic and what packing it needs, whichever decoder read it."""

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from lowlight_edge.raw.colour import ColourConversion, check_convention
from lowlight_edge.raw.pack import pack_bayer

NO_COLOUR = ColourConversion.identity("no colour metadata in the file: identity")


@dataclass
class RawFrame:
    path: Path
    bayer: np.ndarray  # uint16 [H, W], visible area, whole 2x2 cells
    phase: str  # e.g. "RGGB", read row by row from the top-left of `bayer`
    black: tuple[float, float, float, float]  # per packed channel R, G1, B, G2
    white: float
    make: str  # "unknown" where the file does not say
    model: str
    raw_size: tuple[int, int]  # full sensor readout (including masked borders)
    visible_size: tuple[int, int]  # before cropping to even
    exposure_s: float | None = None  # shutter time from the file's metadata, when it has one
    iso: float | None = None
    orientation: int = 1  # TIFF/EXIF Orientation 1-8, applied to the output image (raw/orientation.py)
    colour: ColourConversion = field(default=NO_COLOUR)  # as-shot white balance and camera -> sRGB matrix

    @property
    def camera(self) -> str:
        return " ".join(p for p in (self.make, self.model) if p and p != "unknown") or "unknown"

    def pack(self, ratio: float = 1.0, convention: str = "camera") -> np.ndarray:
        """float32 [4, H/2, W/2], normalised and amplified (see pack.pack_bayer); a `neutral` model's input is
        white-balanced and converted to linear sRGB primaries per cell."""
        return pack_bayer(self.bayer, self.phase, self.black, self.white, ratio, mix=self.mix(convention))

    def mix(self, convention: str) -> np.ndarray | None:
        """The packed colour conversion a model of `convention` needs (None: the mosaic as the sensor recorded it);
        refused in one line when the file's colour metadata is unusable."""
        if check_convention(convention) == "camera":
            return None
        return self.colour.checked().packed_mix()
