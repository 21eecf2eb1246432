"""Colorimetry the colour path needs, in plain numpy: sRGB <-> XYZ, chromaticities, Bradford adaptation,
correlated colour temperature (Robertson 1968) and the Planckian and daylight loci.

Every constant is published data (IEC 61966-2-1 for sRGB, CIE 15 for the illuminants and the daylight locus,
Wyszecki & Stiles for Robertson's isotemperature lines, Kim et al. 2002 for the Planckian locus). The DNG colour
maths (raw/dng_colour.py) and the synthetic cameras (raw/camera_response.py) are built on these; the tests check
them against colour-science, an independent implementation.
"""

import numpy as np

# CIE 1931 2-degree chromaticities of the standard illuminants the DNG and EXIF tags name
XY_A = (0.44757, 0.40745)
XY_D50 = (0.34567, 0.35850)
XY_D55 = (0.33242, 0.34743)
XY_D65 = (0.31271, 0.32902)
XY_D75 = (0.29902, 0.31485)

# sRGB primaries (IEC 61966-2-1), white D65
_SRGB_PRIMARIES = ((0.64, 0.33), (0.30, 0.60), (0.15, 0.06))

# Bradford's cone response matrix (Lam 1985), as the DNG specification and ICC use it
BRADFORD = np.array([[0.8951, 0.2664, -0.1614], [-0.7502, 1.7135, 0.0367], [0.0389, -0.0685, 1.0296]])

# Robertson (1968) isotemperature lines: (mired, u, v, slope) in CIE 1960 UCS (Wyszecki & Stiles, table 1(3.11))
_ROBERTSON = np.array([
    (0, 0.18006, 0.26352, -0.24341), (10, 0.18066, 0.26589, -0.25479), (20, 0.18133, 0.26846, -0.26876),
    (30, 0.18208, 0.27119, -0.28539), (40, 0.18293, 0.27407, -0.30470), (50, 0.18388, 0.27709, -0.32675),
    (60, 0.18494, 0.28021, -0.35156), (70, 0.18611, 0.28342, -0.37915), (80, 0.18740, 0.28668, -0.40955),
    (90, 0.18880, 0.28997, -0.44278), (100, 0.19032, 0.29326, -0.47888), (125, 0.19462, 0.30141, -0.58204),
    (150, 0.19962, 0.30921, -0.70471), (175, 0.20525, 0.31647, -0.84901), (200, 0.21142, 0.32312, -1.0182),
    (225, 0.21807, 0.32909, -1.2168), (250, 0.22511, 0.33439, -1.4512), (275, 0.23247, 0.33904, -1.7298),
    (300, 0.24010, 0.34308, -2.0637), (325, 0.24792, 0.34655, -2.4681), (350, 0.25591, 0.34951, -2.9641),
    (375, 0.26400, 0.35200, -3.5814), (400, 0.27218, 0.35407, -4.3633), (425, 0.28039, 0.35577, -5.3762),
    (450, 0.28863, 0.35714, -6.7262), (475, 0.29685, 0.35823, -8.5955), (500, 0.30505, 0.35907, -11.324),
    (525, 0.31320, 0.35968, -15.628), (550, 0.32129, 0.36011, -23.325), (575, 0.32931, 0.36038, -40.770),
    (600, 0.33724, 0.36051, -116.45),
])


def xy_to_xyz(xy) -> np.ndarray:
    """Chromaticity -> XYZ with Y = 1.

    >>> xy_to_xyz(XY_D65).round(4).tolist()
    [0.9504, 1.0, 1.0889]
    """
    x, y = xy
    return np.array([x / y, 1.0, (1.0 - x - y) / y])


def xyz_to_xy(xyz) -> np.ndarray:
    xyz = np.asarray(xyz, dtype=np.float64)
    return xyz[:2] / xyz.sum()


