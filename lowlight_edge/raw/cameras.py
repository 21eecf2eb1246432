"""Real cameras' published colour responses, for the synthetic sensor: XYZ -> camera RGB matrices (DNG ColorMatrix,
x 10000 as published) per calibration illuminant.

Sources:
- Sony ILCE-7S (the SID dataset's camera): Adobe DNG Converter's D65 matrix as LibRaw tabulates it
  (LibRaw `src/tables/colordata.cpp`, `adobe_coeff`, "ILCE-7S"; one calibration).
- The others: the camera profiles RawTherapee ships (`rtdata/dcpprofiles/<camera>.dcp`, ColorMatrix1 under
  Standard light A and ColorMatrix2 under D65), each marked "public domain" in its ProfileCopyright tag.

The split mirrors the photographs' (raw/scenes.py): the training cameras make the bundled model's training patches;
the held-out cameras (three makers the training never saw) only measure it. A test checks they are disjoint.
"""

from dataclasses import dataclass

import numpy as np

from lowlight_edge.errors import InputError
from lowlight_edge.raw.colorimetry import XYZ_TO_SRGB
from lowlight_edge.raw.illuminants import D65, STANDARD_A

_RAWTHERAPEE = "RawTherapee rtdata/dcpprofiles/{}.dcp (public domain)"


@dataclass(frozen=True)
class CameraProfile:
    key: str  # what `synth --camera` takes
    make: str
    model: str
    calibrations: tuple[tuple[int, tuple[float, ...]], ...]  # (CalibrationIlluminant, ColorMatrix row-major)
    source: str

    @property
    def color_matrices(self) -> tuple[np.ndarray, ...]:
        return tuple(np.asarray(m, dtype=np.float64).reshape(3, 3) for _, m in self.calibrations)

    @property
    def illuminants(self) -> tuple[int, ...]:
        return tuple(code for code, _ in self.calibrations)


def _x10000(*values: int) -> tuple[float, ...]:
    return tuple(v / 10000 for v in values)


def _dual(key: str, make: str, model: str, dcp: str, a: tuple[int, ...], d65: tuple[int, ...]) -> CameraProfile:
    return CameraProfile(key, make, model, ((STANDARD_A, _x10000(*a)), (D65, _x10000(*d65))), _RAWTHERAPEE.format(dcp))


IDENTITY = CameraProfile(
    "identity", "lowlight-edge", "Synthetic a7S II-class sensor", ((D65, tuple(XYZ_TO_SRGB.ravel())),),
    "this project's synthetic sensor: camera RGB = linear sRGB (ColorMatrix1 = XYZ -> linear sRGB, D65)")

CAMERAS = {c.key: c for c in (
    IDENTITY,
    CameraProfile("sony-ilce-7s", "SONY", "ILCE-7S",
                  ((D65, _x10000(5838, -1430, -246, -3497, 11477, 2297, -748, 1885, 5778)),),
                  "Adobe DNG Converter via LibRaw src/tables/colordata.cpp (ILCE-7S, D65)"),
    _dual("sony-ilce-7sm3", "SONY", "ILCE-7SM3", "SONY ILCE-7SM3",
          (10090, -3944, 802, -5861, 16181, 3356, 39, 867, 8546),
          (5496, -1008, -292, -4758, 12026, 3003, -1307, 2215, 6373)),
    _dual("canon-eos-r6", "Canon", "Canon EOS R6", "Canon EOS R6",
          (13680, -5252, 268, -5912, 15620, 5103, -1072, 2075, 8946),
          (6991, -801, -820, -4561, 11930, 2920, -1416, 2650, 5976)),
    _dual("nikon-d850", "NIKON CORPORATION", "NIKON D850", "NIKON D850",
          (17786, -9227, 889, -8743, 19399, 3178, -2945, 3851, 9895),
          (9366, -2761, -1179, -6076, 13955, 2370, -1839, 2809, 7750)),
    _dual("olympus-e-m1", "OLYMPUS IMAGING CORP.", "E-M1", "OLYMPUS E-M1",
          (17176, -9236, 229, -5202, 15036, 4554, -1425, 2091, 9231),
          (8898, -2843, -801, -3383, 10852, 2886, -1187, 2157, 6247)),
    _dual("panasonic-dmc-lx100", "Panasonic", "DMC-LX100", "PANASONIC DMC-LX100",
          (12647, -5235, -216, -4730, 14755, 3886, -1191, 2123, 8331),
          (7748, -2368, -742, -4304, 11805, 2811, -1566, 2588, 6410)),
    _dual("pentax-k-50", "PENTAX", "PENTAX K-50", "PENTAX K-50",
          (16372, -8997, 330, -7457, 17329, 5052, -777, 1042, 9203),
          (7955, -2425, -733, -4524, 11833, 2978, -1187, 1767, 6807)),
)}

TRAIN_CAMERAS = ("identity", "sony-ilce-7sm3", "olympus-e-m1", "panasonic-dmc-lx100", "pentax-k-50")
HELD_OUT_CAMERAS = ("sony-ilce-7s", "nikon-d850", "canon-eos-r6")  # three makers training never saw
TRAIN_LIGHTS_K = (2800.0, 7500.0)  # training draws the light's temperature uniformly in mired over this range
HELD_OUT_LIGHTS = ("A", "D65")  # incandescent and daylight


def camera_shots(keys: tuple[str, ...], lights: tuple[str, ...] = HELD_OUT_LIGHTS) -> tuple[tuple[str, str], ...]:
    """Every (camera, light) of `keys` x `lights`, light-major so a few frames already see every camera."""
    return tuple((key, light) for light in lights for key in keys)


def camera(key: str) -> CameraProfile:
    if key not in CAMERAS:
        raise InputError(f"unknown camera {key!r}; choose from {', '.join(CAMERAS)}")
    return CAMERAS[key]
