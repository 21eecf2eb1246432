"""The pipeline graph's inputs and outputs: what goes in (a RAW file's mosaic and levels) and what comes out (pixels).

A pipeline graph runs the whole frame on the device: Bayer mosaic in, 8- or 16-bit sRGB pixels out, with the
packing, normalisation, padding, the network, cropping and rounding inside (see export/pipeline.py). This module
is the contract every runner and every caller shares.

TensorRT has no 16-bit integer I/O, so the 16-bit mosaic goes in as its little-endian bytes (uint8 [H, 2W],
recombined exactly in FP32 inside the graph: 2 bytes per pixel, exact for 0..65535) and a 16-bit image comes out
as byte pairs (uint8 [H, W, 3, 2]) that the host views as uint16 without a copy.

The pipeline of a `neutral` network (raw/colour.py) takes two inputs more, the file's white-balance gains and its
camera -> linear sRGB matrix, so one graph (and one engine) serves every camera and light.
"""

import json
from dataclasses import dataclass

import numpy as np

from lowlight_edge.errors import InputError, ModelError
from lowlight_edge.onnxgraph.metadata import PIPELINE_KEY
from lowlight_edge.raw.cfa import channel_offsets
from lowlight_edge.raw.colour import CONVENTIONS, ColourConversion

MOSAIC, BLACK, WHITE, RATIO, CFA = "mosaic", "black", "white", "ratio", "cfa"
GAINS, COLOUR_MATRIX = "gains", "colour_matrix"
INPUT_NAMES = (MOSAIC, BLACK, WHITE, RATIO, CFA)  # a camera-convention pipeline's
NEUTRAL_INPUT_NAMES = (*INPUT_NAMES, GAINS, COLOUR_MATRIX)  # a neutral one's
IMAGE = "image"
# the graph targets, for pipeline forms and INT8 graphs alike (engines/variants.py checks its rows against it):
# "tensorrt": nodes every runtime takes, TensorRT's parser included; "cpu": fewer passes, ONNX Runtime and OpenVINO
TARGETS = ("tensorrt", "cpu")
INPUT_ENCODING = ("mosaic: uint8 [H, 2W], the uint16 Bayer mosaic's little-endian bytes; black: float32 [4] per packed "
                  "channel R, G1, B, G2; white: float32 [1]; ratio: float32 [1]; cfa: int32 [4], the cell position "
                  "(2*row + column) of R, G1, B, G2")
NEUTRAL_INPUT_ENCODING = ("; gains: float32 [3], the file's white-balance multipliers of R, G, B; colour_matrix: "
                          "float32 [3, 3], white-balanced camera RGB -> linear sRGB (lowlight_edge.raw.colour)")
OUTPUT_ENCODING = {8: "image: uint8 [H, W, 3] sRGB",
                   16: "image: uint8 [H, W, 3, 2], each value's uint16 little-endian bytes (view as <u2)"}


