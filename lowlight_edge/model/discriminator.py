"""Conditional PatchGAN discriminator (Isola et al., pix2pix) for adversarial training.

It judges an RGB image [N, 3, 2h, 2w] *given* the packed input [N, 4, h, w]: the RGB image is folded to
half resolution with pixel-unshuffle (12 channels) and concatenated with the packed frame, so both are
seen at full fidelity. The output is a grid of real/fake logits, one per ~70x70 receptive field.
"""

import torch
import torch.nn.functional as F
from torch import nn


class PatchDiscriminator(nn.Module):
    def __init__(self, width: int = 64, in_channels: int = 4, rgb_channels: int = 3, upscale: int = 2) -> None:
        super().__init__()
        self.upscale = upscale
        channels = in_channels + rgb_channels * upscale * upscale
        layers: list[nn.Module] = [nn.Conv2d(channels, width, 4, stride=2, padding=1), nn.LeakyReLU(0.2)]
        c = width
        for stride in (2, 2, 1):
            layers += [
                nn.Conv2d(c, c * 2, 4, stride=stride, padding=1),
                nn.InstanceNorm2d(c * 2, affine=True),
                nn.LeakyReLU(0.2),
            ]
            c *= 2
        layers.append(nn.Conv2d(c, 1, 4, stride=1, padding=1))
        self.net = nn.Sequential(*layers)

    def forward(self, packed: torch.Tensor, rgb: torch.Tensor) -> torch.Tensor:
        folded = F.pixel_unshuffle(rgb, self.upscale)
        return self.net(torch.cat([packed, folded], dim=1))
