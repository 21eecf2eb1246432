"""Image grid for one validation frame: input | reference | candidate | |difference| | LPIPS map."""

from pathlib import Path

import numpy as np

from lowlight_edge.fileio.atomic import atomic_output
from lowlight_edge.raw.sensor import linear_to_srgb

# A perceptually ordered dark-to-bright ramp (inferno-like anchors) for the heat maps.
_RAMP = np.array([[0, 0, 4], [87, 16, 110], [188, 55, 84], [249, 142, 9], [252, 255, 164]], np.float32) / 255
PANELS = ("input (amplified)", "reference", "candidate", "|difference| x{gain:g}", "LPIPS map (0..{top:.2g})")


def heat(values: np.ndarray, top: float) -> np.ndarray:
    """[H, W] -> RGB [H, W, 3] through the ramp, 0 -> dark, `top` and above -> bright."""
    t = np.clip(values / max(top, 1e-12), 0, 1) * (len(_RAMP) - 1)
    return np.stack([np.interp(t, np.arange(len(_RAMP)), _RAMP[:, c]) for c in range(3)], axis=-1)


def input_preview(packed: np.ndarray) -> np.ndarray:
    """Packed [4, h, w] (amplified, linear) -> a viewable sRGB image at full size (nearest upsampling)."""
    rgb = np.stack([packed[0], 0.5 * (packed[1] + packed[3]), packed[2]], axis=-1)
    return np.repeat(np.repeat(linear_to_srgb(rgb), 2, axis=0), 2, axis=1)


def write_grid(path: Path, packed: np.ndarray, reference: np.ndarray, candidate: np.ndarray, lpips_map: np.ndarray,
               diff_gain: float = 10.0, force: bool = True) -> Path:
    from PIL import Image, ImageDraw

    h, w = reference.shape[:2]
    diff = np.abs(candidate - reference).mean(axis=2) * diff_gain
    top = float(max(lpips_map.max(), 1e-3))
    panels = [input_preview(packed)[:h, :w], reference, candidate, heat(diff, 1.0), heat(lpips_map, top)]
    gap, label = 6, 18
    canvas = np.ones((h + label, len(panels) * (w + gap) - gap, 3), np.float32)
    for i, panel in enumerate(panels):
        canvas[label:, i * (w + gap): i * (w + gap) + w] = np.clip(panel, 0, 1)
    image = Image.fromarray(np.round(canvas * 255).astype(np.uint8))
    draw = ImageDraw.Draw(image)
    for i, title in enumerate(PANELS):
        draw.text((i * (w + gap) + 2, 3), title.format(gain=diff_gain, top=top), fill=(0, 0, 0))
    with atomic_output(path, force) as tmp:
        image.save(tmp, format="PNG")
    return Path(path)
