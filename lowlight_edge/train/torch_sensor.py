"""The sensor model of raw/sensor.py in PyTorch, so training pairs are made on the training device.

A GPU trains the generator at thousands of patches a second; numpy on the host cannot feed it. This is the
same physics (inverse sRGB, exposure ratio, Poisson shot noise of gain K, Gaussian read noise, 14-bit
clip and rounding, SID normalisation) applied straight to the four packed planes: noise is independent per
pixel, so noising the planes equals noising the mosaic and packing it. Parameters come from SensorModel, and
a test checks the noise statistics against its `noise_variance` formula.
"""

import torch

from lowlight_edge.raw.cfa import PHASES, channel_offsets
from lowlight_edge.raw.colour import NEUTRAL_RANGE
from lowlight_edge.raw.sensor import SensorModel

RGB_OF_CHANNEL = (0, 1, 2, 1)  # R, G1, B, G2 -> the colour each packed channel samples


def srgb_to_linear(srgb: torch.Tensor) -> torch.Tensor:
    srgb = srgb.clamp(0.0, 1.0)
    return torch.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)


def linear_to_srgb(linear: torch.Tensor) -> torch.Tensor:
    linear = linear.clamp(0.0, 1.0)
    return torch.where(linear <= 0.0031308, linear * 12.92, 1.055 * linear.clamp_min(1e-12) ** (1 / 2.4) - 0.055)


def camera_rgb(linear: torch.Tensor, srgb_to_camera: torch.Tensor) -> torch.Tensor:
    """Linear sRGB [N, 3, H, W] -> what each item's camera records [N, 3, H, W] (its [N, 3, 3] response), >= 0."""
    return torch.einsum("nij,njhw->nihw", srgb_to_camera.to(linear), linear).clamp_min(0.0)


def clean_planes(linear: torch.Tensor, phase_index: torch.Tensor) -> torch.Tensor:
    """Linear RGB [N, 3, H, W] -> the clean packed planes [N, 4, H/2, W/2] a sensor of each item's phase sees."""
    out = linear.new_empty(linear.shape[0], 4, linear.shape[2] // 2, linear.shape[3] // 2)
    for p, phase in enumerate(PHASES):
        items = (phase_index == p).nonzero().flatten()
        if len(items):
            for c, (dy, dx) in enumerate(channel_offsets(phase)):
                out[items, c] = linear[items, RGB_OF_CHANNEL[c], dy::2, dx::2]
    return out


def noisy_packed(planes: torch.Tensor, ratio: torch.Tensor, iso: torch.Tensor, generator: torch.Generator,
                 sensor: SensorModel = SensorModel(), mix: torch.Tensor | None = None) -> torch.Tensor:
    """Clean linear planes [N, 4, h, w] -> the model's input: a 1/ratio exposure, noised, quantised, packed.

    `ratio` and `iso` are per item [N]; black and white levels are the sensor's (the a7S II's 512/16383). `mix`
    [N, 4, 4] is each item's colour conversion for a `neutral` model (raw/colour.py `packed_mix`), applied between
    the amplification and a symmetric clip, as raw/pack.py does.
    """
    shape = (-1, 1, 1, 1)
    per_item = [SensorModel(iso=value, black=sensor.black, white=sensor.white) for value in iso.tolist()]
    gain = torch.tensor([s.gain for s in per_item], dtype=planes.dtype, device=planes.device).view(shape)
    read_noise = torch.tensor([s.read_noise for s in per_item], dtype=planes.dtype, device=planes.device).view(shape)
    span = float(sensor.white - sensor.black)
    signal = planes * (span / ratio.view(shape))
    electrons = torch.poisson(signal / gain, generator=generator)
    noise = torch.randn(signal.shape, generator=generator, device=signal.device, dtype=signal.dtype)
    raw = (sensor.black + gain * electrons + noise * read_noise).round().clamp(0, sensor.white)
    packed = (raw - sensor.black) * (ratio.view(shape) / span)
    cap = ratio.clamp(max=1.0).view(shape)
    if mix is not None:  # neutral: converted, then clipped symmetrically and wider (raw/colour.py NEUTRAL_RANGE)
        packed = torch.einsum("nck,nkhw->nchw", mix.to(packed), packed)
        return torch.maximum(torch.minimum(packed, NEUTRAL_RANGE * cap), -NEUTRAL_RANGE * cap)
    return torch.minimum(packed.clamp_min(0.0), cap)
