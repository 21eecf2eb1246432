"""One RAW frame through any model: the pixels of a network model (host pre/post) or a pipeline model (all on
the device), the same for enhance, bench and the demo.

The host path packs the mosaic in numpy, runs the network, crops, clips and rounds on the host; a pipeline model
(see onnxgraph/pipeline_io.py) gets the mosaic's bytes and levels and returns the pixels itself. A `neutral` model
gets the file's colour conversion either way (raw/colour.py): applied to the packed frame on the host, or as the
pipeline's gains and colour matrix.
"""

import numpy as np

from lowlight_edge.engines.base import Runner
from lowlight_edge.errors import InputError, ModelError
from lowlight_edge.fileio.png import to_integer
from lowlight_edge.onnxgraph.pipeline_io import PipelineFeed, pipeline_feed
from lowlight_edge.raw.padded_inference import enhance_packed
from lowlight_edge.raw.reader import RawFrame


def frame_feed(frame: RawFrame, ratio: float, convention: str = "camera") -> PipelineFeed:
    """A decoded frame as a pipeline model's inputs (its mosaic bytes are a view, not a copy); a neutral pipeline's
    with the file's colour conversion."""
    colour = frame.colour.checked() if convention == "neutral" else None
    return pipeline_feed(frame.bayer, frame.phase, frame.black, frame.white, ratio, colour)


def frame_pixels(runner: Runner, frame: RawFrame, ratio: float, bits: int = 8) -> np.ndarray:
    """uint8 or uint16 sRGB [H, W, 3] for `frame` amplified by `ratio`, from an active runner of either kind, in the
    sensor's orientation (raw/orientation.py turns it as the file asks)."""
    if runner.pipeline is None:
        packed = frame.pack(ratio, runner.input_convention)
        return to_integer(enhance_packed(runner.infer, packed, runner.size_multiple), bits)
    check_bits(runner, bits)
    return checked_pixels(runner.infer(frame_feed(frame, ratio, runner.pipeline.convention)), frame.bayer.shape, bits,
                          runner.path.name)


def checked_pixels(pixels: np.ndarray, mosaic_shape: tuple[int, int], bits: int, name: str) -> np.ndarray:
    """A pipeline graph's output, trusted only once it is what its input asks for: one pixel per mosaic sample, three
    channels, unsigned integers of the bit depth (a hostile or broken graph gave a 20000x20000 picture for a 96x64
    frame, a 1x1 one, or float NaNs that would be written as black)."""
    wanted = np.uint8 if bits == 8 else np.uint16
    expected = (*mosaic_shape, 3)
    if pixels.shape != expected or pixels.dtype != wanted:
        raise ModelError(f"{name} returned {pixels.dtype} pixels of shape {list(pixels.shape)} for a "
                         f"{mosaic_shape[0]}x{mosaic_shape[1]} frame; a {bits}-bit pipeline graph gives "
                         f"{np.dtype(wanted).name} {list(expected)}: it is broken or not a lowlight-edge pipeline graph")
    return pixels


def check_bits(runner: Runner, bits: int) -> None:
    """A pipeline model's bit depth is fixed when it is wrapped: refuse another one up front."""
    if runner.pipeline is not None and runner.pipeline.bits != bits:
        raise InputError(f"{runner.path.name} outputs {runner.pipeline.bits}-bit pixels; ask for --bits "
                         f"{runner.pipeline.bits}, or wrap the network again with `lowlight-edge pipeline --bits {bits}`")
