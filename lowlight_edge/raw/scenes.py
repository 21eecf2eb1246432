"""The sample photographs synthetic frames are made from, split by what they may be used for.

scikit-image ships them (BSD-licensed). The splits are disjoint (a test checks it):
- TRAIN_IMAGES trained the bundled model, beside procedural dead-leaves scenes (train/dead_leaves.py), which
  bring the colour variety these few photographs lack;
- CALIBRATION_IMAGES make the `synthetic:N` INT8 calibration frames;
- SELECTION_IMAGES only choose which INT8 layers stay in float (the sensitivity fallback);
- HELD_OUT_IMAGES are never used to train, calibrate or choose: they measure generalisation and drift
  (`validate --synthetic`, the demo).
"""

import numpy as np

from lowlight_edge.errors import MissingDependency

TRAIN_IMAGES = ("astronaut", "colorwheel", "brick", "grass", "gravel", "coins")
CALIBRATION_IMAGES = ("rocket", "hubble_deep_field", "retina", "camera", "moon", "clock")
# colour photographs whose INT8 drift resembles the held-out ones' (grey or graphic images drift half as much and
# chose fallbacks that missed the budget on validation); taken out of calibration
SELECTION_IMAGES = ("stereo_motorcycle", "immunohistochemistry")
HELD_OUT_IMAGES = ("chelsea", "coffee")  # scikit-image's `cat` is `chelsea` again: no split may use it
SPLITS = {"train": TRAIN_IMAGES, "calibrate": CALIBRATION_IMAGES, "select fallback layers": SELECTION_IMAGES, "validate": HELD_OUT_IMAGES}


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
