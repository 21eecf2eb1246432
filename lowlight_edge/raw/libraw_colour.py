"""The colour of a RAW file LibRaw reads (every format but the DNGs raw/dng_colour.py reads): the as-shot white
balance (`camera_whitebalance`) and LibRaw's camera -> sRGB matrix (`color_matrix`, from the file or from its table
of Adobe's matrices, `rgb_xyz_matrix`), exactly what LibRaw's own rendering with `use_camera_wb` applies.
"""

import numpy as np

from lowlight_edge.errors import InputError
from lowlight_edge.raw.colour import ColourConversion


def libraw_conversion(raw, path) -> ColourConversion:
    """The ColourConversion of an open rawpy file; the identity (saying why) where LibRaw knows no colour for it.

    A white balance or matrix that is present but absurd gives the identity with `error` set: the models that use
    it refuse the file in one line (`ColourConversion.checked`).
    """
    rgb_cam = np.asarray(raw.color_matrix, dtype=np.float64)[:, :3]
    cam_xyz = np.asarray(raw.rgb_xyz_matrix, dtype=np.float64)[:3]
    has_matrix = bool(np.any(cam_xyz)) or not np.allclose(rgb_cam, np.eye(3), atol=1e-3)
    if not np.any(rgb_cam):
        has_matrix = False
    as_shot = np.asarray(raw.camera_whitebalance, dtype=np.float64)[:3]
    daylight = np.asarray(raw.daylight_whitebalance, dtype=np.float64)[:3]
    if np.all(as_shot > 0):
        gains, gains_source = as_shot, "LibRaw camera_whitebalance (as shot)"
    elif has_matrix and np.all(daylight > 0):
        gains, gains_source = daylight, "LibRaw daylight_whitebalance (the file has no as-shot white balance)"
    else:
        gains, gains_source = None, None
    if gains is None and not has_matrix:
        return ColourConversion.identity("no colour metadata LibRaw knows for this camera: identity")
    matrix_source = "LibRaw color_matrix" if has_matrix else "no colour matrix LibRaw knows for this camera: identity"
    try:
        return ColourConversion.from_arrays(gains if gains is not None else np.ones(3),
                                            rgb_cam if has_matrix else np.eye(3),
                                            gains_source or "no white balance in the file: none applied", matrix_source)
    except InputError as exc:
        return ColourConversion.identity("unusable colour metadata", error=f"{path}: {exc}")
