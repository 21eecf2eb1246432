"""Held-out evaluation: the model against the naive pipeline (amplify + LibRaw), PSNR, SSIM and LPIPS vs truth, and
each channel's mean against the truth's (does the colour come out right?).

Each held-out image becomes one short-exposure frame per camera response and (ratio, ISO) condition, written as a
DNG carrying the camera's colour tags and read back, so the model and the naive pipeline see exactly the file a user
would have; the model sees it packed by its input convention (a `neutral` model white-balanced and converted with
the file's own colour metadata).
"""

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from lowlight_edge.metrics.quality import psnr, ssim
from lowlight_edge.raw.camera_response import camera_response
from lowlight_edge.raw.cameras import HELD_OUT_CAMERAS, HELD_OUT_LIGHTS, camera
from lowlight_edge.raw.dng import write_dng
from lowlight_edge.raw.naive import naive_render
from lowlight_edge.raw.padded_inference import enhance_packed
from lowlight_edge.raw.reader import read_raw
from lowlight_edge.raw.scenes import HELD_OUT_IMAGES, load_image
from lowlight_edge.raw.sensor import SensorModel, simulate_short_exposure

CONDITIONS = ((100.0, 1600.0), (300.0, 3200.0))  # (ratio, ISO)
IDENTITY_RESPONSE = ("identity", "D65")  # the synthetic sensor every earlier evaluation used
# the model card's frames: the identity sensor, and three makers' cameras the training never saw under two lights
CARD_RESPONSES = (IDENTITY_RESPONSE, *((key, light) for key in HELD_OUT_CAMERAS for light in HELD_OUT_LIGHTS))


@dataclass
class HeldOutFrame:
    """What one held-out condition looked like, for the model card's grid."""
    image: str
    ratio: float
    iso: float
    naive: np.ndarray | None  # sRGB [H, W, 3] in [0, 1]
    model: np.ndarray
    truth: np.ndarray
    camera: str = "identity"
    light: str = "D65"


def scores(truth: np.ndarray, image: np.ndarray, lpips=None) -> dict[str, float]:
    """PSNR and SSIM, plus LPIPS when an LPIPS metric (metrics.lpips_backend) is given."""
    out = {"psnr": psnr(truth, image), "ssim": ssim(truth, image)}
    if lpips is not None:
        out["lpips"] = lpips(truth, image)[0]
    return out


def channel_means(image: np.ndarray) -> list[float]:
    return [float(image[..., c].mean()) for c in range(3)]


def channel_ratio(truth: np.ndarray, image: np.ndarray) -> list[float]:
    """Each channel's mean over the truth's: 1, 1, 1 when the colour is right (a cast shows as unequal values)."""
    return [m / max(t, 1e-6) for m, t in zip(channel_means(image), channel_means(truth))]


def held_out_dng(folder: Path, clean: np.ndarray, ratio: float, iso: float, response: tuple[str, str],
                 rng: np.random.Generator, name: str) -> Path:
    """A seeded short exposure of `clean` by a camera under a light, as the DNG that camera would write."""
    key, light = response
    sensor = SensorModel(iso=iso)
    shot = None if response == IDENTITY_RESPONSE else camera_response(camera(key), light)
    bayer = simulate_short_exposure(clean, ratio, sensor, "RGGB", rng,
                                    srgb_to_camera=None if shot is None else shot.srgb_to_camera)
    profile = camera(key)
    return write_dng(folder / f"{name}_{key}_{light}_{ratio:g}_{iso:g}.dng", bayer, "RGGB", sensor.black,
                     sensor.white, iso=iso, colour=None if shot is None else shot.tags, make=profile.make,
                     model=profile.model)


def evaluate_held_out(infer: Callable[[np.ndarray], np.ndarray], names=HELD_OUT_IMAGES, conditions=CONDITIONS,
                      responses=(IDENTITY_RESPONSE,), convention: str = "camera", seed: int = 1234,
                      with_naive: bool = True, lpips=None, frames: list[HeldOutFrame] | None = None) -> dict:
    """Rows of model_* (and naive_*) scores per camera response, image and condition, their means, and the means per
    camera response (`by_response`); `frames`, when a list, receives the images themselves.

    `convention` is the model's input convention: how it is fed the frame (raw/colour.py)."""
    rows = []
    rng = np.random.default_rng(seed)
    with tempfile.TemporaryDirectory() as tmp:
        for response in responses:
            for name in names:
                clean = load_image(name)
                for ratio, iso in conditions:
                    dng = held_out_dng(Path(tmp), clean, ratio, iso, response, rng, name)
                    model_rgb = enhance_packed(infer, read_raw(dng).pack(ratio, convention))  # cropped, clipped
                    row = {"image": name, "ratio": ratio, "iso": iso, "camera": response[0], "light": response[1]}
                    row.update({f"model_{k}": v for k, v in scores(clean, model_rgb, lpips).items()})
                    row["model_channel_ratio"] = channel_ratio(clean, model_rgb)
                    row["model_channel_mean"], row["truth_channel_mean"] = channel_means(model_rgb), channel_means(clean)
                    naive = naive_render(dng, ratio) if with_naive else None
                    if naive is not None:
                        row.update({f"naive_{k}": v for k, v in scores(clean, naive, lpips).items()})
                    rows.append(row)
                    if frames is not None:
                        frames.append(HeldOutFrame(name, ratio, iso, naive, model_rgb, clean, *response))
    return {"rows": rows, "mean": _means(rows), "by_response": [
        {"camera": key, "light": light, **_means([r for r in rows if (r["camera"], r["light"]) == (key, light)])}
        for key, light in responses]}


def against_identity(identity: dict, shot: dict) -> tuple[float, float]:
    """How far a camera response's frames are from the identity sensor's (`by_response` entries): the largest
    relative difference of a channel's mean / truth, and the PSNR difference (dB)."""
    colour = max(abs(a - b) / max(b, 1e-6) for a, b in zip(shot["model_channel_ratio"], identity["model_channel_ratio"]))
    return float(colour), float(shot["model_psnr"] - identity["model_psnr"])


PER_CHANNEL = ("model_channel_ratio", "model_channel_mean", "truth_channel_mean")


def _means(rows: list[dict]) -> dict:
    """Mean scores; the channel ratio of a set of frames is the ratio of their channel means (a frame whose channel is
    nearly black would otherwise weigh as much as a bright one)."""
    means = {key: float(np.mean([r[key] for r in rows])) for key in rows[0]
             if key.startswith(("model_", "naive_")) and key not in PER_CHANNEL}
    model, truth = (np.sum([r[key] for r in rows], axis=0) for key in PER_CHANNEL[1:])
    means["model_channel_ratio"] = (model / np.maximum(truth, 1e-6)).round(4).tolist()
    return means
