"""Synthetic training patches: random crops of the training photographs, each a fresh noisy frame."""

import numpy as np

from lowlight_edge.raw.pairs import Pair, make_pair
from lowlight_edge.raw.scenes import load_image


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
