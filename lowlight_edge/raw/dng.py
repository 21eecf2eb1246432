"""Write Bayer frames as DNG files that LibRaw (rawpy) reads back bit for bit.

The DNG carries what a reader needs: CFA pattern, per-position black levels, white level, bit depth,
camera make and model, exposure time and ISO. Its colour calibration describes the synthetic camera of
`sensor.py`, whose raw colour space is linear sRGB (D65): ColorMatrix1 is then the XYZ -> linear sRGB
matrix and AsShotNeutral is (1, 1, 1), so a raw converter renders the frame without a colour cast.
"""

from fractions import Fraction
from pathlib import Path

import numpy as np

from lowlight_edge.errors import InputError
from lowlight_edge.fileio.atomic import atomic_output
from lowlight_edge.raw.cfa import PHASES, channel_offsets

# XYZ (D65) -> linear sRGB, IEC 61966-2-1
XYZ_TO_SRGB = np.array([[3.2406, -1.5372, -0.4986], [-0.9689, 1.8758, 0.0415], [0.0557, -0.2040, 1.0570]])
_CFA_CODE = {"R": 0, "G": 1, "B": 2}
_MAKE, _MODEL = "lowlight-edge", "Synthetic a7S II-class sensor"


def _rational(value: float, denominator: int = 10000) -> tuple[int, int]:
    frac = Fraction(value).limit_denominator(denominator)
    return frac.numerator, frac.denominator


def write_dng(path: Path, bayer: np.ndarray, phase: str, black, white: int, exposure_s: float | None = None,
              iso: float | None = None, force: bool = False) -> Path:
    """Write a uint16 Bayer mosaic as an uncompressed DNG (atomically).

    `black` is one level per packed channel (R, G1, B, G2) or a single number.
    """
    import tifffile

    if bayer.ndim != 2 or bayer.dtype != np.uint16:
        raise InputError(f"a DNG frame must be a 2-D uint16 mosaic, got {bayer.dtype} {list(bayer.shape)}")
    phase = phase.upper()
    if phase not in PHASES:
        raise InputError(f"unsupported CFA phase {phase!r}; choose from {', '.join(PHASES)}")
    # BlackLevel is stored per CFA position (row-major), as BlackLevelRepeatDim 2x2 says.
    black_cell = [0] * 4
    for level, (dy, dx) in zip(np.broadcast_to(np.asarray(black), (4,)), channel_offsets(phase)):
        black_cell[2 * dy + dx] = int(level)
    colour_matrix = [v for x in XYZ_TO_SRGB.flatten() for v in _rational(float(x))]
    tags = [
        (254, "I", 1, 0, True),  # NewSubfileType: the main image
        (271, "s", 0, _MAKE, True),
        (272, "s", 0, _MODEL, True),
        (33421, "H", 2, (2, 2), True),  # CFARepeatPatternDim
        (33422, "B", 4, tuple(_CFA_CODE[c] for c in phase), True),  # CFAPattern
        (50706, "B", 4, (1, 4, 0, 0), True),  # DNGVersion
        (50707, "B", 4, (1, 1, 0, 0), True),  # DNGBackwardVersion
        (50708, "s", 0, _MODEL, True),  # UniqueCameraModel
        (50710, "B", 3, (0, 1, 2), True),  # CFAPlaneColor
        (50711, "H", 1, 1, True),  # CFALayout: rectangular
        (50713, "H", 2, (2, 2), True),  # BlackLevelRepeatDim
        (50714, "I", 4, tuple(black_cell), True),  # BlackLevel
        (50717, "I", 1, int(white), True),  # WhiteLevel
        (50721, "2i", 9, tuple(colour_matrix), True),  # ColorMatrix1 (XYZ -> camera)
        (50728, "2I", 3, (1, 1, 1, 1, 1, 1), True),  # AsShotNeutral
        (50778, "H", 1, 21, True),  # CalibrationIlluminant1: D65
    ]
    if exposure_s is not None:
        tags.append((33434, "2I", 1, _rational(exposure_s, 1_000_000), True))  # ExposureTime
    if iso is not None:
        tags.append((34855, "H", 1, int(iso), True))  # ISOSpeedRatings
    with atomic_output(path, force) as tmp:
        tifffile.imwrite(tmp, bayer, photometric=32803, planarconfig="contig", extratags=tags,
                         metadata=None, software=False)
    return Path(path)
