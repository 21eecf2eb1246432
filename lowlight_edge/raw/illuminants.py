"""Illuminants: the EXIF LightSource codes DNG files name their calibrations by, and the lights synthetic frames
are shot under.

`CALIBRATION_CCT` maps a CalibrationIlluminant code to the colour temperature the DNG SDK interpolates with
(dng_camera_profile::IlluminantToTemperature); a code outside it is not an illuminant. `illuminant_xy` turns a
light's name (`A`, `D50`, `D65`, `3200K`, ...) into its chromaticity: lights below 4000 K sit on the Planckian locus
(incandescent, tungsten), 4000 K and above on the CIE daylight locus.
"""

from lowlight_edge.errors import InputError
from lowlight_edge.raw.colorimetry import XY_A, XY_D50, XY_D55, XY_D65, XY_D75, daylight_xy, planckian_xy

# EXIF LightSource code -> (name, temperature in K for interpolation); 0 (unknown) has no temperature
CALIBRATION_CCT = {
    1: ("Daylight", 5500), 2: ("Fluorescent", 4200), 3: ("Tungsten", 2850), 4: ("Flash", 5500),
    9: ("Fine weather", 5500), 10: ("Cloudy weather", 6500), 11: ("Shade", 7500),
    12: ("Daylight fluorescent", 6400), 13: ("Day white fluorescent", 5000), 14: ("Cool white fluorescent", 4200),
    15: ("White fluorescent", 3450), 16: ("Warm white fluorescent", 2925), 17: ("Standard light A", 2850),
    18: ("Standard light B", 5500), 19: ("Standard light C", 6500), 20: ("D55", 5500), 21: ("D65", 6500),
    22: ("D75", 7500), 23: ("D50", 5000), 24: ("ISO studio tungsten", 3200),
}
UNKNOWN_ILLUMINANT = 0
STANDARD_A, D50, D65 = 17, 23, 21

NAMED_XY = {"A": XY_A, "D50": XY_D50, "D55": XY_D55, "D65": XY_D65, "D75": XY_D75}
LIGHT_RANGE_K = (2000.0, 12000.0)


def calibration_name(code: int) -> str:
    return CALIBRATION_CCT[code][0] if code in CALIBRATION_CCT else f"code {code}"


def illuminant_xy(name: str) -> tuple[float, float]:
    """The chromaticity of a named light: A, D50, D55, D65, D75, or a temperature such as 3200K.

    >>> illuminant_xy("D65")
    (0.31271, 0.32902)
    >>> [round(v, 4) for v in illuminant_xy("2856K")]
    [0.4471, 0.4075]
    """
    key = str(name).strip().upper()
    if key in NAMED_XY:
        return NAMED_XY[key]
    try:
        kelvin = float(key[:-1]) if key.endswith("K") else float("nan")
    except ValueError:
        kelvin = float("nan")
    low, high = LIGHT_RANGE_K
    if not low <= kelvin <= high:
        raise InputError(f"unknown illuminant {name!r}: use A, D50, D55, D65, D75 or a colour temperature from "
                         f"{low:.0f}K to {high:.0f}K (e.g. 3200K)")
    return planckian_xy(kelvin) if kelvin < 4000 else daylight_xy(kelvin)
