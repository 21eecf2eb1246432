"""A RAW file's colour: its as-shot white balance and its camera -> linear sRGB matrix, and where each came from.

    linear sRGB (D65) = matrix @ (gains * camera RGB)

`gains` multiply the CFA's red, green and blue samples (green = 1) so that the as-shot white comes out neutral;
`matrix` then takes white-balanced camera RGB to linear sRGB primaries, its rows summing to 1 (a neutral stays
neutral and keeps its brightness). DNG files give both through their colour tags (raw/dng_colour.py), every other
format through LibRaw (raw/libraw_colour.py); a file without them gets the identity and says so.

A model with the `neutral` input convention (model/config.py) sees each 2x2 cell converted this way before the
network (`packed_mix`), so one model serves every camera and light.
"""

from dataclasses import dataclass

import numpy as np

from lowlight_edge.errors import InputError

CONVENTIONS = ("camera", "neutral")  # a model's input convention: see model/config.py
# A neutral input is clipped to +-NEUTRAL_RANGE x min(ratio, 1), not to [0, 1]: clipping at zero rectifies the noise the
# white-balance gains amplify (a dark blue channel's mean tripled at ratio 300), and a bound at 1 clips it as unevenly
# (red noise of std 0.9 in a Sony ILCE-7S frame at ratio 300); at 4 the channel means stay within 1-3% of the truth's
# even at ratio 350 and ISO 6400, while amplified highlights are still bounded.
NEUTRAL_RANGE = 4.0
MAX_ENTRY = 100.0  # larger gains or matrix entries than this are no camera's: the metadata is broken
IDENTITY_MATRIX = ((1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0))
# The packed cell's conversion from the 3x3 (see `packed_mix`): entry [r, c] = matrix[ROWS[r], COLUMNS[c]] *
# SCALE[r][c] * gains[COLUMNS[c]]. The same rule is built in ONNX (export/pipeline_builder.py) and PyTorch
# (model/pipeline_module.py) from these constants.
MIX_ROWS = MIX_COLUMNS = (0, 1, 2, 1)  # R, G1, B, G2 -> the colour each packed channel is
MIX_SCALE = ((1.0, 0.5, 1.0, 0.5), (1.0, 1.0, 1.0, 0.0), (1.0, 0.5, 1.0, 0.5), (1.0, 0.0, 1.0, 1.0))


