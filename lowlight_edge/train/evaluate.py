"""Held-out evaluation: the model against the naive pipeline (amplify + LibRaw), PSNR and SSIM vs truth.

Each held-out image becomes one short-exposure frame per (ratio, ISO) condition, written as a DNG so the
naive pipeline sees exactly the file a user would have; the model sees the same frame, packed.
"""

import tempfile
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


def psnr_ssim(truth: np.ndarray, image: np.ndarray) -> tuple[float, float]:
    return psnr(truth, image), ssim(truth, image)


def evaluate_held_out(infer: Callable[[np.ndarray], np.ndarray], names=HELD_OUT_IMAGES, conditions=CONDITIONS,
                      seed: int = 1234, with_naive: bool = True) -> dict:
    rows = []
    rng = np.random.default_rng(seed)
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            clean = load_image(name)
            for ratio, iso in conditions:
                pair = make_pair(clean, rng, ratio=ratio, iso=iso, phase="RGGB")
                truth = clean
                model_rgb = enhance_packed(infer, pair.packed)
                row = {"image": name, "ratio": ratio, "iso": iso}
                row["model_psnr"], row["model_ssim"] = psnr_ssim(truth, model_rgb)
                if with_naive:
                    sensor = SensorModel(iso=iso)
                    dng = write_dng(Path(tmp) / f"{name}_{ratio:g}_{iso:g}.dng", pair.bayer, pair.phase,
                                    sensor.black, sensor.white)
                    row["naive_psnr"], row["naive_ssim"] = psnr_ssim(truth, naive_render(dng, ratio))
                rows.append(row)
    summary = {key: float(np.mean([r[key] for r in rows])) for key in rows[0] if key.endswith(("_psnr", "_ssim"))}
    return {"rows": rows, "mean": summary}
