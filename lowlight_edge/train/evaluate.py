"""Held-out evaluation: the model against the naive pipeline (amplify + LibRaw), PSNR, SSIM and LPIPS vs truth.

Each held-out image becomes one short-exposure frame per (ratio, ISO) condition, written as a DNG so the
naive pipeline sees exactly the file a user would have; the model sees the same frame, packed.
"""

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from lowlight_edge.metrics.quality import psnr, ssim
from lowlight_edge.raw.dng import write_dng
from lowlight_edge.raw.enhance import enhance_packed
from lowlight_edge.raw.naive import naive_render
from lowlight_edge.raw.pairs import make_pair
from lowlight_edge.raw.scenes import HELD_OUT_IMAGES, load_image
from lowlight_edge.raw.sensor import SensorModel

CONDITIONS = ((100.0, 1600.0), (300.0, 3200.0))  # (ratio, ISO)


@dataclass
class HeldOutFrame:
    """What one held-out condition looked like, for the model card's grid."""
    image: str
    ratio: float
    iso: float
    naive: np.ndarray | None  # sRGB [H, W, 3] in [0, 1]
    model: np.ndarray
    truth: np.ndarray


def scores(truth: np.ndarray, image: np.ndarray, lpips=None) -> dict[str, float]:
    """PSNR and SSIM, plus LPIPS when an LPIPS metric (metrics.lpips_backend) is given."""
    out = {"psnr": psnr(truth, image), "ssim": ssim(truth, image)}
    if lpips is not None:
        out["lpips"] = lpips(truth, image)[0]
    return out


def evaluate_held_out(infer: Callable[[np.ndarray], np.ndarray], names=HELD_OUT_IMAGES, conditions=CONDITIONS,
                      seed: int = 1234, with_naive: bool = True, lpips=None,
                      frames: list[HeldOutFrame] | None = None) -> dict:
    """Rows of model_* (and naive_*) scores per image and condition, and their means; `frames`, when a list,
    receives the images themselves."""
    rows = []
    rng = np.random.default_rng(seed)
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            clean = load_image(name)
            for ratio, iso in conditions:
                pair = make_pair(clean, rng, ratio=ratio, iso=iso, phase="RGGB")
                model_rgb = enhance_packed(infer, pair.packed)  # cropped and clipped to [0, 1]
                row = {"image": name, "ratio": ratio, "iso": iso}
                row.update({f"model_{k}": v for k, v in scores(clean, model_rgb, lpips).items()})
                naive = None
                if with_naive:
                    sensor = SensorModel(iso=iso)
                    dng = write_dng(Path(tmp) / f"{name}_{ratio:g}_{iso:g}.dng", pair.bayer, pair.phase,
                                    sensor.black, sensor.white)
                    naive = naive_render(dng, ratio)
                    row.update({f"naive_{k}": v for k, v in scores(clean, naive, lpips).items()})
                rows.append(row)
                if frames is not None:
                    frames.append(HeldOutFrame(name, ratio, iso, naive, model_rgb, clean))
    summary = {key: float(np.mean([r[key] for r in rows])) for key in rows[0] if key.startswith(("model_", "naive_"))}
    return {"rows": rows, "mean": summary}
