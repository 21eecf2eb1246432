"""The pipeline graph's pre- and post-processing as a PyTorch module around the generator.

The same operations in the same FP32 order as export/pipeline_graph.py, so PyTorch CUDA can measure (and
check) the whole-frame pipeline on a GPU machine without TensorRT. Inputs and outputs follow the contract of
onnxgraph/pipeline_io.py: uint8 mosaic bytes [H, 2W], black [4], white [1], ratio [1], cfa int32 [4] (and for a
neutral network gains [3] and colour_matrix [3, 3]) in; uint8 [H, W, 3] (or byte pairs [H, W, 3, 2] for 16 bits)
out.
"""

import torch
import torch.nn.functional as F
from torch import nn

from lowlight_edge.raw.colour import MIX_COLUMNS, MIX_ROWS, MIX_SCALE, NEUTRAL_RANGE


class PipelineModule(nn.Module):
    def __init__(self, network: nn.Module, multiple: int, bits: int = 8, half: bool = False,
                 neutral: bool = False) -> None:
        super().__init__()
        self.network, self.multiple, self.bits, self.half, self.neutral = network, multiple, bits, half, neutral

    def forward(self, mosaic: torch.Tensor, black: torch.Tensor, white: torch.Tensor, ratio: torch.Tensor,
                cfa: torch.Tensor, gains: torch.Tensor | None = None,
                colour_matrix: torch.Tensor | None = None) -> torch.Tensor:
        values = mosaic.float()
        cells = torch.stack([values[dy::2, 2 * dx + 1::4] * 256.0 + values[dy::2, 2 * dx::4]
                             for dy in (0, 1) for dx in (0, 1)])
        ordered = cells[cfa.long()]  # [4, h, w] in R, G1, B, G2 order
        gain = (ratio / (white - black))[:, None, None]
        scaled = (ordered - black[:, None, None]) * gain
        if self.neutral:  # each cell converted to linear sRGB primaries and clipped symmetrically, as raw/pack.py does
            rows, columns = list(MIX_ROWS), list(MIX_COLUMNS)
            scale = torch.tensor(MIX_SCALE, dtype=scaled.dtype, device=scaled.device)
            mix = colour_matrix[rows][:, columns] * scale * gains[columns][None, :]
            bound = torch.clamp_max(ratio, 1.0) * NEUTRAL_RANGE
            packed = torch.clamp(torch.einsum("ck,khw->chw", mix, scaled), -bound, bound)[None]
        else:
            packed = torch.minimum(torch.clamp_min(scaled, 0.0), torch.clamp_max(ratio, 1.0))[None]
        h, w = packed.shape[-2:]
        padded = F.pad(packed, (0, (-w) % self.multiple, 0, (-h) % self.multiple), mode="reflect")
        rgb = self.network(padded.half()).float() if self.half else self.network(padded)
        peak = float((1 << self.bits) - 1)
        planar = torch.round(torch.clamp(rgb[0, :, : 2 * h, : 2 * w] * peak, 0.0, peak))  # half to even
        hwc = planar.permute(1, 2, 0)
        if self.bits == 16:
            hi = torch.floor(hwc / 256.0)
            hwc = torch.stack([hwc - hi * 256.0, hi], dim=-1)
        return hwc.to(torch.uint8)
