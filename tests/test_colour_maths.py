"""The colour maths against an independent implementation: colour-science (colorimetry) and colour-hdri (the DNG
specification's "Mapping Camera Color Space to CIE XYZ Space", written by other people from the same chapter).

Each closeness test has a negative control that the same tolerance refuses."""

import warnings

import numpy as np
import pytest

from lowlight_edge.errors import InputError
from lowlight_edge.raw import colorimetry as ours
from lowlight_edge.raw.camera_response import camera_response
from lowlight_edge.raw.cameras import CAMERAS, HELD_OUT_CAMERAS, TRAIN_CAMERAS, camera
from lowlight_edge.raw.colour import ColourConversion
from lowlight_edge.raw.dng_colour import DngColourTags, camera_neutral, camera_to_xyz_d50, dng_conversion, neutral_to_xy

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # colour warns that matplotlib is missing, which these tests do not need
    colour = pytest.importorskip("colour")
    colour_hdri = pytest.importorskip("colour_hdri")

I = np.eye(3)
# a dual-illuminant camera with calibration and analog balance different from the identity
NIKON = camera("nikon-d850")
CM1, CM2 = NIKON.color_matrices
CC1, CC2 = np.diag([1.03, 1.0, 0.97]), np.diag([1.01, 1.0, 0.98])
AB = np.array([1.08, 1.0, 0.94])
# a forward matrix pair (RawTherapee's "NIKON D850.dcp", public domain): white-balanced camera -> XYZ D50
FM1 = np.array([0.6361, 0.1828, 0.1455, 0.2392, 0.7173, 0.0434, 0.0033, 0.1138, 0.7080]).reshape(3, 3)
FM2 = np.array([0.6464, 0.1203, 0.1976, 0.3066, 0.6332, 0.0602, 0.0001, 0.0021, 0.8229]).reshape(3, 3)
WHITES = [(0.3127, 0.3290), (0.4476, 0.4074), (0.38, 0.38), (0.35, 0.36), (0.295, 0.305)]


def _hdri(xy, forward: bool):
    return colour_hdri.matrix_camera_space_to_XYZ(np.asarray(xy), 2850, 6500, CM1, CM2, CC1, CC2, AB,
                                                  FM1 if forward else I, FM2 if forward else I)


def _scaled(m):
    return m / np.abs(m).max()


def test_colorimetry_matches_colour_science():
    d65 = colour.CCS_ILLUMINANTS["CIE 1931 2 Degree Standard Observer"]["D65"]
    assert np.allclose(ours.SRGB_TO_XYZ, colour.RGB_COLOURSPACES["sRGB"].matrix_RGB_to_XYZ, atol=2e-4)
    for xy in WHITES:
        uv = colour.UCS_to_uv(colour.XYZ_to_UCS(colour.xy_to_XYZ(xy)))
        assert ours.cct_from_xy(xy) == pytest.approx(colour.temperature.uv_to_CCT_Robertson1968(uv)[0], rel=1e-6)
    reference = colour.adaptation.matrix_chromatic_adaptation_VonKries(colour.xy_to_XYZ((0.4476, 0.4074)),
                                                                        colour.xy_to_XYZ(d65), "Bradford")
    assert np.allclose(ours.bradford((0.4476, 0.4074), tuple(d65)), reference, atol=1e-6)
    assert ours.daylight_xy(7500) == pytest.approx(tuple(colour.temperature.CCT_to_xy_CIE_D(7500)), abs=2e-4)
    assert ours.planckian_xy(3000) == pytest.approx(tuple(colour.temperature.CCT_to_xy_Kang2002(3000)), abs=2e-4)


@pytest.mark.parametrize("forward", [False, True], ids=["color-matrix", "forward-matrix"])
def test_camera_to_xyz_matches_colour_hdri(forward):
    tags = DngColourTags((CM1, CM2), (17, 21), (FM1, FM2) if forward else (), (CC1, CC2), AB)
    for xy in WHITES:
        neutral = colour_hdri.xy_to_camera_neutral(np.asarray(xy), 2850, 6500, CM1, CM2, CC1, CC2, AB)
        assert np.allclose(camera_neutral(tags, xy), neutral, atol=1e-9)
        assert np.allclose(neutral_to_xy(tags, neutral), xy, atol=1e-7)
        ours_m = camera_to_xyz_d50(tags, np.asarray(xy), camera_neutral(tags, xy))
        assert np.abs(_scaled(ours_m) - _scaled(_hdri(xy, forward))).max() < 1e-3
    # control: the calibrations swapped (ColorMatrix2 read as the Standard light A one) is far outside that tolerance
    swapped = DngColourTags((CM2, CM1), (17, 21), (FM2, FM1) if forward else (), (CC2, CC1), AB)
    xy = np.asarray(WHITES[1])  # incandescent: all weight on the first calibration
    wrong = camera_to_xyz_d50(swapped, xy, camera_neutral(swapped, xy))
    assert np.abs(_scaled(wrong) - _scaled(_hdri(xy, forward))).max() > 1e-2


