"""The pipeline graph's packing and 8-bit conversion in the form CPU runtimes (ONNX Runtime, OpenVINO) run fastest.

ONNX Runtime runs each node as its own pass over memory, and at the Sony full frame each pass over the network's
output (36 million values) costs 16-28 ms on a 2-core CPU, so the fewest nodes win. Two ops do several steps at once,
with the same values as the host path:

- packing: one strided Conv (kernel 2x4, stride 2x4, one output channel per packed channel) reads each 2x2 cell's
  eight bytes and gives lo + 256 * hi for each position, in the order the `cfa` input asks (its weights are
  gathered by `cfa`); its bias subtracts the black level. Weights 0, 1 and 256 on bytes make every partial sum an
  integer below 2^24, exact in FP32 in any order, and the bias adds -black with the one rounding x - black has.
- 8-bit output: QuantizeLinear with scale 1/255 and zero point 0 scales, rounds half to even and saturates in one
  pass, straight to uint8; the crop and HWC layout then move bytes instead of floats. Dividing by the FP32 scale
  instead of multiplying by 255 can move a value that lands exactly on a half to the other side: at most 1 LSB.

For a `neutral` network the colour conversion follows the exact packing as in the tensorrt form (a broadcast Mul and
a ReduceSum in sample order): the same float32 operations as the host path, so the same bits. Folding it into the
packing Conv's weights costs nothing per pixel, but sums in another order and subtracts the black level after
mixing: an INT8 network's quantized input then differed by a step at ~30% of the pixels, 6 LSB in the picture.

TensorRT's parser refuses these (uint8 inside the graph, a convolution with computed weights), so graphs made this
way are for CPU runtimes only; their metadata says so (`target` in the pipeline spec) and `check`/`build` refuse
them. 16-bit output keeps the portable conversion (QuantizeLinear to uint16 needs opset 21).
"""

import numpy as np
from onnx import TensorProto

from lowlight_edge.export.network_layout import NCHW
from lowlight_edge.export.pipeline_builder import PipelineBuilder
from lowlight_edge.onnxgraph.pipeline_io import BLACK, CFA, IMAGE, MOSAIC


def packing_weights() -> np.ndarray:
    """[4, 1, 2, 4]: output channel p = 2*dy + dx takes the bytes of cell position (dy, dx): lo + 256 * hi."""
    weights = np.zeros((4, 1, 2, 4), np.float32)
    for dy in (0, 1):
        for dx in (0, 1):
            weights[2 * dy + dx, 0, dy, 2 * dx:2 * dx + 2] = (1.0, 256.0)
    return weights


class CpuPipelineBuilder(PipelineBuilder):
    """PipelineBuilder with the packing and the 8-bit output in fewer nodes; padding and casts are the same."""

    def pack_and_normalise(self) -> tuple[str, str]:
        values = self.op("Cast", [MOSAIC], "bytes_f32", to=TensorProto.FLOAT)  # [H, 4w]: row y, cell x, (dx, byte)
        shape = self.op("Shape", [values], "mosaic_shape")
        packed_hw = self.op("Div", [shape, self.const("bytes_per_cell", [2, 4], np.int64)], "packed_hw")
        image = self.op("Unsqueeze", [values, self.const("axes01", [0, 1], np.int64)], "bytes_1x1")
        # the cell positions' filters in R, G1, B, G2 order: one graph serves every CFA phase
        weights = self.op("Gather", [self.const("packing", packing_weights(), np.float32), CFA], "rggb_weights", axis=0)
        minus_black = self.op("Neg", [BLACK], "minus_black")
        value = self.op("Conv", [image, weights, minus_black], "value_minus_black", kernel_shape=[2, 4], strides=[2, 4])
        scaled = self.op("Mul", [value, self.gain(self.const("n4hw", [1, 4, 1, 1], np.int64))], "scaled")
        scalar = self.const("scalar", np.zeros(0, np.int64), np.int64)
        if self.neutral:  # converted as the tensorrt form converts ([4, 1, h, w] out), clipped symmetrically
            mixed = self.op("Reshape", [self.mix_cells(scaled), self.const("batch_of_1", [1, 4, 0, 0], np.int64)],
                            "mixed_1x4")
            bound = self.op("Reshape", [self.neutral_bound(), scalar], "bound_scalar")
            return self.op("Clip", [mixed, self.op("Neg", [bound], "minus_bound"), bound], "packed"), packed_hw
        cap = self.op("Reshape", [self.cap(), scalar], "cap_scalar")
        packed = self.op("Clip", [scaled, self.const("zero", 0.0, np.float32), cap], "packed")
        return packed, packed_hw

    def postprocess(self, rgb: str, packed_hw: str, padded_hw: str, bits: int, layout: str) -> None:
        if bits != 8:  # QuantizeLinear to uint16 needs opset 21
            return super().postprocess(rgb, packed_hw, padded_hw, bits, layout)
        pixels = self.op("QuantizeLinear", [rgb, self.const("per_lsb", 1 / 255, np.float32),
                                            self.const("zero_u8", 0, np.uint8)], "pixels", tail=True)
        pixels = self.op("Squeeze", [pixels, self.const("axis0", [0], np.int64)], "pixels_3d", tail=True)
        if layout == NCHW:
            pixels = self.op("Transpose", [pixels], "hwc", tail=True, perm=[1, 2, 0])
        # the crop last, writing the output itself (a Squeeze after it would copy the image once more)
        ends = self.op("Mul", [packed_hw, self.const("two", 2, np.int64)], "out_hw", tail=True)
        start = self.const("start00", [0, 0], np.int64)
        self.op("Slice", [pixels, start, ends, self.const("axes01", [0, 1], np.int64)], "image", out=IMAGE, tail=True)

