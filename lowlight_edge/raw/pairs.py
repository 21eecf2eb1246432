"""Synthetic short exposures: a clean photograph through the sensor model to a packed low-light frame.

Each pair is (packed short-exposure frame, the clean sRGB image as ground truth); parameters left unset are
drawn from SID-like ranges of ratio, ISO and CFA phase.
"""

from dataclasses import dataclass

import numpy as np

from lowlight_edge.raw.cfa import PHASES
from lowlight_edge.raw.pack import pack_bayer
from lowlight_edge.raw.sensor import SensorModel, simulate_short_exposure

SID_RATIOS = (100.0, 250.0, 300.0)
ISO_RANGE = (800.0, 6400.0)


@dataclass(frozen=True)
class Pair:
    packed: np.ndarray  # float32 [4, h, w]
    target: np.ndarray  # float32 [3, 2h, 2w], sRGB in [0, 1]
    bayer: np.ndarray  # the uint16 mosaic, for writing DNG fixtures
    phase: str
    ratio: float
    iso: float


def make_pair(clean: np.ndarray, rng: np.random.Generator, ratio: float | None = None, iso: float | None = None,
              phase: str | None = None, srgb_to_camera: np.ndarray | None = None) -> Pair:
    """One short-exposure frame of `clean` [H, W, 3]; unset parameters are drawn from SID-like ranges.

    `srgb_to_camera` shoots it with a real camera's colour response (raw/camera_response.py); `packed` is then the
    mosaic as that camera recorded it (the camera convention)."""
    ratio = ratio if ratio is not None else float(rng.choice(SID_RATIOS))
    iso = iso if iso is not None else float(np.exp(rng.uniform(*np.log(ISO_RANGE))))
    phase = phase or str(rng.choice(PHASES))
    sensor = SensorModel(iso=iso)
    bayer = simulate_short_exposure(clean, ratio, sensor, phase, rng, srgb_to_camera)
    packed = pack_bayer(bayer, phase, sensor.black, sensor.white, ratio)
    return Pair(packed, np.ascontiguousarray(clean.transpose(2, 0, 1)), bayer, phase, ratio, iso)
