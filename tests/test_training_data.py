"""Synthetic training data: dead-leaves scenes, the PyTorch sensor model, and the patch factory.

References come from outside the code under test: the power-law CDF written out from its density, the noise
variance from raw/sensor.py's SensorModel (the numpy model the toolkit's frames are made with), and the CFA
planes from raw/sensor.py's `mosaic`. Each closeness check has a negative control that fails it.
"""

import numpy as np
import pytest
import torch

from lowlight_edge.raw.cfa import PHASES, channel_offsets
from lowlight_edge.raw.sensor import SensorModel, mosaic, srgb_to_linear
from lowlight_edge.train.dead_leaves import dead_leaves, power_law_radii
from lowlight_edge.train.patches import PatchFactory
from lowlight_edge.train.torch_sensor import clean_planes, noisy_packed


def _power_law_cdf(r, r_min, r_max, exponent):  # integral of c * r^-exponent from r_min, normalised
    a = 1 - exponent
    return (r**a - r_min**a) / (r_max**a - r_min**a)


@pytest.mark.parametrize("drawn_with, passes", [(3.0, True), (2.0, False)])
def test_radii_follow_the_power_law(drawn_with, passes):
    radii = np.sort(power_law_radii(np.random.default_rng(0), 20000, 1.0, 100.0, exponent=drawn_with))
    empirical = np.arange(1, radii.size + 1) / radii.size
    ks = np.abs(empirical - _power_law_cdf(radii, 1.0, 100.0, 3.0)).max()  # against the r^-3 law
    assert (ks < 0.015) == passes, ks


