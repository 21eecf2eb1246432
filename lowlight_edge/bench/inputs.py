"""The seeded inputs every benchmark row gets: the same array for a given shape, whatever the model and backend."""

import numpy as np

from lowlight_edge.onnxgraph.pipeline_io import PipelineFeed, pipeline_feed
from lowlight_edge.raw.camera_response import camera_response
from lowlight_edge.raw.cameras import camera

BENCH_BLACK, BENCH_WHITE, BENCH_RATIO = 512.0, 16383.0, 100.0  # a 14-bit sensor at SID's usual amplification
BENCH_CAMERA = ("sony-ilce-7s", "D65")  # a neutral pipeline's colour inputs: SID's camera in daylight


def bench_input(batch: int, shape: tuple[int, int], seed: int) -> np.ndarray:
    """A seeded packed frame in [0, 1]; every network model sees the identical array for a given shape."""
    rng = np.random.default_rng(seed)
    return rng.random((batch, 4, *shape), dtype=np.float32)


def bench_frame(shape: tuple[int, int], seed: int, convention: str = "camera") -> PipelineFeed:
    """A seeded RAW frame whose packed size is `shape`, for pipeline models (one frame at a time); a neutral
    pipeline's with a real camera's colour inputs."""
    rng = np.random.default_rng(seed)
    h, w = shape
    span = (BENCH_WHITE - BENCH_BLACK) / BENCH_RATIO
    mosaic = rng.integers(BENCH_BLACK, BENCH_BLACK + 1.2 * span, size=(2 * h, 2 * w)).astype(np.uint16)
    colour = camera_response(camera(BENCH_CAMERA[0]), BENCH_CAMERA[1]).conversion() if convention == "neutral" else None
    return pipeline_feed(mosaic, "RGGB", BENCH_BLACK, BENCH_WHITE, BENCH_RATIO, colour)


def runner_input(runner, batch: int, shape: tuple[int, int], seed: int) -> np.ndarray | PipelineFeed:
    """What `runner` takes at packed size `shape`: a packed batch, or a pipeline model's frame (batch 1)."""
    if runner.pipeline is not None:
        return bench_frame(shape, seed, runner.pipeline.convention)
    return bench_input(batch, shape, seed)


def input_shape(x: np.ndarray | PipelineFeed) -> tuple[int, ...]:
    """The packed shape a row records (a pipeline frame's packed equivalent)."""
    return x.packed_shape if isinstance(x, PipelineFeed) else tuple(x.shape)
