"""Synthetic training data: the training photographs and procedural dead-leaves scenes, as a PatchFactory."""

from typing import Callable

import numpy as np

from lowlight_edge.raw.cameras import TRAIN_CAMERAS, TRAIN_LIGHTS_K
from lowlight_edge.raw.scenes import TRAIN_IMAGES, load_image
from lowlight_edge.train.dead_leaves import dead_leaves

DEAD_LEAVES_SIZE = 320  # room for a 2x-downscaled crop of a 64-pixel packed patch (256 px) and some


def photographs(names=TRAIN_IMAGES) -> list[np.ndarray]:
    return [np.round(load_image(name) * 255).astype(np.uint8) for name in names]


def synthetic_factory(patch: int, seed: int, device: str, procedural: int, procedural_share: float,
                      convention: str = "camera", log: Callable[[str], None] = lambda _m: None) -> tuple:
    """(a PatchFactory, a description of its data for the report and model card).

    A `neutral` model's patches are shot by the training cameras (raw/cameras.py) under random lights and converted
    as their DNGs say; a `camera` model's by the identity sensor, as recorded."""
    from lowlight_edge.train.patches import PatchFactory  # torch: imported when training, not with the CLI

    size = max(DEAD_LEAVES_SIZE, 4 * patch + 64)
    if procedural:
        log(f"making {procedural} dead-leaves scenes of {size}x{size} (seed {seed})")
    rng = np.random.default_rng(seed)
    scenes = [dead_leaves(size, rng) for _ in range(procedural)]
    share = procedural_share if procedural else 0.0
    cameras = TRAIN_CAMERAS if convention == "neutral" else ()
    factory = PatchFactory(photographs(), scenes, patch, seed, device=device, procedural_share=share, cameras=cameras)
    description = (f"synthetic short exposures of {procedural} dead-leaves scenes ({share:.0%} of patches) and the "
                   f"scikit-image samples {', '.join(TRAIN_IMAGES)}")
    if cameras:
        low, high = TRAIN_LIGHTS_K
        description += (f", shot by the cameras {', '.join(cameras)} under lights of {low:.0f}-{high:.0f} K and "
                        "converted to neutral (white balance and linear sRGB primaries from each DNG's colour tags)")
    return factory, description
