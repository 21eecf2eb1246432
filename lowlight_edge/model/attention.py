"""Additive attention gate (Oktay et al., "Attention U-Net", 2018).

The gating signal g (decoder features, upsampled to the skip's resolution) and the skip x each pass a
1x1 convolution to `inter` channels; their sum goes through ReLU, a 1x1 convolution to one channel and
a sigmoid, giving a per-pixel coefficient alpha in [0, 1] that multiplies the skip.
"""

import torch
from torch import nn


class AttentionGate(nn.Module):
    def __init__(self, gate_channels: int, skip_channels: int, inter_channels: int) -> None:
        super().__init__()
        self.gate_proj = nn.Conv2d(gate_channels, inter_channels, 1)
        self.skip_proj = nn.Conv2d(skip_channels, inter_channels, 1, bias=False)
        self.psi = nn.Conv2d(inter_channels, 1, 1)

    def coefficients(self, skip: torch.Tensor, gate: torch.Tensor) -> torch.Tensor:
        """The attention map alpha, shape [N, 1, H, W], values in [0, 1]."""
        return torch.sigmoid(self.psi(torch.relu(self.gate_proj(gate) + self.skip_proj(skip))))

    def forward(self, skip: torch.Tensor, gate: torch.Tensor) -> torch.Tensor:
        return skip * self.coefficients(skip, gate)
