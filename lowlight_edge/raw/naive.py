"""The naive baseline: amplify the RAW by the ratio, then let LibRaw demosaic and render it.

This is the "traditional pipeline" SID compares against: scale the raw values above black by the ratio
(clipping at white), then LibRaw's default AHD demosaic, the file's own white balance and colour
matrix, no auto-brightening, and the sRGB curve.
"""

from pathlib import Path

import numpy as np

from lowlight_edge.raw.reader import open_raw

SRGB_GAMMA = (2.4, 12.92)  # LibRaw's (power, toe slope) for the sRGB curve


def naive_render(path: Path, ratio: float) -> np.ndarray:
    """float32 sRGB [H, W, 3] in [0, 1] of the RAW at `path`, amplified by `ratio`."""
    with open_raw(path) as raw:
        data = raw.raw_image  # LibRaw's own buffer: amplify in place before processing
        black = np.asarray(raw.black_level_per_channel, dtype=np.float64)[raw.raw_colors]
        amplified = black + (data.astype(np.float64) - black) * ratio
        data[...] = np.clip(np.round(amplified), 0, raw.white_level).astype(data.dtype)
        rgb = raw.postprocess(use_camera_wb=True, no_auto_bright=True, output_bps=16, gamma=SRGB_GAMMA,
                              user_flip=0)
    return rgb.astype(np.float32) / 65535.0
