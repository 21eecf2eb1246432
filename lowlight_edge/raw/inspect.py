"""What the RAW reader sees in a file: camera, CFA and packing, levels, sizes, exposure, ISO, orientation, ratio, the
colour metadata (as-shot white balance, camera -> sRGB matrix, where each came from) and channel means.

For "why is my output green": `lowlight-edge inspect` prints it.
"""

from pathlib import Path

from lowlight_edge.errors import InputError
from lowlight_edge.raw.cfa import CHANNELS, channel_offsets
from lowlight_edge.raw.orientation import NAMES
from lowlight_edge.raw.ratio import resolve_ratio
from lowlight_edge.raw.reader import read_raw


def describe(path: Path, ratio: float | None = None, reference_exposure: float | None = None) -> dict:
    frame = read_raw(path)
    packed = frame.pack(1.0)
    try:
        used, origin = resolve_ratio(path, ratio, reference_exposure, frame.exposure_s)
    except InputError as exc:
        used, origin = None, str(exc)
    offsets = channel_offsets(frame.phase)
    info = {
        "file": str(path),
        "camera": frame.camera,
        "make": frame.make,
        "model": frame.model,
        "cfa_pattern": frame.phase,
        "packing": {name: {"row": dy, "col": dx} for name, (dy, dx) in zip(CHANNELS, offsets)},
        "black_levels": dict(zip(CHANNELS, frame.black)),
        "white_level": frame.white,
        "raw_size": list(frame.raw_size),
        "visible_size": list(frame.visible_size),
        "packed_size": [4, *packed.shape[1:]],
        "exposure_s": frame.exposure_s,
        "iso": frame.iso,
        "orientation": {"tag": frame.orientation, "meaning": NAMES[frame.orientation]},
        "ratio": used,
        "ratio_source": origin,
        "colour": frame.colour.describe(),
        "channel_means": {name: float(packed[i].mean()) for i, name in enumerate(CHANNELS)},
    }
    if not frame.colour.error:  # what a neutral model sees: the means after the file's own colour conversion
        neutral = frame.pack(1.0, "neutral")
        info["neutral_channel_means"] = {name: float(neutral[i].mean()) for i, name in enumerate(CHANNELS)}
    return info
