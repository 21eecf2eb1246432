"""The generator: SID's U-Net with an attention gate on every skip connection.

Input  [N, 4, h, w]  packed Bayer (R, G1, B, G2), amplified and normalised to [0, 1];
output [N, 3, 2h, 2w] linear-to-sRGB image (the caller clips to [0, 1]).
h and w must be multiples of 2**depth (16 for the default 4 poolings).
"""

import torch
from torch import nn

from lowlight_edge.model.attention import AttentionGate
from lowlight_edge.model.blocks import DoubleConv, UpConv
from lowlight_edge.model.config import GeneratorConfig


class DecoderLevel(nn.Module):
    """Upsample, gate the skip with the upsampled features, concatenate, two convolutions."""

    def __init__(self, in_channels: int, out_channels: int, attention: bool) -> None:
        super().__init__()
        self.up = UpConv(in_channels, out_channels)
        self.gate = AttentionGate(out_channels, out_channels, max(out_channels // 2, 1)) if attention else None
        self.conv = DoubleConv(2 * out_channels, out_channels)

    def forward(self, x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        up = self.up(x)
        if self.gate is not None:
            skip = self.gate(skip, up)
        return self.conv(torch.cat([up, skip], dim=1))


class AttentionUNet(nn.Module):
    def __init__(self, config: GeneratorConfig | None = None) -> None:
        super().__init__()
        self.config = config or GeneratorConfig()
        widths = self.config.level_widths
        self.encoders = nn.ModuleList(
            DoubleConv(c_in, c_out) for c_in, c_out in zip([self.config.in_channels] + widths[:-1], widths)
        )
        self.pool = nn.MaxPool2d(2)
        self.decoders = nn.ModuleList(
            DecoderLevel(widths[i + 1], widths[i], self.config.attention) for i in reversed(range(self.config.depth))
        )
        factor = self.config.upscale
        self.head = nn.Conv2d(widths[0], self.config.out_channels * factor * factor, 1)
        self.to_rgb = nn.PixelShuffle(factor)  # exports as ONNX DepthToSpace (CRD)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = []
        for level, encoder in enumerate(self.encoders):
            x = encoder(x if level == 0 else self.pool(x))
            skips.append(x)
        x = skips.pop()
        for decoder in self.decoders:
            x = decoder(x, skips.pop())
        return self.to_rgb(self.head(x))
