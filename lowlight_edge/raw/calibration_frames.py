"""Calibration frames for FP16 range checks and INT8 quantization: real packed, amplified RAW frames.

SOURCE is one of: a folder of RAW files, a SID list file (`*.txt`), a folder of `.npy` packed frames
([4, h, w] or [1, 4, h, w], already normalised), or `synthetic:N` (N frames of the sensor model). Frames
are cropped (centre) or reflect-padded to the calibration shape, so every batch has the same shape -
the optimum shape of the engine the model is calibrated for. RAW frames are packed for the model's input
convention; a `neutral` model's synthetic frames are shot by the training cameras under incandescent light and
daylight (the noise a conversion correlates is what its activations see).
"""

from pathlib import Path
from typing import Iterator

import numpy as np

from lowlight_edge.errors import InputError
from lowlight_edge.fileio.inputs import scan_folder
from lowlight_edge.raw import datasets
from lowlight_edge.raw.cameras import TRAIN_CAMERAS, camera_shots
from lowlight_edge.raw.scenes import CALIBRATION_IMAGES
from lowlight_edge.raw.synth_frames import IDENTITY_SHOT


def fit_shape(packed: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Centre-crop or reflect-pad [4, h, w] to [4, H, W]."""
    h, w = shape
    _, ph, pw = packed.shape
    top, left = max((ph - h) // 2, 0), max((pw - w) // 2, 0)
    packed = packed[:, top: top + h, left: left + w]
    pad_h, pad_w = h - packed.shape[1], w - packed.shape[2]
    if pad_h or pad_w:
        mode = "reflect" if pad_h < packed.shape[1] and pad_w < packed.shape[2] else "edge"
        packed = np.pad(packed, [(0, 0), (0, pad_h), (0, pad_w)], mode=mode)
    return np.ascontiguousarray(packed, dtype=np.float32)


def iter_packed(source: str, seed: int = 0, convention: str = "camera") -> Iterator[tuple[str, np.ndarray]]:
    """(name, packed [4, h, w]) for every frame of SOURCE, packed for `convention`; raises InputError for an empty
    or bad source."""
    count = 0
    if source.startswith("synthetic:"):
        try:
            n = int(source.split(":", 1)[1])
        except ValueError:
            raise InputError(f"calibration source {source!r}: use synthetic:N with N a whole number") from None
        # calibration photographs: never the selection or held-out ones (raw/scenes.py)

        shots = camera_shots(TRAIN_CAMERAS) if convention == "neutral" else IDENTITY_SHOT
        frames = ((s.name, s.packed) for s in datasets.synthetic_samples(n, seed=seed, names=CALIBRATION_IMAGES,
                                                                         convention=convention, shots=shots))
    else:
        path = Path(source)
        if path.is_file() and path.suffix.lower() == ".txt":
            frames = ((s.name, s.packed) for s in datasets.sid_samples(path, convention=convention))
        elif path.is_dir() and any(path.glob("*.npy")):
            frames = _npy_frames(path)
        elif path.is_dir():
            frames = ((s.name, s.packed) for s in datasets.folder_samples(path, convention=convention))
        elif not path.exists():
            raise InputError(f"calibration source not found: {source} (a RAW folder, a .npy folder, a SID list "
                             "or synthetic:N)")
        else:
            raise InputError(f"calibration source {source} is neither a folder, a SID list (.txt) nor synthetic:N")
    for name, packed in frames:
        if not np.isfinite(packed).all():
            raise InputError(f"calibration frame {name} contains NaN/Inf values")
        count += 1
        yield name, packed
    if count == 0:
        raise InputError(f"calibration source {source} gave no frames")


def _npy_frames(folder: Path) -> Iterator[tuple[str, np.ndarray]]:
    for path in scan_folder(folder, {".npy"}):
        try:
            array = np.load(path, allow_pickle=False)
        except (ValueError, OSError) as exc:
            raise InputError(f"{path} is not a readable .npy array ({exc})") from exc
        if array.dtype.kind not in "fiu":
            raise InputError(f"{path} holds {array.dtype} values; packed frames are numbers (float32)")
        if array.ndim == 4 and array.shape[0] == 1:
            array = array[0]
        if array.ndim != 3 or array.shape[0] != 4:
            raise InputError(f"{path}: packed frames are [4, h, w], got {list(array.shape)}")
        yield path.name, array.astype(np.float32)


def calibration_batches(source: str, shape: tuple[int, int], limit: int | None = None,
                        seed: int = 0, convention: str = "camera") -> list[np.ndarray]:
    """All frames of SOURCE fitted to `shape`, as [1, 4, H, W] arrays (at most `limit`), packed for `convention`."""
    out = []
    for _, packed in iter_packed(source, seed, convention):
        out.append(fit_shape(packed, shape)[None])
        if limit and len(out) >= limit:
            break
    return out
