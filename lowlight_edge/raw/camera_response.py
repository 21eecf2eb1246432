"""A camera under one light: what its sensor records for a scene, and the DNG colour tags it would write.

A scene is given as linear sRGB (a photograph as seen in daylight, D65). Under another light its colours shift the
way Bradford's adaptation says (a white surface takes the light's colour); the camera then records
`ColorMatrix(light) @ XYZ`, the matrix interpolated between its calibrations exactly as a DNG reader does. Scaled so
a white surface gives green = 1 (full scale), like the identity sensor's white.

The DNG tags (ColorMatrix1/2, CalibrationIlluminant1/2, AsShotNeutral) describe that camera, so reading them back
(raw/dng_colour.py) gives the conversion that takes the camera's RGB back to the scene's linear sRGB.
"""

from dataclasses import dataclass

import numpy as np

from lowlight_edge.raw.cameras import CameraProfile
from lowlight_edge.raw.colorimetry import SRGB_TO_XYZ, XY_D65, bradford
from lowlight_edge.raw.colour import ColourConversion
from lowlight_edge.raw.dng_colour import DngColourTags, dng_conversion, xyz_to_camera
from lowlight_edge.raw.illuminants import illuminant_xy


@dataclass(frozen=True)
class CameraResponse:
    profile: CameraProfile
    light: str  # the light's name: A, D65, 3200K, ...
    srgb_to_camera: np.ndarray  # [3, 3]: the scene's linear sRGB -> camera RGB under the light (white: green 1)
    tags: DngColourTags  # what the camera's DNG says about its colour, AsShotNeutral included

    @property
    def name(self) -> str:
        return f"{self.profile.key} under {self.light}"

    def conversion(self) -> ColourConversion:
        """What a reader of this camera's DNG computes: the way back to linear sRGB."""
        return dng_conversion(self.tags)


def camera_response(profile: CameraProfile, light: str = "D65") -> CameraResponse:
    """`profile` under the light `light` (see raw/illuminants.py for the names it takes)."""
    white = np.asarray(illuminant_xy(light), dtype=np.float64)
    calibration = DngColourTags(profile.color_matrices, profile.illuminants)
    seen = xyz_to_camera(calibration, white) @ bradford(XY_D65, white) @ SRGB_TO_XYZ
    neutral = seen @ np.ones(3)  # the camera's response to a white surface under the light
    response = seen / neutral[1]
    tags = DngColourTags(profile.color_matrices, profile.illuminants, as_shot_neutral=neutral / neutral[1])
    return CameraResponse(profile, light, response, tags)

