"""How much noisier a real camera's file is than the identity sensor's, before any model: the held-out frames of
every model-card camera response, converted to neutral (`RawFrame.pack(ratio, "neutral")`), each 2x2 cell's
(R, mean G, B) against the truth's cell mean in linear light, as PSNR; then each response's difference from the
identity sensor's. A model's output gap between the two can be read against this input gap.

Usage: python benchmarks/scripts/camera_noise_penalty.py
"""

import tempfile
from pathlib import Path

import numpy as np

from lowlight_edge.raw.reader import read_raw
from lowlight_edge.raw.scenes import HELD_OUT_IMAGES, load_image
from lowlight_edge.raw.sensor import srgb_to_linear
from lowlight_edge.train.evaluate import CARD_RESPONSES, CONDITIONS, IDENTITY_RESPONSE, held_out_dng


def input_psnr(response: tuple[str, str]) -> list[float]:
    """PSNR (dB) of each held-out frame's converted input, the same seeds as the model card's evaluation."""
    rng, values = np.random.default_rng(1234), []
    for name in HELD_OUT_IMAGES:
        clean = load_image(name)
        linear = srgb_to_linear(clean.astype(np.float64))
        cells = linear.reshape(linear.shape[0] // 2, 2, linear.shape[1] // 2, 2, 3).mean(axis=(1, 3))
        for ratio, iso in CONDITIONS:
            with tempfile.TemporaryDirectory() as folder:
                packed = read_raw(held_out_dng(Path(folder), clean, ratio, iso, response, rng, name)).pack(ratio,
                                                                                                       "neutral")
            rgb = np.clip(np.stack([packed[0], (packed[1] + packed[3]) / 2, packed[2]], axis=-1), 0, 1)
            values.append(float(10 * np.log10(1 / np.mean((rgb - cells) ** 2))))
    return values


def main() -> None:
    found = {response: input_psnr(response) for response in CARD_RESPONSES}
    base = np.array(found[IDENTITY_RESPONSE])
    frames = [f"{name} {ratio:g}/{iso:g}" for name in HELD_OUT_IMAGES for ratio, iso in CONDITIONS]
    print("| camera | light | " + " | ".join(frames) + " | mean vs identity (dB) |")
    print("| --- | --- | " + " | ".join("---" for _ in frames) + " | --- |")
    for (key, light), values in found.items():
        print(f"| {key} | {light} | " + " | ".join(f"{v:.2f}" for v in values)
              + f" | {np.mean(np.array(values) - base):+.2f} |")


if __name__ == "__main__":
    main()