def _rgb_to_xyz(primaries, white) -> np.ndarray:
    """The RGB -> XYZ matrix of three primaries and a white point (white maps to Y = 1)."""
    columns = np.stack([xy_to_xyz(p) for p in primaries], axis=1)
    return columns * np.linalg.solve(columns, xy_to_xyz(white))[None, :]


SRGB_TO_XYZ = _rgb_to_xyz(_SRGB_PRIMARIES, XY_D65)  # linear sRGB -> XYZ (D65)
XYZ_TO_SRGB = np.linalg.inv(SRGB_TO_XYZ)


def bradford(source_xy, target_xy) -> np.ndarray:
    """The XYZ -> XYZ matrix adapting colours seen under `source_xy` to how they look under `target_xy`.

    >>> np.allclose(bradford(XY_D65, XY_D50) @ xy_to_xyz(XY_D65), xy_to_xyz(XY_D50))
    True
    """
    source, target = BRADFORD @ xy_to_xyz(source_xy), BRADFORD @ xy_to_xyz(target_xy)
    return np.linalg.inv(BRADFORD) @ np.diag(target / source) @ BRADFORD


def cct_from_xy(xy) -> float:
    """Correlated colour temperature (K) of a chromaticity, by Robertson's method (as the DNG SDK computes it).

    >>> round(cct_from_xy(XY_D65))
    6503
    >>> round(cct_from_xy(XY_A))
    2856
    """
    x, y = xy
    denominator = -2.0 * x + 12.0 * y + 3.0
    u, v = 4.0 * x / denominator, 6.0 * y / denominator
    mired, lu, lv, slope = _ROBERTSON.T
    distance = ((v - lv) - slope * (u - lu)) / np.hypot(1.0, slope)  # signed distance from each line
    crossing = np.nonzero(np.sign(distance[1:]) != np.sign(distance[:-1]))[0]
    if not len(crossing):
        where = tuple(round(c, 4) for c in xy)
        raise ValueError(f"chromaticity {where} is outside Robertson's 1667 K - infinity range")
    i = int(crossing[0]) + 1
    weight = distance[i - 1] / (distance[i - 1] - distance[i])
    m = mired[i - 1] + weight * (mired[i] - mired[i - 1])
    return float(1e6 / m) if m > 0 else float("inf")


def planckian_xy(cct: float) -> tuple[float, float]:
    """A black body's chromaticity, 1667-25000 K (Kim et al. 2002 cubic fit of the Planckian locus)."""
    t = float(cct)
    if not 1667 <= t <= 25000:
        raise ValueError(f"the Planckian fit covers 1667-25000 K, not {t:g} K")
    if t <= 4000:
        x = -0.2661239e9 / t**3 - 0.2343589e6 / t**2 + 0.8776956e3 / t + 0.179910
    else:
        x = -3.0258469e9 / t**3 + 2.1070379e6 / t**2 + 0.2226347e3 / t + 0.240390
    if t <= 2222:
        y = -1.1063814 * x**3 - 1.34811020 * x**2 + 2.18555832 * x - 0.20219683
    elif t <= 4000:
        y = -0.9549476 * x**3 - 1.37418593 * x**2 + 2.09137015 * x - 0.16748867
    else:
        y = 3.0817580 * x**3 - 5.87338670 * x**2 + 3.75112997 * x - 0.37001483
    return x, y


def daylight_xy(cct: float) -> tuple[float, float]:
    """A CIE daylight's chromaticity, 4000-25000 K (CIE 15 daylight locus).

    >>> [round(v, 4) for v in daylight_xy(6504)]
    [0.3127, 0.3291]
    """
    t = float(cct)
    if not 4000 <= t <= 25000:
        raise ValueError(f"the CIE daylight locus covers 4000-25000 K, not {t:g} K")
    if t <= 7000:
        x = 0.244063 + 0.09911e3 / t + 2.9678e6 / t**2 - 4.6070e9 / t**3
    else:
        x = 0.237040 + 0.24748e3 / t + 1.9018e6 / t**2 - 2.0064e9 / t**3
    return x, -3.000 * x**2 + 2.870 * x - 0.275
