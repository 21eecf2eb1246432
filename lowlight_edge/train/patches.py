"""Training pairs made where the model trains: scenes -> crops at several scales -> flips -> colour and
exposure jitter -> a camera's colour response under a light (for a `neutral` model) -> the sensor model at a
random ratio, ISO and CFA phase -> the camera's neutral conversion (for a `neutral` model) -> (packed input, sRGB
target).

Scenes are uint8 images kept on the device once; every batch is a fresh draw, so nothing waits on numpy
when training on a GPU. Deterministic for a seed on a CPU (torch generators, no worker processes).
"""

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from lowlight_edge.raw.camera_response import camera_response
from lowlight_edge.raw.cameras import TRAIN_LIGHTS_K, camera
from lowlight_edge.raw.cfa import PHASES
from lowlight_edge.raw.pairs import ISO_RANGE
from lowlight_edge.train.torch_sensor import camera_rgb, clean_planes, linear_to_srgb, noisy_packed, srgb_to_linear


@dataclass(frozen=True)
class Augmentation:
    scales: tuple[float, float] = (0.5, 1.0)  # log-uniform; 0.5 = a crop twice the patch, downsampled
    colour_jitter: float = 0.2  # per-channel gain in [1 - j, 1 + j] on linear light (white balance errors)
    exposure: tuple[float, float] = (0.6, 1.4)  # log-uniform brightness of the scene
    ratios: tuple[float, float] = (50.0, 350.0)  # log-uniform exposure ratio; SID's Sony ratios are 100-300
    isos: tuple[float, float] = ISO_RANGE  # log-uniform
    lights_k: tuple[float, float] = TRAIN_LIGHTS_K  # the shot's light, uniform in mired (cameras only)


def _log_uniform(low: float, high: float, count: int, generator: torch.Generator) -> torch.Tensor:
    u = torch.rand(count, generator=generator, dtype=torch.float64)
    return torch.exp(np.log(low) + u * (np.log(high) - np.log(low))).float()


class PatchFactory:
    """`batch(n)` -> (packed [n, 4, p, p], target [n, 3, 2p, 2p]) float32 tensors on `device`.

    `photos` and `procedural` are uint8 RGB scenes [H, W, 3]; each patch comes from a procedural scene with
    probability `procedural_share`, else from a photograph. With `cameras` (keys of raw/cameras.py), each patch is
    shot by one of them under a random light and given the neutral conversion its DNG would give (the `neutral`
    input convention); without, by the identity sensor as recorded (`camera`).
    """

    def __init__(self, photos: list[np.ndarray], procedural: list[np.ndarray], patch: int, seed: int,
                 device: str = "cpu", procedural_share: float = 0.5, augmentation: Augmentation = Augmentation(),
                 cameras: tuple[str, ...] = ()):
        if not photos and not procedural:
            raise ValueError("no training scenes")
        self.device = torch.device(device)
        self.groups = [[self._upload(s) for s in group] for group in (photos, procedural)]
        self.share = procedural_share if photos and procedural else float(bool(procedural))
        self.patch = patch
        self.aug = augmentation
        self.cameras = tuple(camera(key) for key in cameras)
        self.host = torch.Generator().manual_seed(seed)  # crop positions, parameters
        self.noise = torch.Generator(device=self.device).manual_seed(seed + 1)  # shot and read noise

    def _upload(self, scene: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(np.ascontiguousarray(scene.transpose(2, 0, 1))).to(self.device)

    def _randint(self, high: int) -> int:
        return int(torch.randint(high, (1,), generator=self.host))

    def _crop(self) -> torch.Tensor:
        """One clean sRGB crop [3, 2p, 2p] at a random scale, flipped and transposed at random."""
        group = self.groups[int(torch.rand(1, generator=self.host) < self.share)]
        scene = group[self._randint(len(group))]
        size = 2 * self.patch
        scale = float(_log_uniform(*self.aug.scales, 1, self.host))
        crop = min(int(round(size / scale)), *scene.shape[1:])
        y, x = self._randint(scene.shape[1] - crop + 1), self._randint(scene.shape[2] - crop + 1)
        image = scene[:, y: y + crop, x: x + crop].float()[None] / 255.0
        if crop != size:
            image = F.interpolate(image, size=(size, size), mode="bilinear", antialias=True, align_corners=False)
        flips = torch.rand(3, generator=self.host)
        image = image.flip(3) if flips[0] < 0.5 else image
        image = image.flip(2) if flips[1] < 0.5 else image
        return image.transpose(2, 3)[0] if flips[2] < 0.5 else image[0]

    def batch(self, size: int) -> tuple[torch.Tensor, torch.Tensor]:
        aug = self.aug
        linear = srgb_to_linear(torch.stack([self._crop() for _ in range(size)]))
        gains = 1.0 + aug.colour_jitter * (2 * torch.rand(size, 3, 1, 1, generator=self.host) - 1)
        exposure = _log_uniform(*aug.exposure, size, self.host).view(-1, 1, 1, 1)
        linear = (linear * (gains * exposure).to(self.device)).clamp(0.0, 1.0)
        phase = torch.randint(len(PHASES), (size,), generator=self.host)
        ratio = _log_uniform(*aug.ratios, size, self.host).to(self.device)
        iso = _log_uniform(*aug.isos, size, self.host)
        recorded, mix = linear, None
        if self.cameras:
            responses, mix = self._responses(size)
            recorded = camera_rgb(linear, responses.to(self.device))
        packed = noisy_packed(clean_planes(recorded, phase.to(self.device)), ratio, iso, self.noise,
                              mix=None if mix is None else mix.to(self.device))
        return packed, linear_to_srgb(linear)

    def _responses(self, size: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Per item: a camera under a light drawn uniformly in mired, as (sRGB -> camera [N, 3, 3], the packed
        neutral conversion its DNG gives [N, 4, 4])."""
        responses, mixes = [], []
        low, high = (1e6 / k for k in self.aug.lights_k)
        for _ in range(size):
            profile = self.cameras[self._randint(len(self.cameras))]
            mired = float(low + (high - low) * torch.rand(1, generator=self.host, dtype=torch.float64))
            response = camera_response(profile, f"{1e6 / mired:.0f}K")
            responses.append(torch.from_numpy(response.srgb_to_camera.astype(np.float32)))
            mixes.append(torch.from_numpy(response.conversion().packed_mix()))
        return torch.stack(responses), torch.stack(mixes)
