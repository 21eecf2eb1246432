"""A DNG's colour tags and the camera -> linear sRGB conversion they define, by the DNG specification's chapter
"Mapping Camera Color Space to CIE XYZ Space" (DNG 1.4, as the Adobe DNG SDK implements it):

- XYZtoCamera = AB * CC * CM, where CM (ColorMatrix1/2), CC (CameraCalibration1/2) are interpolated between the two
  calibration illuminants by the inverse of the white's correlated colour temperature, and AB = AnalogBalance;
- the as-shot white: AsShotWhiteXY, or the chromaticity whose camera response is AsShotNeutral (found by iteration,
  since the interpolation depends on it);
- camera -> XYZ (D50): with ForwardMatrix1/2, FM * diag(1 / ReferenceNeutral) * inverse(AB * CC); without, the
  Bradford adaptation from the white to D50 times inverse(XYZtoCamera);
- then XYZ (D50) -> linear sRGB (D65) by Bradford, split into white-balance gains and a matrix (raw/colour.py).

Every tag is range-checked first: a singular, non-finite or absurd value is one error naming the tag.
The tests check the maths against colour-hdri (an independent implementation of the same chapter) and the result
against LibRaw's own rendering.
"""

from dataclasses import dataclass

import numpy as np

from lowlight_edge.errors import InputError
from lowlight_edge.raw.colorimetry import XY_D50, XY_D65, XYZ_TO_SRGB, bradford, cct_from_xy, xy_to_xyz, xyz_to_xy
from lowlight_edge.raw.colour import MAX_ENTRY, ColourConversion, check_matrix
from lowlight_edge.raw.illuminants import CALIBRATION_CCT, UNKNOWN_ILLUMINANT, calibration_name

COLOR_MATRIX = (50721, 50722)
CAMERA_CALIBRATION = (50723, 50724)
FORWARD_MATRIX = (50964, 50965)
CALIBRATION_ILLUMINANT = (50778, 50779)
ANALOG_BALANCE, AS_SHOT_NEUTRAL, AS_SHOT_WHITE_XY = 50727, 50728, 50729
TAG_NAMES = {50721: "ColorMatrix1", 50722: "ColorMatrix2", 50723: "CameraCalibration1",
             50724: "CameraCalibration2", 50964: "ForwardMatrix1", 50965: "ForwardMatrix2",
             50778: "CalibrationIlluminant1", 50779: "CalibrationIlluminant2", 50727: "AnalogBalance",
             50728: "AsShotNeutral", 50729: "AsShotWhiteXY"}
RATIONAL_TYPES = {5, 10}  # RATIONAL, SRATIONAL: stored as (numerator, denominator) pairs
NUMBER_TYPES = {1, 3, 4, 6, 8, 9, 11, 12, 16, 17}  # the integer and floating-point TIFF types
NEUTRAL_ITERATIONS = 30  # as the DNG SDK (dng_color_spec::NeutralToXY)


@dataclass(frozen=True)
class DngColourTags:
    """The colour tags of a DNG (one or two calibrations), checked."""

    color_matrices: tuple[np.ndarray, ...]  # XYZ -> reference camera RGB, one per calibration illuminant
    illuminants: tuple[int, ...]  # the EXIF LightSource code of each calibration
    forward_matrices: tuple[np.ndarray, ...] = ()  # white-balanced camera RGB -> XYZ (D50), one per calibration
    camera_calibrations: tuple[np.ndarray, ...] = ()  # reference camera -> this camera, one per calibration
    analog_balance: np.ndarray | None = None
    as_shot_neutral: np.ndarray | None = None  # camera RGB of a neutral under the shot's light
    as_shot_white_xy: tuple[float, float] | None = None

    def __post_init__(self) -> None:
        count = len(self.color_matrices)
        if count not in (1, 2) or len(self.illuminants) != count:
            raise InputError("DNG colour: ColorMatrix1 (and optionally ColorMatrix2) with one CalibrationIlluminant "
                             "each")
        for kind, matrices, codes in (("ColorMatrix", self.color_matrices, COLOR_MATRIX),
                                      ("ForwardMatrix", self.forward_matrices, FORWARD_MATRIX),
                                      ("CameraCalibration", self.camera_calibrations, CAMERA_CALIBRATION)):
            if matrices and len(matrices) != count:
                raise InputError(f"DNG tag {kind}: {len(matrices)} given for {count} calibration illuminant(s)")
            for code, matrix in zip(codes, matrices):
                check_matrix(np.asarray(matrix, dtype=np.float64), f"DNG tag {TAG_NAMES[code]}")
        for code, illuminant in zip(CALIBRATION_ILLUMINANT, self.illuminants):
            if illuminant not in CALIBRATION_CCT and not (count == 1 and illuminant == UNKNOWN_ILLUMINANT):
                raise InputError(f"DNG tag {TAG_NAMES[code]} = {illuminant} is not an illuminant (EXIF LightSource "
                                 f"codes: {', '.join(map(str, sorted(CALIBRATION_CCT)))})")
        if count == 2 and CALIBRATION_CCT[self.illuminants[0]][1] == CALIBRATION_CCT[self.illuminants[1]][1]:
            raise InputError(f"DNG tags CalibrationIlluminant1/2 are both {calibration_name(self.illuminants[0])}: "
                             "two calibrations need two colour temperatures")
        for name, values in (("AnalogBalance", self.analog_balance), ("AsShotNeutral", self.as_shot_neutral)):
            if values is not None:
                values = np.asarray(values, dtype=np.float64)
                if values.shape != (3,) or not np.all(np.isfinite(values)) or np.any(values <= 0) \
                        or values.max() > MAX_ENTRY or values.max() / values.min() > MAX_ENTRY:
                    raise InputError(f"DNG tag {name} = {np.round(values, 6).tolist()[:4]} is not three positive "
                                     f"values within {MAX_ENTRY:g}x of each other")
        if self.as_shot_white_xy is not None:
            x, y = self.as_shot_white_xy
            if not (0 < x < 1 and 0 < y < 1 and x + y < 1):
                raise InputError(f"DNG tag AsShotWhiteXY = ({x:.4g}, {y:.4g}) is not a chromaticity")