def _spectral_slope(grey: np.ndarray) -> float:
    """Slope of log power against log frequency, radially averaged over mid frequencies."""
    power = np.abs(np.fft.fftshift(np.fft.fft2(grey - grey.mean()))) ** 2
    h, w = grey.shape
    yy, xx = np.indices(grey.shape)
    radius = np.hypot(yy - h // 2, xx - w // 2).astype(int)
    profile = np.bincount(radius.ravel(), power.ravel()) / np.bincount(radius.ravel())
    f = np.arange(4, h // 3)
    return float(np.polyfit(np.log(f), np.log(profile[f]), 1)[0])


def test_dead_leaves_have_the_power_law_spectrum_of_photographs_and_noise_does_not():
    from lowlight_edge.raw.scenes import load_image

    photograph = _spectral_slope(load_image("astronaut")[:256, :256].mean(axis=2))  # about -3 (with the optics)
    rng = np.random.default_rng(0)
    slopes = [_spectral_slope(dead_leaves(256, rng).mean(axis=2)) for _ in range(3)]
    noise = _spectral_slope(rng.random((256, 256)))
    assert all(abs(s - photograph) < 1.0 for s in slopes), (slopes, photograph)
    assert abs(noise - photograph) > 1.0, noise  # negative control: white noise has a flat spectrum


def test_dead_leaves_are_deterministic_coloured_and_fully_painted():
    a, b, c = (dead_leaves(128, np.random.default_rng(seed)) for seed in (5, 5, 6))
    assert a.dtype == np.uint8 and a.shape == (128, 128, 3)
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert np.abs(a[..., 0].astype(int) - a[..., 2]).mean() > 5  # colour, not grey
    assert len(np.unique(a.reshape(-1, 3), axis=0)) > 100


@pytest.mark.parametrize("phase", PHASES)
def test_clean_planes_equal_the_numpy_mosaic_packed(phase):
    linear = np.random.default_rng(1).random((8, 10, 3)).astype(np.float32)
    expected = np.stack([mosaic(linear, phase)[dy::2, dx::2] for dy, dx in channel_offsets(phase)])
    tensor = torch.from_numpy(linear.transpose(2, 0, 1).copy())[None]
    got = clean_planes(tensor, torch.tensor([PHASES.index(phase)]))[0].numpy()
    wrong = clean_planes(tensor, torch.tensor([(PHASES.index(phase) + 1) % 4]))[0].numpy()
    assert np.array_equal(got, expected)
    assert not np.array_equal(wrong, expected)  # negative control: another phase samples other pixels


@pytest.mark.parametrize("claimed_iso, passes", [(3200.0, True), (6400.0, False)])
def test_torch_noise_has_the_sensor_models_mean_and_variance(claimed_iso, passes):
    ratio, iso, level = 100.0, 3200.0, 0.2  # linear level of the amplified frame
    planes = torch.full((1, 4, 256, 256), level)
    packed = noisy_packed(planes, torch.tensor([ratio]), torch.tensor([iso]), torch.Generator().manual_seed(0))
    sensor = SensorModel(iso=claimed_iso)
    span = sensor.white - sensor.black
    signal_dn = level * span / ratio
    expected_var = (sensor.noise_variance(signal_dn) + 1 / 12) * (ratio / span) ** 2  # + rounding
    assert float(packed.mean()) == pytest.approx(level, rel=0.01)
    assert (abs(float(packed.var()) / expected_var - 1) < 0.05) == passes


def test_torch_frames_match_the_numpy_frames_statistically():
    from lowlight_edge.raw.pack import pack_bayer
    from lowlight_edge.raw.sensor import simulate_short_exposure

    clean = np.full((256, 256, 3), 0.35, np.float32)
    sensor = SensorModel(iso=1600.0)
    bayer = simulate_short_exposure(clean, 250.0, sensor, "RGGB", np.random.default_rng(0))
    by_numpy = pack_bayer(bayer, "RGGB", sensor.black, sensor.white, 250.0)
    planes = clean_planes(torch.from_numpy(srgb_to_linear(clean).astype(np.float32).transpose(2, 0, 1).copy())[None],
                          torch.tensor([0]))
    by_torch = noisy_packed(planes, torch.tensor([250.0]), torch.tensor([1600.0]), torch.Generator().manual_seed(0))
    assert float(by_torch.mean()) == pytest.approx(float(by_numpy.mean()), rel=0.01)
    assert float(by_torch.std()) == pytest.approx(float(by_numpy.std()), rel=0.03)


def _factory(seed, **kwargs):
    rng = np.random.default_rng(0)
    yy, xx = np.indices((200, 260)) / 200.0  # a smooth colour photograph stand-in: ramps and a wave
    photo = (np.stack([yy, xx / 1.3, 0.5 + 0.4 * np.sin(6 * xx + 3 * yy)], axis=-1) * 255).astype(np.uint8)
    return PatchFactory([photo], [dead_leaves(160, rng) for _ in range(2)], 32, seed, **kwargs)


def test_patch_factory_is_deterministic_for_a_seed_and_in_range():
    (pa, ta), (pb, tb), (pc, _) = _factory(0).batch(4), _factory(0).batch(4), _factory(1).batch(4)
    assert pa.shape == (4, 4, 32, 32) and ta.shape == (4, 3, 64, 64) and pa.dtype == ta.dtype == torch.float32
    assert torch.equal(pa, pb) and torch.equal(ta, tb) and not torch.equal(pa, pc)
    assert 0 <= float(pa.min()) and float(pa.max()) <= 1 and 0 <= float(ta.min()) and float(ta.max()) <= 1


def test_patch_inputs_are_aligned_with_their_targets():
    """The packed input, denoised by averaging, is the target's linear light sampled at the CFA sites."""
    from lowlight_edge.train.patches import Augmentation
    from lowlight_edge.train.torch_sensor import srgb_to_linear as to_linear

    factory = _factory(3, augmentation=Augmentation(ratios=(2.0, 2.0), isos=(100.0, 100.0)))  # little noise
    packed, target = factory.batch(8)
    green = to_linear(target)[:, 1]  # G1 and G2 together sample green on two of the four cell sites
    cell_mean = torch.nn.functional.avg_pool2d(green[:, None], 2)[:, 0]
    aligned = (0.5 * (packed[:, 1] + packed[:, 3]) - cell_mean).abs().mean()
    shifted = (0.5 * (packed[:, 1] + packed[:, 3]) - cell_mean.flip(-1)).abs().mean()
    assert float(aligned) < 0.02 and float(shifted) > 2 * float(aligned)


def test_neutral_torch_frames_match_the_numpy_host_path_statistically():
    """A camera's frame converted to neutral: the training path (torch) against the inference path (numpy)."""
    from lowlight_edge.raw.camera_response import camera_response
    from lowlight_edge.raw.cameras import camera
    from lowlight_edge.raw.pack import pack_bayer
    from lowlight_edge.raw.sensor import simulate_short_exposure
    from lowlight_edge.train.torch_sensor import camera_rgb

    response = camera_response(camera("sony-ilce-7s"), "A")
    mix = response.conversion().packed_mix()
    clean = np.empty((512, 512, 3), np.float32)
    clean[...] = (0.55, 0.35, 0.25)
    sensor = SensorModel(iso=1600.0)
    bayer = simulate_short_exposure(clean, 100.0, sensor, "RGGB", np.random.default_rng(0), response.srgb_to_camera)
    by_numpy = pack_bayer(bayer, "RGGB", sensor.black, sensor.white, 100.0, mix=mix)
    linear = torch.from_numpy(srgb_to_linear(clean).astype(np.float32).transpose(2, 0, 1).copy())[None]
    planes = clean_planes(camera_rgb(linear, torch.from_numpy(response.srgb_to_camera[None])), torch.tensor([0]))

    def by_torch(with_mix):
        return noisy_packed(planes, torch.tensor([100.0]), torch.tensor([1600.0]), torch.Generator().manual_seed(0),
                            mix=torch.from_numpy(mix[None]) if with_mix else None)

    converted = by_torch(True)
    truth = srgb_to_linear(clean)[0, 0, [0, 1, 2, 1]]
    for c in range(4):
        error = float(by_numpy[c].std()) / np.sqrt(by_numpy[c].size)  # the standard error of one frame's mean
        assert abs(float(converted[0, c].mean()) - float(by_numpy[c].mean())) < 6 * error
        assert abs(float(converted[0, c].mean()) - truth[c]) < 4 * error  # unbiased: the clip does not rectify
        assert float(converted[0, c].std()) == pytest.approx(float(by_numpy[c].std()), rel=0.03)
    assert abs(float(by_torch(False)[0, 0].mean()) / float(by_numpy[0].mean()) - 1) > 0.2  # control: no conversion


def test_neutral_patches_carry_the_targets_colour_whatever_the_camera():
    """Each patch is shot by a random training camera under a random light and converted: its cell means are the
    target's linear colour."""
    from lowlight_edge.train.patches import Augmentation
    from lowlight_edge.train.torch_sensor import srgb_to_linear as to_linear

    little_noise = Augmentation(ratios=(2.0, 2.0), isos=(100.0, 100.0))
    packed, target = _factory(5, augmentation=little_noise, cameras=("sony-ilce-7sm3", "olympus-e-m1")).batch(8)
    truth = to_linear(target).mean(dim=(2, 3))
    got = torch.stack([packed[:, 0], 0.5 * (packed[:, 1] + packed[:, 3]), packed[:, 2]], 1).mean(dim=(2, 3))
    assert float((got / truth - 1).abs().max()) < 0.08  # (saturated colours outside a camera's gamut clip at zero)
    assert float((got / truth.roll(1, 0) - 1).abs().max()) > 0.3  # control: another patch's colour