def test_every_camera_response_converts_back_to_the_scene():
    for key in CAMERAS:
        for light in ("A", "3200K", "4500K", "D65", "D75"):
            response = camera_response(camera(key), light)
            conversion = response.conversion()
            back = np.asarray(conversion.matrix) @ np.diag(conversion.gains) @ response.srgb_to_camera
            assert np.allclose(back, I, atol=1e-6), (key, light)
            assert conversion.gains[1] == 1.0 and np.allclose(np.asarray(conversion.matrix).sum(axis=1), 1.0)


def test_wrong_conversions_do_not_convert_back():
    """The controls the real-camera test uses are wrong here already: transposed matrix, inverted white balance,
    the wrong light."""
    response = camera_response(camera("canon-eos-r6"), "A")
    right = response.conversion()
    wrong = {
        "transposed matrix": (right.gains, np.asarray(right.matrix).T),
        "inverted white balance": (1 / np.asarray(right.gains), right.matrix),
        "wrong illuminant": (camera_response(camera("canon-eos-r6"), "D65").conversion().gains,
                             camera_response(camera("canon-eos-r6"), "D65").conversion().matrix),
    }
    for name, (gains, matrix) in wrong.items():
        back = np.asarray(matrix) @ np.diag(gains) @ response.srgb_to_camera
        assert np.abs(back - I).max() > 0.1, name


def test_the_identity_sensor_in_daylight_is_the_identity():
    conversion = camera_response(camera("identity"), "D65").conversion()
    assert np.allclose(conversion.gains, 1) and np.allclose(conversion.matrix, I, atol=1e-9)


def test_training_and_held_out_cameras_are_disjoint_and_the_held_out_span_three_makers():
    assert not set(TRAIN_CAMERAS) & set(HELD_OUT_CAMERAS)
    assert len({camera(key).make.split()[0].lower() for key in HELD_OUT_CAMERAS}) >= 3
    assert all(camera(key).source for key in CAMERAS)


@pytest.mark.parametrize("tags, named", [
    (dict(color_matrices=(np.zeros((3, 3)),), illuminants=(21,)), "singular"),
    (dict(color_matrices=(np.full((3, 3), np.nan),), illuminants=(21,)), "finite"),
    (dict(color_matrices=(CM1 * 1000,), illuminants=(21,)), "beyond 100"),
    (dict(color_matrices=(CM1, CM2), illuminants=(17, 99)), "CalibrationIlluminant2 = 99"),
    (dict(color_matrices=(CM1, CM2), illuminants=(21, 21)), "two colour temperatures"),
    (dict(color_matrices=(CM2,), illuminants=(21,), as_shot_neutral=np.array([0.5, 0.0, 0.7])), "AsShotNeutral"),
    (dict(color_matrices=(CM2,), illuminants=(21,), as_shot_neutral=np.array([-0.5, 1, 0.7])), "AsShotNeutral"),
    (dict(color_matrices=(CM2,), illuminants=(21,), forward_matrices=(np.ones((3, 3)),)), "ForwardMatrix1"),
    (dict(color_matrices=(CM2,), illuminants=(21,), as_shot_white_xy=(0.9, 0.5)), "AsShotWhiteXY"),
], ids=["singular", "nan", "absurd", "no-such-illuminant", "same-illuminant", "zero-neutral", "negative-neutral",
        "singular-forward", "not-a-chromaticity"])
def test_broken_colour_tags_are_one_line_naming_what_is_wrong(tags, named):
    with pytest.raises(InputError, match=named) as caught:
        dng_conversion(DngColourTags(**tags))
    assert "\n" not in str(caught.value)


def test_a_conversion_outside_any_camera_is_refused():
    with pytest.raises(InputError, match="zero or negative"):
        ColourConversion.from_arrays([1.0, 0.0, 1.0], I, "test", "test")
    with pytest.raises(InputError, match="singular"):
        ColourConversion.from_arrays([1.0, 1.0, 1.0], np.ones((3, 3)), "test", "test")