def read_dng_colour(tags) -> DngColourTags | None:
    """The colour tags of a tifffile page's tags (IFD0 carries the camera profile), None when it has no ColorMatrix1.

    Raises InputError naming the tag for a value that is malformed or absurd.
    """
    matrices = [_numbers(tags, code, 9) for code in COLOR_MATRIX]
    if matrices[0] is None:
        return None
    count = 2 if matrices[1] is not None else 1
    illuminants = tuple(int(_numbers(tags, code, 1, default=[UNKNOWN_ILLUMINANT])[0])
                        for code in CALIBRATION_ILLUMINANT[:count])
    forward = [_numbers(tags, code, 9) for code in FORWARD_MATRIX[:count]]
    calibration = [_numbers(tags, code, 9) for code in CAMERA_CALIBRATION[:count]]
    white_xy = _numbers(tags, AS_SHOT_WHITE_XY, 2)
    return DngColourTags(
        color_matrices=tuple(m.reshape(3, 3) for m in matrices[:count]), illuminants=illuminants,
        forward_matrices=tuple(m.reshape(3, 3) for m in forward) if all(m is not None for m in forward) else (),
        camera_calibrations=tuple(m.reshape(3, 3) if m is not None else np.eye(3) for m in calibration)
        if any(m is not None for m in calibration) else (),
        analog_balance=_numbers(tags, ANALOG_BALANCE, 3), as_shot_neutral=_numbers(tags, AS_SHOT_NEUTRAL, 3),
        as_shot_white_xy=tuple(float(v) for v in white_xy) if white_xy is not None else None)


def _numbers(tags, code: int, count: int, default=None) -> np.ndarray | None:
    """A tag's values as float64 [count], None when absent; a tag of another type or size is refused."""
    tag = tags.get(code)
    if tag is None:
        return None if default is None else np.asarray(default, dtype=np.float64)
    name = TAG_NAMES[code]
    value = tag.value if isinstance(tag.value, (tuple, list)) else (tag.value,)
    dtype = int(tag.dtype)
    if dtype in RATIONAL_TYPES:
        pairs = np.asarray(value, dtype=np.float64).reshape(-1, 2) if len(value) % 2 == 0 else None
        if pairs is None or np.any(pairs[:, 1] == 0):
            raise InputError(f"DNG tag {name} has a zero denominator or an odd number of integers")
        numbers = pairs[:, 0] / pairs[:, 1]
    elif dtype in NUMBER_TYPES:
        numbers = np.asarray(value, dtype=np.float64).ravel()
    else:
        raise InputError(f"DNG tag {name} is stored as TIFF type {dtype}, not a number")
    if numbers.size != count:
        raise InputError(f"DNG tag {name} has {numbers.size} values where {count} are needed (3-colour cameras only)")
    if not np.all(np.isfinite(numbers)):
        raise InputError(f"DNG tag {name} holds a non-finite value")
    return numbers


def dng_conversion(tags: DngColourTags) -> ColourConversion:
    """White-balance gains and camera -> linear sRGB matrix of a DNG, for its as-shot white."""
    if tags.as_shot_white_xy is not None:
        white = np.asarray(tags.as_shot_white_xy, dtype=np.float64)
        neutral, gains_source = camera_neutral(tags, white), "DNG AsShotWhiteXY"
    elif tags.as_shot_neutral is not None:
        neutral = np.asarray(tags.as_shot_neutral, dtype=np.float64)
        white, gains_source = neutral_to_xy(tags, neutral), "DNG AsShotNeutral"
    else:
        white = np.asarray(XY_D65)
        neutral, gains_source = camera_neutral(tags, white), "no as-shot white in the DNG: D65 assumed"
    to_srgb = XYZ_TO_SRGB @ bradford(XY_D50, XY_D65) @ camera_to_xyz_d50(tags, white, neutral)
    return ColourConversion.from_arrays(1.0 / neutral, to_srgb @ np.diag(neutral), gains_source,
                                        _matrix_source(tags, white), white)


