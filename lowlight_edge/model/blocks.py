"""Convolution blocks of the U-Net (one concept per file, timm-style)."""

from torch import nn


class DoubleConv(nn.Sequential):
    """Two 3x3 convolutions, each followed by LeakyReLU(0.2), as in SID's U-Net."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__(
            nn.Conv2d(in_channels, out_channels, 3, padding=1),
            nn.LeakyReLU(0.2),
            nn.Conv2d(out_channels, out_channels, 3, padding=1),
            nn.LeakyReLU(0.2),
        )


class UpConv(nn.ConvTranspose2d):
    """2x2 transposed convolution with stride 2: doubles H and W."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__(in_channels, out_channels, kernel_size=2, stride=2)
