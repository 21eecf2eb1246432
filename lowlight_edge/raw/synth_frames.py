"""Synthetic DNG test frames with ground truth: fixtures for tests, the demo and users without SID.

Each frame is named SID-style (`90001_00_0.1s.dng`, exposure in the name and in the DNG's ExposureTime),
so its ratio resolves against SID's 10 s reference exactly as for a real SID file; the clean image is
written beside it as `90001_00_10s.png` (16-bit), the long-exposure ground truth. A frame may be shot by a real
camera's colour response under a light (raw/cameras.py, raw/camera_response.py): its DNG then carries that
camera's make, model and colour tags, as the camera's own DNG would.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lowlight_edge.fileio.png import read_png, write_png
from lowlight_edge.raw.camera_response import camera_response
from lowlight_edge.raw.cameras import camera
from lowlight_edge.raw.cfa import PHASES
from lowlight_edge.raw.dng import write_dng
from lowlight_edge.raw.pairs import make_pair
from lowlight_edge.raw.scenes import HELD_OUT_IMAGES, load_image
from lowlight_edge.raw.sensor import SensorModel

REFERENCE_EXPOSURE_S = 10.0
EXPOSURE_FOR_RATIO = {100.0: 0.1, 250.0: 0.04, 300.0: 0.033}  # SID's short exposures for a 10 s reference
IDENTITY_SHOT = (("identity", "D65"),)  # the synthetic sensor in daylight: camera RGB = linear sRGB


@dataclass(frozen=True)
class SyntheticFrame:
    dng: Path
    truth: Path
    ratio: float
    iso: float
    phase: str
    camera: str = "identity"
    light: str = "D65"


def synthesize(outdir: Path, images: list[Path] | None = None, iso: float = 3200.0,
               ratios: tuple[float, ...] = (100.0, 250.0, 300.0), seed: int = 0, force: bool = False,
               shots: tuple[tuple[str, str], ...] = IDENTITY_SHOT) -> list[SyntheticFrame]:
    """Frames of the PNG files `images` (cropped to even size), or of the held-out photographs when none given;
    `shots` are (camera, light) pairs cycled over the frames."""
    if images:
        sources = {Path(p).stem: _even(read_png(p)) for p in images}
    else:
        sources = {name: load_image(name) for name in HELD_OUT_IMAGES}
    return write_frames(outdir, sources, seed=seed, ratios=ratios, iso=iso, force=force, shots=shots)


def _even(image: np.ndarray) -> np.ndarray:
    return image[: image.shape[0] // 2 * 2, : image.shape[1] // 2 * 2]


def write_frames(outdir: Path, images: dict[str, np.ndarray], seed: int = 0, ratios=(100.0, 250.0, 300.0),
                 iso: float = 3200.0, force: bool = False,
                 shots: tuple[tuple[str, str], ...] = IDENTITY_SHOT) -> list[SyntheticFrame]:
    """One frame per image, cycling through ratios, all four CFA phases and the (camera, light) `shots`."""
    rng = np.random.default_rng(seed)
    frames = []
    for index, (name, clean) in enumerate(images.items()):
        ratio = float(ratios[index % len(ratios)])
        phase = PHASES[index % len(PHASES)]
        key, light = shots[index % len(shots)]
        profile = camera(key)
        response = None if (key, light) == IDENTITY_SHOT[0] else camera_response(profile, light)
        pair = make_pair(clean, rng, ratio=ratio, iso=iso, phase=phase,
                         srgb_to_camera=None if response is None else response.srgb_to_camera)
        scene = 90001 + index
        exposure = EXPOSURE_FOR_RATIO.get(ratio, REFERENCE_EXPOSURE_S / ratio)
        sensor = SensorModel(iso=iso)
        dng = write_dng(Path(outdir) / f"{scene}_00_{exposure:g}s.dng", pair.bayer, phase, sensor.black,
                        sensor.white, exposure_s=exposure, iso=iso, force=force,
                        colour=None if response is None else response.tags, make=profile.make, model=profile.model)
        truth = write_png(Path(outdir) / f"{scene}_00_{REFERENCE_EXPOSURE_S:g}s.png", clean, bits=16, force=force)
        frames.append(SyntheticFrame(dng, truth, ratio, iso, phase, key, light))
    return frames
