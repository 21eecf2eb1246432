"""Synthetic training pairs from natural photographs that scikit-image ships (BSD-licensed data).

Each pair is (packed short-exposure frame made by the sensor model, the clean sRGB image as ground
truth). Held-out images are never used for training; they measure generalisation.
"""

from dataclasses import dataclass

import numpy as np

from lowlight_edge.errors import MissingDependency
from lowlight_edge.raw.cfa import PHASES
from lowlight_edge.raw.pack import pack_bayer
from lowlight_edge.raw.sensor import SensorModel, simulate_short_exposure

TRAIN_IMAGES = ("astronaut", "rocket", "stereo_motorcycle", "hubble_deep_field", "immunohistochemistry",
                "retina", "colorwheel", "brick", "grass", "gravel", "camera", "moon", "clock")
HELD_OUT_IMAGES = ("chelsea", "coffee")
SID_RATIOS = (100.0, 250.0, 300.0)
ISO_RANGE = (800.0, 6400.0)


def load_image(name: str) -> np.ndarray:
    """A scikit-image sample as float32 RGB [H, W, 3] in [0, 1], cropped to even size."""
    try:
        from skimage import data
    except ImportError as exc:
        raise MissingDependency("synthetic training data needs scikit-image; run: pip install scikit-image") from exc
    image = getattr(data, name)()
    if isinstance(image, tuple):  # stereo pairs: the left view
        image = image[0]
    image = np.asarray(image, dtype=np.float32) / 255.0
    if image.ndim == 2:
        image = np.repeat(image[..., None], 3, axis=2)
    image = image[..., :3]
    return image[: image.shape[0] // 2 * 2, : image.shape[1] // 2 * 2]


@dataclass(frozen=True)
class Pair:
    packed: np.ndarray  # float32 [4, h, w]
    target: np.ndarray  # float32 [3, 2h, 2w], sRGB in [0, 1]
    bayer: np.ndarray  # the uint16 mosaic, for writing DNG fixtures
    phase: str
    ratio: float
    iso: float


def make_pair(clean: np.ndarray, rng: np.random.Generator, ratio: float | None = None, iso: float | None = None,
              phase: str | None = None) -> Pair:
    """One short-exposure frame of `clean` [H, W, 3]; unset parameters are drawn from SID-like ranges."""
    ratio = ratio if ratio is not None else float(rng.choice(SID_RATIOS))
    iso = iso if iso is not None else float(np.exp(rng.uniform(*np.log(ISO_RANGE))))
    phase = phase or str(rng.choice(PHASES))
    sensor = SensorModel(iso=iso)
    bayer = simulate_short_exposure(clean, ratio, sensor, phase, rng)
    packed = pack_bayer(bayer, phase, sensor.black, sensor.white, ratio)
    return Pair(packed, np.ascontiguousarray(clean.transpose(2, 0, 1)), bayer, phase, ratio, iso)


class PatchSampler:
    """Random crops with flips from a fixed set of images, each turned into a fresh noisy frame."""

    def __init__(self, names, patch: int, seed: int) -> None:
        self.images = [load_image(n) for n in names]
        self.patch = patch  # packed size; the clean crop is 2 * patch
        self.rng = np.random.default_rng(seed)

    def batch(self, size: int) -> tuple[np.ndarray, np.ndarray]:
        pairs = [self._one() for _ in range(size)]
        return np.stack([p.packed for p in pairs]), np.stack([p.target for p in pairs])

    def _one(self) -> Pair:
        image = self.images[self.rng.integers(len(self.images))]
        crop = 2 * self.patch
        y = 2 * self.rng.integers(0, (image.shape[0] - crop) // 2 + 1)
        x = 2 * self.rng.integers(0, (image.shape[1] - crop) // 2 + 1)
        clean = image[y: y + crop, x: x + crop]
        if self.rng.random() < 0.5:
            clean = clean[:, ::-1]
        if self.rng.random() < 0.5:
            clean = clean[::-1]
        return make_pair(np.ascontiguousarray(clean), self.rng)
