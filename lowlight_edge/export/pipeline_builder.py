"""The nodes around the network in a pipeline graph, in the form every runtime takes (TensorRT's parser included).

Only elementwise ops, Clip with constant bounds, Slice, Gather, Pad, Reshape, Transpose, Cast and shape arithmetic,
never MatMul or Conv (TensorRT may run those in TF32, inexact for 16-bit values); TensorRT 10.3's parser takes them
all, and the only integer tensors at its I/O are uint8 and int32 (uint8 nowhere else: TensorRT refuses a Shape of
a uint8 tensor). Where ONNX Runtime and OpenVINO differ (ONNX Runtime is slow at strided slices of many values and
at transposes of more than two moving axes, OpenVINO at strided slices), the graph uses what both run fast.
export/pipeline_builder_cpu.py overrides the packing and the 8-bit conversion for CPU runtimes.

For a `neutral` network the packed cells are converted after amplification, and clipped symmetrically (to
+-4 min(ratio, 1)), as raw/pack.py does:
the [4, 4] conversion is built from the `gains` and `colour_matrix` inputs by Gather and Mul (raw/colour.py's rule)
and applied as a broadcast Mul and a ReduceSum over the cell's four samples (no MatMul: TensorRT may run one in
TF32, which keeps only 10 bits of each value).
"""

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from lowlight_edge.export.network_layout import NCHW
from lowlight_edge.onnxgraph.pipeline_io import BLACK, CFA, COLOUR_MATRIX, GAINS, IMAGE, MOSAIC, RATIO, WHITE
from lowlight_edge.raw.colour import MIX_COLUMNS, MIX_ROWS, MIX_SCALE, NEUTRAL_RANGE

PREFIX = "pipeline/"


