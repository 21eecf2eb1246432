"""The model card's picture: each held-out frame as the naive pipeline, the model (and a model before it) and the
truth show it."""

from pathlib import Path

import numpy as np

from lowlight_edge.errors import InputError
from lowlight_edge.fileio.atomic import atomic_output
from lowlight_edge.train.evaluate import HeldOutFrame

CROP = 256  # a centre crop at full resolution: the noise a user sees, not hidden by downscaling


def centre_crop(image: np.ndarray, size: int = CROP) -> np.ndarray:
    h, w = image.shape[:2]
    y, x = max((h - size) // 2, 0), max((w - size) // 2, 0)
    return image[y: y + size, x: x + size]


def grid_columns(with_before: bool) -> tuple[str, ...]:
    models = ("before", "this model") if with_before else ("model",)
    return ("naive pipeline (amplify + LibRaw)", *models, "ground truth")


def write_held_out_grid(path: Path, frames: list[HeldOutFrame], force: bool = False,
                        before: list[HeldOutFrame] | None = None) -> Path:
    """One row per frame (labelled with image, ratio and ISO), one column per rendering, as a PNG. `before`: the
    same frames rendered by an earlier model, shown beside this one."""
    from PIL import Image, ImageDraw

    def key(f):
        return f.image, f.ratio, f.iso, f.camera, f.light

    if before is not None and [key(f) for f in before] != [key(f) for f in frames]:
        raise InputError("the before model's held-out frames are not the same frames as this model's")
    columns = grid_columns(before is not None)
    gap, label = 6, 16
    size = min(CROP, *(min(f.truth.shape[:2]) for f in frames))
    width = len(columns) * (size + gap) - gap
    canvas = np.ones((label + len(frames) * (label + size + gap), width, 3), np.float32)
    for row, frame in enumerate(frames):
        top = label + row * (label + size + gap) + label
        naive = frame.naive if frame.naive is not None else np.zeros_like(frame.truth)
        models = (before[row].model, frame.model) if before is not None else (frame.model,)
        for col, image in enumerate((naive, *models, frame.truth)):
            canvas[top: top + size, col * (size + gap): col * (size + gap) + size] = np.clip(centre_crop(image, size), 0, 1)
    picture = Image.fromarray(np.round(canvas * 255).astype(np.uint8))
    draw = ImageDraw.Draw(picture)
    for col, title in enumerate(columns):
        draw.text((col * (size + gap) + 2, 2), title, fill=(0, 0, 0))
    for row, frame in enumerate(frames):
        draw.text((2, label + row * (label + size + gap) + 2),
                  f"{frame.image}, {frame.camera} under {frame.light}, ratio {frame.ratio:g}, ISO {frame.iso:g}",
                  fill=(0, 0, 0))
    with atomic_output(path, force) as tmp:
        picture.save(tmp, format="PNG")
    return Path(path)