@dataclass(frozen=True)
class PipelineSpec:
    """What a pipeline graph's metadata declares."""

    bits: int  # 8 or 16: the output's bit depth
    target: str = "tensorrt"  # which runtimes its nodes were chosen for (TARGETS)
    convention: str = "camera"  # the wrapped network's input convention: "neutral" takes the colour inputs too

    @property
    def input_names(self) -> tuple[str, ...]:
        return NEUTRAL_INPUT_NAMES if self.convention == "neutral" else INPUT_NAMES

    def to_json(self) -> str:
        encoding = INPUT_ENCODING + (NEUTRAL_INPUT_ENCODING if self.convention == "neutral" else "")
        return json.dumps({"version": 1, "bits": self.bits, "target": self.target, "input_convention": self.convention,
                           "input": encoding, "output": OUTPUT_ENCODING[self.bits]}, sort_keys=True)

    @classmethod
    def from_metadata(cls, meta: dict[str, str]) -> "PipelineSpec | None":
        """The spec of a pipeline graph, None for a network graph; a malformed entry is refused."""
        if PIPELINE_KEY not in meta:
            return None
        try:
            spec = json.loads(meta[PIPELINE_KEY])
            bits, target = spec["bits"], spec.get("target", "tensorrt")  # graphs from before targets: tensorrt form
            convention = spec.get("input_convention", "camera")  # graphs from before conventions: camera
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
            raise ModelError(f"malformed {PIPELINE_KEY} metadata: {meta[PIPELINE_KEY][:100]!r}") from None
        if bits not in OUTPUT_ENCODING:
            raise ModelError(f"{PIPELINE_KEY} declares {bits!r}-bit output; only 8 and 16 exist")
        if target not in TARGETS:
            raise ModelError(f"{PIPELINE_KEY} declares target {target!r}; only {', '.join(TARGETS)} exist")
        if convention not in CONVENTIONS:
            raise ModelError(f"{PIPELINE_KEY} declares input convention {str(convention)[:40]!r}; only "
                             f"{', '.join(CONVENTIONS)} exist")
        return cls(bits, target, convention)

    def image_from_output(self, out: np.ndarray) -> np.ndarray:
        """The graph's output as pixels: uint8 [H, W, 3], or uint16 [H, W, 3] viewed from its byte pairs."""
        if self.bits == 8:
            return out
        return np.ascontiguousarray(out).view("<u2")[..., 0]