class PipelineBuilder:
    """Collects the nodes before the network (`nodes`), after it (`tail`), and their constants."""

    def __init__(self, neutral: bool = False) -> None:
        self.neutral = neutral  # the wrapped network takes neutral input: convert each cell with the colour inputs
        self.nodes: list[onnx.NodeProto] = []
        self.tail: list[onnx.NodeProto] = []
        self.constants: list[onnx.TensorProto] = []
        self._count = 0
        self._made: dict[tuple, str] = {}  # (hint, value, dtype) -> the initializer already made for it

    def name(self, hint: str) -> str:
        self._count += 1
        return f"{PREFIX}{hint}_{self._count}"

    def const(self, hint: str, value, dtype) -> str:
        key = (hint, np.asarray(value, dtype=dtype).tobytes(), np.dtype(dtype).str, np.shape(value))
        if key not in self._made:  # one initializer per constant, however many nodes read it
            self._made[key] = self.name(hint)
            self.constants.append(numpy_helper.from_array(np.asarray(value, dtype=dtype), self._made[key]))
        return self._made[key]

    def op(self, op_type: str, inputs: list[str], hint: str, out: str | None = None, tail: bool = False, **attrs) -> str:
        out = out or self.name(hint)
        (self.tail if tail else self.nodes).append(
            helper.make_node(op_type, inputs, [out], name=self.name(op_type), **attrs))
        return out

    def pack_and_normalise(self) -> tuple[str, str]:
        """mosaic bytes -> normalised packed frame float32 [1, 4, h, w] in R, G1, B, G2 order, and its (h, w)."""
        values = self.op("Cast", [MOSAIC], "bytes_f32", to=TensorProto.FLOAT)  # [H, 4w]: row y, cell x, (dx, byte)
        shape = self.op("Shape", [values], "mosaic_shape")
        packed_hw = self.op("Div", [shape, self.const("bytes_per_cell", [2, 4], np.int64)], "packed_hw")
        row_bytes = self.op("Slice", [shape, self.const("s", [1], np.int64), self.const("e", [2], np.int64)], "row_bytes")
        row_pairs = self.op("Concat", [self.const("pairs", [-1, 2], np.int64), row_bytes], "pair_shape", axis=0)
        pairs = self.op("Reshape", [values, row_pairs], "row_pairs")  # [h, dy, 4w]
        by_row = self.op("Transpose", [pairs], "by_row", perm=[1, 0, 2])  # [dy, h, 4w]: whole rows move
        groups = self.op("Reshape", [by_row, self.const("groups", [2, -1, 4], np.int64)], "groups")  # [dy, h*w, 4]
        planes = self.op("Transpose", [groups], "planes", perm=[0, 2, 1])  # [dy, (dx, byte), h*w]
        by_byte = self.op("Concat", [self.const("pos_byte", [4, 2], np.int64), packed_hw], "byte_shape", axis=0)
        cells = self.op("Reshape", [planes, by_byte], "cells")  # [position 2*dy + dx, byte, h, w]
        axis1 = self.const("axis1", [1], np.int64)
        lo = self.op("Slice", [cells, self.const("s", [0], np.int64), axis1, axis1], "lo")
        hi = self.op("Slice", [cells, axis1, self.const("e", [2], np.int64), axis1], "hi")
        value = self.op("Add", [self.op("Mul", [hi, self.const("byte_scale", 256.0, np.float32)], "hi256"), lo], "value")
        ordered = self.op("Gather", [value, CFA], "rggb", axis=0)  # [4, 1, h, w] in R, G1, B, G2 order
        per_channel = self.const("c111", [4, 1, 1, 1], np.int64)
        black = self.op("Reshape", [BLACK, per_channel], "black_c111")
        scaled = self.op("Mul", [self.op("Sub", [ordered, black], "minus_black"), self.gain(per_channel)], "scaled")
        floor, top = self.const("zero", 0.0, np.float32), self.cap()
        if self.neutral:
            scaled, top = self.mix_cells(scaled), self.neutral_bound()
            floor = self.op("Neg", [top], "minus_bound")
        clipped = self.op("Min", [self.op("Max", [scaled, floor], "floor"), top], "clipped")
        packed = self.op("Reshape", [clipped, self.const("batch_of_1", [1, 4, 0, 0], np.int64)], "packed")
        return packed, packed_hw

    def neutral_bound(self) -> str:
        """A neutral input's clip, NEUTRAL_RANGE x min(ratio, 1), as a [1] tensor."""
        return self.op("Mul", [self.cap(), self.const("range", [NEUTRAL_RANGE], np.float32)], "neutral_bound")

    def colour_mix(self) -> str:
        """The [4, 4] conversion of a packed cell, from the `gains` [3] and `colour_matrix` [3, 3] inputs."""
        rows = self.op("Gather", [COLOUR_MATRIX, self.const("mix_rows", MIX_ROWS, np.int64)], "mix_rows", axis=0)
        cells = self.op("Gather", [rows, self.const("mix_columns", MIX_COLUMNS, np.int64)], "mix_cells", axis=1)
        scaled = self.op("Mul", [cells, self.const("mix_scale", MIX_SCALE, np.float32)], "mix_scaled")
        gains = self.op("Gather", [GAINS, self.const("mix_columns", MIX_COLUMNS, np.int64)], "gains4", axis=0)
        return self.op("Mul", [scaled, gains], "mix")  # column c times the gain of the colour it reads

    def mix_cells(self, planes: str) -> str:
        """[4, 1, h, w] or [1, 4, h, w] (R, G1, B, G2 planes) -> each cell converted by the colour mix, [4, 1, h, w];
        the products summed in sample order, as raw/pack.py `mix_planes` sums them (the same bits)."""
        weights = self.op("Reshape", [self.colour_mix(), self.const("c4411", [4, 4, 1, 1], np.int64)], "mix_4411")
        samples = self.op("Reshape", [planes, self.const("batch_of_1", [1, 4, 0, 0], np.int64)], "cells_1x4")
        terms = self.op("Mul", [weights, samples], "mix_terms")  # [output, sample, h, w]
        return self.op("ReduceSum", [terms, self.const("axis1", [1], np.int64)], "mixed", keepdims=1)

    def gain(self, shape: str) -> str:
        """ratio / (white - black) per packed channel, reshaped to `shape` (a constant's name) to broadcast."""
        span = self.op("Sub", [WHITE, BLACK], "span")
        return self.op("Reshape", [self.op("Div", [RATIO, span], "gain"), shape], "gain_shaped")

    def cap(self) -> str:
        """The top of the normalised range, min(ratio, 1), as a [1] tensor."""
        return self.op("Min", [RATIO, self.const("one", [1.0], np.float32)], "cap")

    def pad(self, packed: str, hw: str, multiple: int) -> tuple[str, str]:
        """Reflect-pad [1, 4, h, w] (`hw`: its (h, w)) to multiples of `multiple`; returns it and its padded (h, w)."""
        m = self.const("multiple", multiple, np.int64)
        extra = self.op("Mod", [self.op("Sub", [m, self.op("Mod", [hw, m], "rem")], "m_minus_rem"), m], "pad_hw")
        pads = self.op("Concat", [self.const("pads_head", [0, 0, 0, 0, 0, 0], np.int64), extra], "pads", axis=0)
        padded_hw = self.op("Add", [hw, extra], "padded_hw")
        return self.op("Pad", [packed, pads], "padded", mode="reflect"), padded_hw

    def cast(self, source: str, target: str, elem_type: int) -> None:
        """Feed the network's input: the padded frame, cast when the network takes FP16."""
        if elem_type == TensorProto.FLOAT:
            self.op("Identity", [source], "net_in", out=target)
        else:
            self.op("Cast", [source], "net_in", out=target, to=elem_type)

    def cast_to_float(self, network_output: str, elem_type: int) -> str:
        if elem_type == TensorProto.FLOAT:
            return network_output
        return self.op("Cast", [network_output], "rgb_f32", tail=True, to=TensorProto.FLOAT)

    def postprocess(self, rgb: str, packed_hw: str, padded_hw: str, bits: int, layout: str) -> None:
        """Scale, clip and round [1, 3, 2h', 2w'] (or [1, 2h', 2w', 3]), HWC, crop back to [2h, 2w, 3], integers."""
        if layout == NCHW:
            x = self.op("Squeeze", [rgb, self.const("axis0", [0], np.int64)], "image_f32", tail=True)
        else:  # flat: OpenVINO's elementwise kernels are slow along an innermost axis only 3 values wide
            # (the shape from the padded input: a Shape of the network's output would keep a dequantized copy alive)
            out_hw = self.op("Mul", [padded_hw, self.const("two", 2, np.int64)], "padded_out_hw", tail=True)
            hwc_shape = self.op("Concat", [out_hw, self.const("rgb", [3], np.int64)], "hwc_shape", tail=True, axis=0)
            x = self.op("Reshape", [rgb, self.const("flat", [-1], np.int64)], "image_f32", tail=True)
        peak = float((1 << bits) - 1)
        x = self.op("Mul", [x, self.const("peak", peak, np.float32)], "times_peak", tail=True)
        x = self.op("Clip", [x, self.const("zero", 0.0, np.float32), self.const("peak", peak, np.float32)],
                    "clipped", tail=True)
        x = self.op("Round", [x], "rounded", tail=True)  # half to even, as numpy's rint
        if layout == NCHW:
            x = self.op("Transpose", [x], "hwc", tail=True, perm=[1, 2, 0])
        else:
            x = self.op("Reshape", [x, hwc_shape], "hwc", tail=True)
        ends = self.op("Mul", [packed_hw, self.const("two", 2, np.int64)], "out_hw", tail=True)
        start = self.const("start00", [0, 0], np.int64)
        hwc = self.op("Slice", [x, start, ends, self.const("axes01", [0, 1], np.int64)], "cropped", tail=True)
        if bits == 16:  # little-endian byte pairs: lo = v - 256 * hi, hi = floor(v / 256), both exact in FP32
            hi = self.op("Floor", [self.op("Div", [hwc, self.const("b", 256.0, np.float32)], "v256", tail=True)],
                         "hi", tail=True)
            lo = self.op("Sub", [hwc, self.op("Mul", [hi, self.const("b", 256.0, np.float32)], "hi256", tail=True)],
                         "lo", tail=True)
            last = self.const("axis3", [3], np.int64)
            pairs = [self.op("Unsqueeze", [t, last], "byte", tail=True) for t in (lo, hi)]
            hwc = self.op("Concat", pairs, "pairs", tail=True, axis=3)
        self.op("Cast", [hwc], "image", out=IMAGE, tail=True, to=TensorProto.UINT8)

    def graph_inputs(self) -> list[onnx.ValueInfoProto]:
        inputs = [
            helper.make_tensor_value_info(MOSAIC, TensorProto.UINT8, ["height", "width_bytes"]),
            helper.make_tensor_value_info(BLACK, TensorProto.FLOAT, [4]),
            helper.make_tensor_value_info(WHITE, TensorProto.FLOAT, [1]),
            helper.make_tensor_value_info(RATIO, TensorProto.FLOAT, [1]),
            helper.make_tensor_value_info(CFA, TensorProto.INT32, [4]),
        ]
        if self.neutral:
            inputs += [helper.make_tensor_value_info(GAINS, TensorProto.FLOAT, [3]),
                       helper.make_tensor_value_info(COLOUR_MATRIX, TensorProto.FLOAT, [3, 3])]
        return inputs

    @staticmethod
    def graph_output(bits: int) -> onnx.ValueInfoProto:
        dims = ["height", "width", 3] + ([2] if bits == 16 else [])
        return helper.make_tensor_value_info(IMAGE, TensorProto.UINT8, dims)
