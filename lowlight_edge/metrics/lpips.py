"""LPIPS v0.1 with the AlexNet backbone (Zhang et al., CVPR 2018), implemented here in PyTorch.

torchvision is not available, so the five AlexNet convolutions are built directly. The computation is
the reference one (lpips package, `LPIPS(net='alex', version='0.1')`):

1. images in [0, 1] -> [-1, 1], then the scaling layer: (x - shift) / scale with
   shift = (-0.030, -0.088, -0.188), scale = (0.458, 0.448, 0.450);
2. AlexNet features after each of the five ReLUs (conv1 11x11/4 pad 2, max-pool 3/2, conv2 5x5 pad 2,
   max-pool 3/2, conv3-5 3x3 pad 1);
3. per layer: unit-normalise each feature vector over channels (eps 1e-10), squared difference, a
   learned 1x1 convolution to one channel (the v0.1 linear weights), mean over space;
4. sum over the five layers. With `spatial=True` each layer's map is bilinearly upsampled to the input
   size instead of averaged, and the maps are summed: a per-pixel distance map.

Full resolution, no resizing. Inputs are [N, 3, H, W] tensors in [0, 1].
"""

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from lowlight_edge.metrics.lpips_weights import ALEXNET_CONVS as _CONVS
from lowlight_edge.metrics.lpips_weights import FEATURE_INDICES, load_state, resolve

SHIFT = (-0.030, -0.088, -0.188)
SCALE = (0.458, 0.448, 0.450)


class LPIPS(nn.Module):
    def __init__(self, state: dict[str, np.ndarray]) -> None:
        super().__init__()
        self.convs = nn.ModuleList(nn.Conv2d(i, o, k, stride=s, padding=p) for i, o, k, s, p in _CONVS)
        self.lins = nn.ModuleList(nn.Conv2d(c, 1, 1, bias=False) for _, c, *_ in _CONVS)
        self.register_buffer("shift", torch.tensor(SHIFT).view(1, 3, 1, 1))
        self.register_buffer("scale", torch.tensor(SCALE).view(1, 3, 1, 1))
        with torch.no_grad():
            for conv, index in zip(self.convs, FEATURE_INDICES):
                conv.weight.copy_(torch.from_numpy(state[f"features.{index}.weight"]))
                conv.bias.copy_(torch.from_numpy(state[f"features.{index}.bias"]))
            for i, lin in enumerate(self.lins):
                lin.weight.copy_(torch.from_numpy(state[f"lin{i}.weight"]))
        self.eval()
        self.requires_grad_(False)

    @classmethod
    def from_weights(cls, path: Path | None = None) -> "LPIPS":
        return cls(load_state(resolve(path)))

    def features(self, x: torch.Tensor) -> list[torch.Tensor]:
        x = ((2 * x - 1) - self.shift) / self.scale
        out = []
        for i, conv in enumerate(self.convs):
            if i in (1, 2):
                x = F.max_pool2d(x, kernel_size=3, stride=2)
            x = F.relu(conv(x))
            out.append(x)
        return out

    def layer_maps(self, a: torch.Tensor, b: torch.Tensor) -> list[torch.Tensor]:
        """Per-layer weighted distance maps [N, 1, h_l, w_l], one per AlexNet ReLU."""
        return [lin((_unit(fa) - _unit(fb)) ** 2) for lin, fa, fb in zip(self.lins, self.features(a), self.features(b))]

    def forward(self, a: torch.Tensor, b: torch.Tensor, spatial: bool = False) -> torch.Tensor:
        """[N] distances, or [N, 1, H, W] maps with spatial=True."""
        maps = self.layer_maps(a, b)
        return spatial_map(maps, a.shape[-2:]) if spatial else distance(maps)


def distance(maps: list[torch.Tensor]) -> torch.Tensor:
    return sum(m.mean(dim=(2, 3)) for m in maps).flatten()


def spatial_map(maps: list[torch.Tensor], size) -> torch.Tensor:
    return sum(F.interpolate(m, size=size, mode="bilinear", align_corners=False) for m in maps)


def _unit(x: torch.Tensor, eps: float = 1e-10) -> torch.Tensor:
    return x / (torch.sqrt((x * x).sum(dim=1, keepdim=True)) + eps)
