"""Frame sources for validation and calibration: a folder of RAW files, a SID list, or synthetic frames.

Every source yields `Sample(name, packed, truth)`: the packed, amplified input and, when the data has
one, the ground-truth sRGB image [H, W, 3] in [0, 1] (cropped to the packed frame's output size). Frames are
packed for a model's input convention (raw/colour.py): a `neutral` model's converted with each file's colour.
"""

import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np

from lowlight_edge.errors import InputError
from lowlight_edge.fileio.inputs import inside, scan_folder
from lowlight_edge.fileio.png import read_png
from lowlight_edge.raw.frame import RawFrame
from lowlight_edge.raw.ratio import resolve_ratio
from lowlight_edge.raw.reader import read_raw
from lowlight_edge.raw.scenes import HELD_OUT_IMAGES, load_image
from lowlight_edge.raw.sid import ground_truth, iter_sid_list
from lowlight_edge.raw.synth_frames import IDENTITY_SHOT, write_frames

RAW_SUFFIXES = {".arw", ".dng", ".nef", ".cr2", ".cr3", ".raf", ".orf", ".rw2", ".pef", ".srw", ".nrw", ".raw"}
_SCENE = re.compile(r"^(\d+_\d+)_")


@dataclass
class Sample:
    name: str
    packed: np.ndarray  # float32 [4, h, w]
    truth: np.ndarray | None  # float32 [2h, 2w, 3] or None
    frame: RawFrame | None = None  # the decoded RAW frame `packed` came from: what pipeline models take
    ratio: float | None = None  # the amplification `packed` was made with


def raw_files_in(folder: Path) -> list[Path]:
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"folder not found: {folder}")
    files = scan_folder(folder, RAW_SUFFIXES)
    if not files:
        raise InputError(f"no RAW files ({', '.join(sorted(RAW_SUFFIXES))}) in folder {folder}")
    return files


def folder_samples(folder: Path, ratio: float | None = None, convention: str = "camera") -> Iterator[Sample]:
    """RAW files of a folder; a PNG of the same SID scene (`90001_00_10s.png`) is the ground truth."""
    for path in raw_files_in(folder):
        frame = read_raw(path)
        used, _ = resolve_ratio(path, ratio, None, frame.exposure_s)
        packed = frame.pack(used, convention)
        truth_path = _truth_beside(path)
        truth = _crop_truth(read_png(truth_path), packed) if truth_path else None
        yield Sample(path.name, packed, truth, frame, used)


def sid_samples(list_file: Path, root: Path | None = None, convention: str = "camera") -> Iterator[Sample]:
    for pair in iter_sid_list(list_file, root):
        frame = read_raw(pair.short)
        packed = frame.pack(pair.ratio, convention)
        yield Sample(pair.short.name, packed, _crop_truth(ground_truth(pair.long), packed), frame, pair.ratio)


def synthetic_samples(count: int, seed: int = 0, names: tuple[str, ...] | None = None, convention: str = "camera",
                      shots: tuple[tuple[str, str], ...] = IDENTITY_SHOT,
                      ratios: tuple[float, ...] | None = None) -> Iterator[Sample]:
    """`count` frames of sample photographs (default: the held-out ones), cycling images, ratios (default 100, 250,
    300), CFA phases and (camera, light) `shots`, made through real DNG files."""

    names = names or HELD_OUT_IMAGES
    if count < 1:
        raise InputError(f"synthetic data needs at least 1 frame, got {count}")
    images = {f"{names[i % len(names)]}-{i}": load_image(names[i % len(names)]) for i in range(count)}
    with tempfile.TemporaryDirectory() as tmp:
        frames = write_frames(Path(tmp), images, seed=seed, shots=shots, **({"ratios": ratios} if ratios else {}))
        for name, frame in zip(images, frames):
            raw = read_raw(frame.dng)
            packed = raw.pack(frame.ratio, convention)
            yield Sample(name, packed, images[name][: 2 * packed.shape[1], : 2 * packed.shape[2]], raw, frame.ratio)


def _truth_beside(path: Path) -> Path | None:
    match = _SCENE.match(path.stem)
    if not match:
        found = [path.with_suffix(".png")] if path.with_suffix(".png").is_file() else []
    else:
        found = sorted(path.parent.glob(f"{match.group(1)}_*s.png"))
    return inside(path.parent, found[0], f"ground truth beside {path.name}") if found else None


def _crop_truth(truth: np.ndarray, packed: np.ndarray) -> np.ndarray:
    h, w = 2 * packed.shape[1], 2 * packed.shape[2]
    if truth.shape[0] < h or truth.shape[1] < w:
        raise InputError(f"ground truth of {truth.shape[1]}x{truth.shape[0]} is smaller than the frame ({w}x{h})")
    return truth[:h, :w]
