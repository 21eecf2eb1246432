"""A synthetic low-light sensor: clean sRGB image -> short-exposure Bayer RAW, Sony a7S II-like.

Pipeline (per pixel): inverse sRGB gamma -> linear RGB -> mosaic in the chosen CFA phase -> divide by the
exposure ratio -> Poisson-Gaussian noise -> 14-bit quantisation.

Noise model (the heteroscedastic Gaussian/Poisson model of Foi et al. 2008, as used for SID-class
synthesis): with the clean signal S in DN above black,

    raw = black + K * Poisson(S / K) + N(0, sigma_read^2),   clipped to [0, white], rounded

- K, the system gain in DN per photo-electron, grows linearly with ISO: K = 0.1 * ISO / 100
  (a full well of ~150 k e- over the 14-bit range at ISO 100, as for the a7S II's 8.4 um pixels);
- sigma_read = sqrt(sigma_adc^2 + (K * sigma_pre)^2) DN: a 1.0 DN post-gain (ADC) floor and 2.5 e- of
  pre-gain read noise, so read noise also grows with ISO (about 8 DN at ISO 3200);
- black level 512, white level 16383 (14-bit), the values of the Sony a7S II in SID.

The clean image is the long-exposure ground truth. The sensor's colour response is the identity (camera RGB =
linear sRGB) unless a real camera's response is given (raw/camera_response.py): then the camera records the scene
through that camera's matrix, under the shot's light, as a real file would.
"""

from dataclasses import dataclass

import numpy as np

from lowlight_edge.raw.cfa import channel_offsets

BLACK_LEVEL = 512
WHITE_LEVEL = 16383
GAIN_AT_ISO100 = 0.1  # DN per electron
ADC_NOISE_DN = 1.0
PRE_GAIN_READ_NOISE_E = 2.5


@dataclass(frozen=True)
class SensorModel:
    iso: float = 3200.0
    black: int = BLACK_LEVEL
    white: int = WHITE_LEVEL

    @property
    def gain(self) -> float:
        return GAIN_AT_ISO100 * self.iso / 100.0

    @property
    def read_noise(self) -> float:
        return float(np.hypot(ADC_NOISE_DN, self.gain * PRE_GAIN_READ_NOISE_E))

    def noise_variance(self, signal_dn: np.ndarray | float) -> np.ndarray | float:
        """Variance (DN^2) of a pixel whose clean signal is `signal_dn` above black (before clipping)."""
        return self.gain * np.asarray(signal_dn) + self.read_noise**2


def srgb_to_linear(srgb: np.ndarray) -> np.ndarray:
    """Inverse sRGB transfer function (IEC 61966-2-1)."""
    srgb = np.clip(srgb, 0.0, 1.0)
    return np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)


def linear_to_srgb(linear: np.ndarray) -> np.ndarray:
    linear = np.clip(linear, 0.0, 1.0)
    return np.where(linear <= 0.0031308, linear * 12.92, 1.055 * np.power(linear, 1 / 2.4) - 0.055)


def mosaic(rgb: np.ndarray, phase: str) -> np.ndarray:
    """[H, W, 3] (H, W even) -> [H, W] keeping at each pixel the colour the CFA lets through."""
    h, w, _ = rgb.shape
    out = np.empty((h, w), dtype=rgb.dtype)
    colour_of = {"R": 0, "G1": 1, "B": 2, "G2": 1}
    for name, (dy, dx) in zip(("R", "G1", "B", "G2"), channel_offsets(phase)):
        out[dy::2, dx::2] = rgb[dy::2, dx::2, colour_of[name]]
    return out


def simulate_short_exposure(clean_srgb: np.ndarray, ratio: float, sensor: SensorModel, phase: str,
                            rng: np.random.Generator, srgb_to_camera: np.ndarray | None = None) -> np.ndarray:
    """Clean sRGB [H, W, 3] in [0, 1] (H, W even) -> noisy uint16 Bayer mosaic of a 1/ratio exposure.

    `srgb_to_camera` [3, 3] is a real camera's colour response under the shot's light (raw/camera_response.py);
    None is the identity sensor (camera RGB = linear sRGB)."""
    linear = srgb_to_linear(clean_srgb.astype(np.float64))
    if srgb_to_camera is not None:  # light cannot be negative: colours outside the camera's gamut clip at zero
        linear = np.clip(linear @ np.asarray(srgb_to_camera, dtype=np.float64).T, 0.0, None)
    signal = mosaic(linear, phase) * (sensor.white - sensor.black) / ratio  # DN above black
    electrons = rng.poisson(signal / sensor.gain)
    noisy = sensor.black + sensor.gain * electrons + rng.normal(0.0, sensor.read_noise, signal.shape)
    return np.clip(np.round(noisy), 0, sensor.white).astype(np.uint16)
