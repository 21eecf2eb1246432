"""Write Bayer frames as DNG files that LibRaw (rawpy) reads back bit for bit.

The DNG carries what a reader needs: CFA pattern, per-position black levels, white level, bit depth,
camera make and model, exposure time, ISO and orientation, and the camera's colour tags (raw/dng_colour.py):
ColorMatrix1/2 with their CalibrationIlluminants and AsShotNeutral, as a camera's own DNG has them (and, for tests,
AsShotWhiteXY, ForwardMatrix1/2, CameraCalibration1/2 and AnalogBalance). Without colour tags given, they describe
the identity sensor of `sensor.py` (camera RGB = linear sRGB, D65): ColorMatrix1 = XYZ -> linear sRGB and
AsShotNeutral (1, 1, 1), so a raw converter renders the frame without a colour cast.
"""

from fractions import Fraction
from pathlib import Path

import numpy as np

from lowlight_edge.errors import InputError
from lowlight_edge.fileio.atomic import atomic_output
from lowlight_edge.raw.cameras import IDENTITY
from lowlight_edge.raw.cfa import PHASES, channel_offsets
from lowlight_edge.raw.dng_colour import (
    ANALOG_BALANCE,
    AS_SHOT_NEUTRAL,
    AS_SHOT_WHITE_XY,
    CALIBRATION_ILLUMINANT,
    CAMERA_CALIBRATION,
    COLOR_MATRIX,
    FORWARD_MATRIX,
    DngColourTags,
)
from lowlight_edge.raw.orientation import FLIP_OF_ORIENTATION

_CFA_CODE = {"R": 0, "G": 1, "B": 2}
IDENTITY_TAGS = DngColourTags(IDENTITY.color_matrices, IDENTITY.illuminants, as_shot_neutral=np.ones(3))


def _rational(value: float, denominator: int = 10000) -> tuple[int, int]:
    frac = Fraction(value).limit_denominator(denominator)
    return frac.numerator, frac.denominator


def write_dng(path: Path, bayer: np.ndarray, phase: str, black, white: int, exposure_s: float | None = None,
              iso: float | None = None, force: bool = False, colour: DngColourTags | None = None,
              orientation: int = 1, make: str = IDENTITY.make, model: str = IDENTITY.model) -> Path:
    """Write a uint16 Bayer mosaic as an uncompressed DNG (atomically).

    `black` is one level per packed channel (R, G1, B, G2) or a single number; `colour` the camera's colour tags
    (default: the identity sensor's); `orientation` the TIFF Orientation (1-8) a reader applies to the picture.
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
    if orientation not in FLIP_OF_ORIENTATION:
        raise InputError(f"orientation must be 1-8, got {orientation}")
    tags = [
        (254, "I", 1, 0, True),  # NewSubfileType: the main image
        (271, "s", 0, make, True),
        (272, "s", 0, model, True),
        (274, "H", 1, int(orientation), True),
        (33421, "H", 2, (2, 2), True),  # CFARepeatPatternDim
        (33422, "B", 4, tuple(_CFA_CODE[c] for c in phase), True),  # CFAPattern
        (50706, "B", 4, (1, 4, 0, 0), True),  # DNGVersion
        (50707, "B", 4, (1, 1, 0, 0), True),  # DNGBackwardVersion
        (50708, "s", 0, f"{make} {model}", True),  # UniqueCameraModel
        (50710, "B", 3, (0, 1, 2), True),  # CFAPlaneColor
        (50711, "H", 1, 1, True),  # CFALayout: rectangular
        (50713, "H", 2, (2, 2), True),  # BlackLevelRepeatDim
        (50714, "I", 4, tuple(black_cell), True),  # BlackLevel
        (50717, "I", 1, int(white), True),  # WhiteLevel
        *colour_tags(colour if colour is not None else IDENTITY_TAGS),
    ]
    if exposure_s is not None:
        tags.append((33434, "2I", 1, _rational(exposure_s, 1_000_000), True))  # ExposureTime
    if iso is not None:
        tags.append((34855, "H", 1, int(iso), True))  # ISOSpeedRatings
    with atomic_output(path, force) as tmp:
        tifffile.imwrite(tmp, bayer, photometric=32803, planarconfig="contig", extratags=tags,
                         metadata=None, software=False)
    return Path(path)


def colour_tags(colour: DngColourTags) -> list[tuple]:
    """tifffile extratags for a camera's colour tags (matrices SRATIONAL over 10000, neutrals RATIONAL over 10^6)."""
    def signed(matrix) -> tuple:
        return tuple(v for x in np.ravel(matrix) for v in _rational(float(x)))

    def positive(values) -> tuple:
        return tuple(v for x in np.ravel(values) for v in _rational(float(x), 1_000_000))

    tags = []
    for code, matrix in zip(COLOR_MATRIX, colour.color_matrices):
        tags.append((code, "2i", 9, signed(matrix), True))
    for code, illuminant in zip(CALIBRATION_ILLUMINANT, colour.illuminants):
        tags.append((code, "H", 1, int(illuminant), True))
    for code, matrix in zip(FORWARD_MATRIX, colour.forward_matrices):
        tags.append((code, "2i", 9, signed(matrix), True))
    for code, matrix in zip(CAMERA_CALIBRATION, colour.camera_calibrations):
        tags.append((code, "2i", 9, signed(matrix), True))
    if colour.analog_balance is not None:
        tags.append((ANALOG_BALANCE, "2I", 3, positive(colour.analog_balance), True))
    if colour.as_shot_neutral is not None:
        tags.append((AS_SHOT_NEUTRAL, "2I", 3, positive(colour.as_shot_neutral), True))
    if colour.as_shot_white_xy is not None:
        tags.append((AS_SHOT_WHITE_XY, "2I", 2, positive(colour.as_shot_white_xy), True))
    return sorted(tags)