def matrix_weight(tags: DngColourTags, white) -> float:
    """Weight of the first calibration at `white`: 1 below its temperature, 0 above the second's, linear in
    inverse temperature between (one calibration: always 1)."""
    if len(tags.color_matrices) == 1:
        return 1.0
    t1, t2 = (CALIBRATION_CCT[code][1] for code in tags.illuminants)
    try:
        t = cct_from_xy(white)
    except ValueError as exc:
        raise InputError(f"DNG as-shot white: {exc}") from None
    low, high = min(t1, t2), max(t1, t2)
    w_low = 1.0 if t <= low else 0.0 if t >= high else (1 / t - 1 / high) / (1 / low - 1 / high)
    return w_low if t1 < t2 else 1.0 - w_low


def _interpolated(matrices: tuple[np.ndarray, ...], weight: float) -> np.ndarray:
    if not matrices:
        return np.eye(3)
    if len(matrices) == 1:
        return np.asarray(matrices[0], dtype=np.float64)
    return weight * np.asarray(matrices[0], dtype=np.float64) + (1 - weight) * np.asarray(matrices[1], dtype=np.float64)


def _analog_balance(tags: DngColourTags) -> np.ndarray:
    return np.diag(tags.analog_balance if tags.analog_balance is not None else np.ones(3))


def xyz_to_camera(tags: DngColourTags, white) -> np.ndarray:
    """AB * CC * CM at the white's colour temperature."""
    weight = matrix_weight(tags, white)
    return _analog_balance(tags) @ _interpolated(tags.camera_calibrations, weight) @ \
        _interpolated(tags.color_matrices, weight)


def camera_neutral(tags: DngColourTags, white) -> np.ndarray:
    """The camera's response to a neutral lit by `white` (green 1)."""
    neutral = xyz_to_camera(tags, white) @ xy_to_xyz(white)
    if not np.all(neutral > 0):
        raise InputError(f"DNG ColorMatrix gives a non-positive camera neutral {np.round(neutral, 4).tolist()} for "
                         f"white xy {np.round(white, 4).tolist()}")
    return neutral / neutral[1]


def neutral_to_xy(tags: DngColourTags, neutral: np.ndarray) -> np.ndarray:
    """The white chromaticity whose camera response is `neutral`, found by iteration from D50 (the SDK's way)."""
    last = np.asarray(XY_D50, dtype=np.float64)
    for iteration in range(NEUTRAL_ITERATIONS):
        xyz = np.linalg.solve(xyz_to_camera(tags, last), neutral)
        if not (xyz.sum() > 0 and np.all(xyz > -1e-6)):
            raise InputError(f"DNG tag AsShotNeutral = {np.round(neutral, 5).tolist()} is no colour under the "
                             "ColorMatrix: wrong tag or wrong matrix")
        xy = xyz_to_xy(xyz)
        if np.abs(xy - last).sum() < 1e-7:
            return xy
        last = xy if iteration < NEUTRAL_ITERATIONS - 1 else (xy + last) / 2
    return last


def camera_to_xyz_d50(tags: DngColourTags, white, neutral: np.ndarray) -> np.ndarray:
    """Camera RGB -> XYZ (D50) for the white: through the forward matrices where the file has them."""
    weight = matrix_weight(tags, white)
    if tags.forward_matrices:
        ab_cc = _analog_balance(tags) @ _interpolated(tags.camera_calibrations, weight)
        reference_neutral = np.linalg.solve(ab_cc, neutral)
        forward = _normalised_forward(_interpolated(tags.forward_matrices, weight))
        return forward @ np.diag(1.0 / reference_neutral) @ np.linalg.inv(ab_cc)
    return bradford(white, XY_D50) @ np.linalg.inv(xyz_to_camera(tags, white))


def _normalised_forward(forward: np.ndarray) -> np.ndarray:
    """Rows scaled so camera (1, 1, 1) maps to the D50 white exactly (the SDK's NormalizeForwardMatrix)."""
    xyz = forward @ np.ones(3)
    if not np.all(xyz > 0):
        raise InputError(f"DNG ForwardMatrix maps white to {np.round(xyz, 4).tolist()}, not a colour")
    return np.diag(xy_to_xyz(XY_D50) / xyz) @ forward


def _matrix_source(tags: DngColourTags, white) -> str:
    names = "/".join(calibration_name(code) for code in tags.illuminants)
    kind = "ColorMatrix" + ("1/2" if len(tags.illuminants) == 2 else "1")
    how = "ForwardMatrix" if tags.forward_matrices else "Bradford from the white"
    where = f", interpolated at {cct_from_xy(white):.0f} K" if len(tags.illuminants) == 2 else ""
    return f"DNG {kind} ({names}){where}, {how} to D50"
