"""SID training pairs: packed short exposures and rendered long exposures, cached in memory, random crops."""

import numpy as np

from lowlight_edge.raw.reader import read_raw
from lowlight_edge.raw.sid import SidPair, ground_truth


class SidSampler:
    """Loads each pair once (as SID's own training does), then serves random aligned crops."""

    def __init__(self, pairs: list[SidPair], patch: int, seed: int, convention: str = "camera") -> None:
        self.pairs, self.convention = pairs, convention
        self.patch = patch
        self.rng = np.random.default_rng(seed)
        self._cache: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def _load(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        if index not in self._cache:
            pair = self.pairs[index]
            packed = read_raw(pair.short).pack(pair.ratio, self.convention)
            truth = ground_truth(pair.long).transpose(2, 0, 1)
            h, w = packed.shape[1:]
            self._cache[index] = (packed, np.ascontiguousarray(truth[:, : 2 * h, : 2 * w]))
        return self._cache[index]

    def batch(self, size: int) -> tuple[np.ndarray, np.ndarray]:
        inputs, targets = [], []
        for _ in range(size):
            packed, truth = self._load(int(self.rng.integers(len(self.pairs))))
            p = self.patch
            y = int(self.rng.integers(0, packed.shape[1] - p + 1))
            x = int(self.rng.integers(0, packed.shape[2] - p + 1))
            crop_in, crop_out = packed[:, y: y + p, x: x + p], truth[:, 2 * y: 2 * (y + p), 2 * x: 2 * (x + p)]
            if self.rng.random() < 0.5:  # flip the packed planes and the target together, as SID does
                crop_in, crop_out = crop_in[:, :, ::-1], crop_out[:, :, ::-1]
            inputs.append(np.ascontiguousarray(crop_in))
            targets.append(np.ascontiguousarray(crop_out))
        return np.stack(inputs), np.stack(targets)
