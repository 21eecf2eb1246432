"""The SID (See-in-the-Dark, Chen et al. 2018) dataset: list files, short/long pairs, ratios, ground truth.

A list line reads `./Sony/short/10003_00_0.04s.ARW ./Sony/long/10003_00_10s.ARW ISO200 F9`. Paths are
relative to the dataset root and must stay inside it (a list is input too: `../../etc/passwd` is refused).
The ratio is long / short exposure capped at 300; the ground truth is LibRaw's rendering of the long
exposure with the camera's white balance, no auto-brightening, 16 bits, as SID's own scripts do.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np

from lowlight_edge.errors import InputError
from lowlight_edge.fileio.limits import read_text_limited
from lowlight_edge.raw.ratio import exposure_from_name, sid_ratio
from lowlight_edge.raw.reader import open_raw


@dataclass(frozen=True)
class SidPair:
    short: Path
    long: Path
    ratio: float
    iso: str
    aperture: str


def parse_sid_list(list_file: Path, root: Path | None = None) -> list[SidPair]:
    """Pairs from a SID list; `root` defaults to the list's folder (where SID keeps them)."""
    return list(iter_sid_list(list_file, root))


def iter_sid_list(list_file: Path, root: Path | None = None) -> Iterator[SidPair]:
    """The pairs of a SID list one line at a time: a reader that needs 16 frames checks 16 lines, not a million
    (each check resolves paths on disk). One InputError for an unreadable list or one without pairs."""
    list_file = Path(list_file)
    root = Path(root) if root is not None else list_file.parent
    found = False
    for number, line in _entries(list_file):
        found = True
        yield _parse_line(line, number, list_file, root)
    if not found:
        raise InputError(f"{list_file} lists no image pairs")


def count_sid_pairs(list_file: Path) -> int:
    """How many pair lines a SID list has, without checking them (for progress totals)."""
    return sum(1 for _ in _entries(Path(list_file)))


def _entries(list_file: Path) -> Iterator[tuple[int, str]]:
    try:
        text = read_text_limited(list_file, "SID list")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{list_file} is not a readable text list ({exc})") from exc
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip() and not line.lstrip().startswith("#"):
            yield number, line


def _parse_line(line: str, number: int, list_file: Path, root: Path) -> SidPair:
    fields = line.split()
    where = f"{list_file}:{number}"
    if "\x00" in line:
        raise InputError(f"{where}: the line holds a NUL byte; not a SID list")
    if len(fields) < 2:
        raise InputError(f"{where}: expected 'SHORT LONG [ISO] [F]', got {line.strip()[:80]!r}")
    short, long = (_inside(root, f, where) for f in fields[:2])
    exposures = [exposure_from_name(p) for p in (short, long)]
    if None in exposures:
        raise InputError(f"{where}: file names must carry the exposure like 10003_00_0.04s.ARW")
    iso = fields[2] if len(fields) > 2 else ""
    aperture = fields[3] if len(fields) > 3 else ""
    return SidPair(short, long, sid_ratio(exposures[0], exposures[1]), iso, aperture)


def _inside(root: Path, relative: str, where: str) -> Path:
    root_resolved = root.resolve()
    path = (root / relative).resolve()
    if not path.is_relative_to(root_resolved):
        raise InputError(f"{where}: path {relative!r} leaves the dataset root {root}; refused")
    return path


def ground_truth(long_exposure: Path) -> np.ndarray:
    """SID ground truth: float32 sRGB [H, W, 3] in [0, 1] from the long exposure."""
    with open_raw(long_exposure) as raw:
        rgb = raw.postprocess(use_camera_wb=True, half_size=False, no_auto_bright=True, output_bps=16)
    return rgb.astype(np.float32) / 65535.0