@dataclass(frozen=True)
class PipelineFeed:
    """One frame as a pipeline graph takes it."""

    mosaic: np.ndarray  # uint8 [H, 2W]
    black: np.ndarray  # float32 [4]
    white: np.ndarray  # float32 [1]
    ratio: np.ndarray  # float32 [1]
    cfa: np.ndarray  # int32 [4]
    gains: np.ndarray | None = None  # float32 [3], for a neutral pipeline
    colour_matrix: np.ndarray | None = None  # float32 [3, 3], for a neutral pipeline

    @property
    def frame_size(self) -> tuple[int, int]:
        """(H, W) of the mosaic, i.e. of the output image."""
        return self.mosaic.shape[0], self.mosaic.shape[1] // 2

    @property
    def packed_shape(self) -> tuple[int, int, int, int]:
        """The network's input shape for this frame before padding (for records and FLOPs)."""
        h, w = self.frame_size
        return (1, 4, h // 2, w // 2)

    def arrays(self) -> dict[str, np.ndarray]:
        arrays = {MOSAIC: self.mosaic, BLACK: self.black, WHITE: self.white, RATIO: self.ratio, CFA: self.cfa}
        if self.gains is not None or self.colour_matrix is not None:
            arrays.update({GAINS: self.gains, COLOUR_MATRIX: self.colour_matrix})
        return arrays


def pipeline_feed(bayer: np.ndarray, phase: str, black, white: float, ratio: float,
                  colour: ColourConversion | None = None) -> PipelineFeed:
    """A uint16 mosaic [H, W] (whole 2x2 cells) and its levels as a pipeline graph's inputs; `colour` (the file's
    conversion) for a neutral pipeline.

    >>> feed = pipeline_feed(np.array([[1, 258], [65535, 0]], np.uint16), "GRBG", 0, 1023, 1.0)
    >>> feed.mosaic.tolist(), feed.cfa.tolist()
    ([[1, 0, 2, 1], [255, 255, 0, 0]], [1, 0, 2, 3])
    """
    if bayer.ndim != 2 or bayer.dtype != np.uint16:
        raise InputError(f"a pipeline graph takes a 2-D uint16 mosaic, got {bayer.dtype} {list(bayer.shape)}")
    h, w = bayer.shape
    if h % 2 or w % 2:
        raise InputError(f"a pipeline graph takes whole 2x2 Bayer cells, got a {h}x{w} mosaic")
    black = np.broadcast_to(np.asarray(black, dtype=np.float32), (4,)).copy()
    if not np.isfinite(ratio) or ratio <= 0:
        raise InputError(f"ratio must be a positive finite number, got {ratio}")
    if not np.all(np.float32(white) > black):
        raise InputError(f"white level {white:g} must exceed every black level {black.tolist()}")
    little = np.ascontiguousarray(bayer, dtype="<u2")  # a view on little-endian hosts
    return PipelineFeed(
        mosaic=little.view(np.uint8).reshape(h, 2 * w), black=black,
        white=np.array([white], np.float32), ratio=np.array([ratio], np.float32),
        cfa=np.array([2 * dy + dx for dy, dx in channel_offsets(phase)], np.int32),
        gains=None if colour is None else np.array(colour.gains, np.float32),
        colour_matrix=None if colour is None else np.array(colour.matrix, np.float32))


def check_feed(feed: PipelineFeed, multiple: int, convention: str = "camera") -> None:
    """Refuse what the graph would silently mis-render: wrong types, odd or too small frames, bad levels, colour
    inputs missing (neutral) or present (camera) or malformed."""
    if not isinstance(feed, PipelineFeed):
        raise InputError(f"a pipeline model takes a RAW frame (PipelineFeed), got {type(feed).__name__}; a packed "
                         "batch needs the network graph this pipeline was made from")
    _check_colour(feed, convention)
    for name, array in feed.arrays().items():
        dtype, shape = _EXPECTED[name]
        if array.dtype != dtype or (shape is not None and array.shape != shape):
            raise InputError(f"pipeline input {name!r} must be {np.dtype(dtype).name} {list(shape or ['H', '2W'])}, "
                             f"got {array.dtype} {list(array.shape)}")
    h, w = feed.frame_size
    if feed.mosaic.ndim != 2 or feed.mosaic.shape[1] % 4 or h % 2:
        raise InputError(f"the mosaic must be whole 2x2 cells of 2-byte pixels, got {list(feed.mosaic.shape)} bytes")
    if h // 2 < multiple or w // 2 < multiple:
        raise InputError(f"a {h}x{w} frame is too small for this pipeline graph: it needs at least "
                         f"{2 * multiple}x{2 * multiple} pixels")
    if sorted(feed.cfa.tolist()) != [0, 1, 2, 3]:
        raise InputError(f"cfa must order the 2x2 cell positions 0-3, got {feed.cfa.tolist()}")
    if not (np.isfinite(feed.black).all() and np.isfinite(feed.white).all() and np.all(feed.white > feed.black)):
        raise InputError(f"white level {feed.white.tolist()} must exceed every black level {feed.black.tolist()}")
    if not (np.isfinite(feed.ratio).all() and feed.ratio[0] > 0):
        raise InputError(f"ratio must be a positive finite number, got {feed.ratio.tolist()}")


def _check_colour(feed: PipelineFeed, convention: str) -> None:
    given = feed.gains is not None or feed.colour_matrix is not None
    if convention == "camera":
        if given:
            raise InputError("this pipeline graph wraps a camera-convention network: it takes no gains or colour "
                             "matrix (those are for a neutral network's pipeline)")
        return
    if feed.gains is None or feed.colour_matrix is None:
        raise InputError("this pipeline graph wraps a neutral network: it needs the file's gains [3] and colour_matrix "
                         "[3, 3] (pipeline_feed(..., colour=frame.colour))")
    for name, array in ((GAINS, feed.gains), (COLOUR_MATRIX, feed.colour_matrix)):
        dtype, shape = _EXPECTED[name]
        if not isinstance(array, np.ndarray) or array.dtype != dtype or array.shape != shape:
            raise InputError(f"pipeline input {name!r} must be float32 {list(shape)}, got "
                             f"{getattr(array, 'dtype', type(array).__name__)} {list(np.shape(array))}")
        if not np.isfinite(array).all():
            raise InputError(f"pipeline input {name!r} holds NaN or Inf")
    if np.any(feed.gains <= 0):
        raise InputError(f"pipeline input 'gains' must be positive, got {feed.gains.tolist()}")


_EXPECTED = {MOSAIC: (np.uint8, None), BLACK: (np.float32, (4,)), WHITE: (np.float32, (1,)),
             RATIO: (np.float32, (1,)), CFA: (np.int32, (4,)), GAINS: (np.float32, (3,)),
             COLOUR_MATRIX: (np.float32, (3, 3))}