@dataclass(frozen=True)
class ColourConversion:
    gains: tuple[float, float, float]  # white-balance multipliers of the CFA's R, G, B samples; G = 1
    matrix: tuple[tuple[float, float, float], ...]  # 3x3: white-balanced camera RGB -> linear sRGB, rows sum to 1
    gains_source: str  # e.g. "DNG AsShotNeutral"
    matrix_source: str  # e.g. "DNG ColorMatrix1/2 (Standard light A/D65), interpolated at 4210 K, ForwardMatrix to D50"
    white_xy: tuple[float, float] | None = None  # the as-shot white's chromaticity, where the maths knows it
    error: str | None = None  # colour metadata that is present but unusable: the values are the identity's

    @classmethod
    def identity(cls, why: str, error: str | None = None) -> "ColourConversion":
        """The conversion of a file that has no usable colour metadata (`why` says so in a line)."""
        return cls((1.0, 1.0, 1.0), IDENTITY_MATRIX, why, why, error=error)

    @classmethod
    def from_arrays(cls, gains, matrix, gains_source: str, matrix_source: str,
                    white_xy=None) -> "ColourConversion":
        """Gains (any scale) and a matrix, checked and normalised: green gain 1, rows summing to 1."""
        gains, matrix = np.asarray(gains, dtype=np.float64), np.asarray(matrix, dtype=np.float64)
        check_gains(gains, gains_source)
        check_matrix(matrix, matrix_source)
        gains = gains / gains[1]
        sums = matrix.sum(axis=1)
        if not np.all(np.abs(sums) > 1e-6):
            raise InputError(f"{matrix_source}: the matrix maps white to black in one channel (row sums "
                             f"{np.round(sums, 4).tolist()})")
        matrix = matrix / sums[:, None]
        return cls(tuple(float(g) for g in gains), tuple(tuple(float(v) for v in row) for row in matrix),
                   gains_source, matrix_source, None if white_xy is None else tuple(float(v) for v in white_xy))

    @property
    def is_identity(self) -> bool:
        return self.gains == (1.0, 1.0, 1.0) and self.matrix == IDENTITY_MATRIX

    def checked(self) -> "ColourConversion":
        """Itself, or the one-line error its metadata gave (for the models that would use it)."""
        if self.error:
            raise InputError(self.error)
        return self

    def packed_mix(self) -> np.ndarray:
        """float32 [4, 4]: the conversion of one packed cell (R, G1, B, G2) to (R', G1', B', G2').

        The red and blue rows read the cell's mean green; each green keeps its own sample (so the difference of the
        two greens, which is noise and texture, is scaled as green is). Gains are folded in (columns).

        >>> ColourConversion.identity("none").packed_mix().tolist()[1]
        [0.0, 1.0, 0.0, 0.0]
        """
        return packed_mix(np.asarray(self.gains, dtype=np.float64), np.asarray(self.matrix, dtype=np.float64))

    def describe(self) -> dict:
        """What `inspect` prints."""
        out = {"gains_rgb": [round(g, 4) for g in self.gains],
               "camera_to_linear_srgb": [[round(v, 4) for v in row] for row in self.matrix],
               "gains_source": self.gains_source, "matrix_source": self.matrix_source}
        if self.white_xy is not None:
            out["white_xy"] = [round(v, 5) for v in self.white_xy]
        if self.error:
            out["error"] = self.error
        return out


def packed_mix(gains: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """float32 [4, 4] from gains [3] and a 3x3 matrix (the rule of MIX_ROWS, MIX_COLUMNS and MIX_SCALE), computed in
    float32 in the order a pipeline graph computes it from its float32 inputs: the same bits on both paths (an INT8
    network's quantized input turns one differing bit into a different picture)."""
    gains, matrix = np.asarray(gains, dtype=np.float32), np.asarray(matrix, dtype=np.float32)
    mix = matrix[np.ix_(MIX_ROWS, MIX_COLUMNS)] * np.asarray(MIX_SCALE, dtype=np.float32)
    return mix * gains[list(MIX_COLUMNS)][None, :]


def check_gains(gains: np.ndarray, source: str) -> None:
    if gains.shape != (3,) or not np.all(np.isfinite(gains)):
        raise InputError(f"{source}: white balance {_short(gains)} is not three finite numbers")
    if np.any(gains <= 0):
        raise InputError(f"{source}: white balance {_short(gains)} has a zero or negative channel")
    if gains.max() / gains.min() > MAX_ENTRY:
        raise InputError(f"{source}: white balance {_short(gains)} spans more than {MAX_ENTRY:g}x between channels")


def check_matrix(matrix: np.ndarray, source: str) -> None:
    """A 3x3 of finite entries within +-100 that can be inverted: anything else is broken metadata."""
    if matrix.shape != (3, 3) or not np.all(np.isfinite(matrix)):
        raise InputError(f"{source}: {_short(matrix)} is not a 3x3 matrix of finite numbers")
    if np.abs(matrix).max() > MAX_ENTRY:
        raise InputError(f"{source}: an entry of {np.abs(matrix).max():.4g} is beyond {MAX_ENTRY:g}: no camera's")
    if not np.linalg.cond(matrix) < 1e6:
        raise InputError(f"{source}: the matrix {_short(matrix)} is singular")


def check_convention(convention: str) -> str:
    if convention not in CONVENTIONS:
        raise InputError(f"input convention must be one of {', '.join(CONVENTIONS)}, not {convention!r}")
    return convention


def _short(values: np.ndarray) -> str:
    return str(np.round(np.asarray(values, dtype=np.float64), 4).tolist())[:120]
