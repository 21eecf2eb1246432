import numpy as np
import pytest

from lowlight_edge.errors import InputError
from lowlight_edge.raw.cfa import PHASES, channel_offsets, phase_from_pattern
from lowlight_edge.raw.pack import crop_even, pack_bayer, pad_to_multiple, unpack_rgb

# Known raw values per colour: R=1000, G on R's row=2000, B=3000, G on B's row=4000.
VALUES = {"R": 1000, "G1": 2000, "B": 3000, "G2": 4000}


def mosaic_with_known_values(phase: str, h: int = 8, w: int = 12) -> np.ndarray:
    bayer = np.zeros((h, w), np.uint16)
    for name, (dy, dx) in zip(("R", "G1", "B", "G2"), channel_offsets(phase)):
        bayer[dy::2, dx::2] = VALUES[name]
    return bayer


@pytest.mark.parametrize("phase", PHASES)
def test_every_phase_packs_to_r_g1_b_g2(phase):
    packed = pack_bayer(mosaic_with_known_values(phase), phase, black=0, white=10000)
    assert packed.shape == (4, 4, 6) and packed.dtype == np.float32
    np.testing.assert_allclose(packed[:, 0, 0], [0.1, 0.2, 0.3, 0.4], rtol=1e-6)
    assert all(np.ptp(packed[c]) == 0 for c in range(4))


def test_green_on_reds_row_is_g1():
    # GRBG: row 0 = G R, so the G at (0, 0) shares red's row.
    assert channel_offsets("GRBG") == [(0, 1), (0, 0), (1, 0), (1, 1)]
    assert channel_offsets("BGGR") == [(1, 1), (1, 0), (0, 0), (0, 1)]


def test_per_channel_black_levels_are_subtracted_per_channel():
    bayer = mosaic_with_known_values("RGGB")
    black = (1000, 1000, 2000, 3000)
    packed = pack_bayer(bayer, "RGGB", black=black, white=11000)
    np.testing.assert_allclose(packed[:, 0, 0], [0.0, 1000 / 10000, 1000 / 9000, 1000 / 8000], rtol=1e-6)


def test_ratio_amplifies_then_clips_at_one():
    bayer = mosaic_with_known_values("RGGB")
    packed = pack_bayer(bayer, "RGGB", black=0, white=10000, ratio=3.0)
    np.testing.assert_allclose(packed[:, 0, 0], [0.3, 0.6, 0.9, 1.0], rtol=1e-6)
    below_black = pack_bayer(np.full((4, 4), 10, np.uint16), "RGGB", black=512, white=16383)
    assert below_black.min() == 0.0


def test_fractional_ratio_follows_clip_then_scale():
    saturated = np.full((4, 4), 16383, np.uint16)
    assert pack_bayer(saturated, "RGGB", black=512, white=16383, ratio=0.5).max() == pytest.approx(0.5)


def test_odd_sizes_are_cropped_to_whole_cells():
    bayer = mosaic_with_known_values("RGGB", 9, 13)
    assert crop_even(bayer).shape == (8, 12)
    assert pack_bayer(bayer, "RGGB", 0, 10000).shape == (4, 4, 6)


@pytest.mark.parametrize("h,w", [(5, 7), (16, 16), (17, 30), (3, 40)])
def test_pad_and_crop_back(h, w):
    packed = np.random.default_rng(0).random((1, 4, h, w), dtype=np.float32)
    padded, size = pad_to_multiple(packed, 16)
    assert padded.shape[2] % 16 == 0 and padded.shape[3] % 16 == 0 and size == (h, w)
    np.testing.assert_array_equal(padded[..., :h, :w], packed)
    rgb = np.random.default_rng(1).normal(0.5, 1, (1, 3, 2 * padded.shape[2], 2 * padded.shape[3])).astype(np.float32)
    out = unpack_rgb(rgb, size)
    assert out.shape == (1, 3, 2 * h, 2 * w) and out.min() >= 0 and out.max() <= 1


def test_phase_from_libraw_pattern():
    assert phase_from_pattern([[0, 1], [3, 2]], "RGBG") == "RGGB"
    assert phase_from_pattern([[1, 2], [0, 1]], "RGBG") == "GBRG"
    with pytest.raises(InputError, match="X-Trans"):
        phase_from_pattern([[0] * 6] * 6, "RGBG")
    with pytest.raises(InputError, match="not an RGB Bayer"):
        phase_from_pattern([[0, 1], [2, 3]], "CMYG")


def test_bad_inputs_to_packing():
    with pytest.raises(InputError, match="ratio"):
        pack_bayer(np.zeros((4, 4), np.uint16), "RGGB", 0, 100, ratio=0)
    with pytest.raises(InputError, match="white level"):
        pack_bayer(np.zeros((4, 4), np.uint16), "RGGB", 512, 100)
    with pytest.raises(InputError, match="unsupported CFA"):
        pack_bayer(np.zeros((4, 4), np.uint16), "RGBG", 0, 100)
