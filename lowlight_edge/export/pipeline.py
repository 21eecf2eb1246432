"""What `lowlight-edge pipeline` runs: a network graph (FP32, FP16 or INT8) wrapped into a pipeline graph, gated
on giving the same pixels as the host path.

The gate runs both under ONNX Runtime on seeded mosaics of every CFA phase, with per-channel black levels and a
frame whose packed size is not a multiple of the network's: the pipeline graph's pixels must equal those of the
host path (reader's mosaic -> pack -> pad -> network -> crop -> clip -> integers) within 1 LSB, or nothing is
written. A neutral network's gate converts the frames with a real camera's colour (a Nikon D850 under
incandescent light: unequal gains, a matrix far from the identity) on both paths.

Example::

    wrap_pipeline("work/export/model.int8.onnx", "work/export/model.int8.pipeline.onnx")
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import onnx

from lowlight_edge.engines.ort_runner import OrtRunner
from lowlight_edge.errors import ExportError
from lowlight_edge.export.pipeline_graph import default_target, wrap_network
from lowlight_edge.fileio.atomic import atomic_output, check_writable
from lowlight_edge.fileio.png import to_integer
from lowlight_edge.onnxgraph.files import validate_onnx_file, with_weights_in_memory
from lowlight_edge.onnxgraph.pipeline_io import pipeline_feed
from lowlight_edge.raw.camera_response import camera_response
from lowlight_edge.raw.cameras import camera
from lowlight_edge.raw.cfa import PHASES
from lowlight_edge.raw.pack import pack_bayer
from lowlight_edge.raw.padded_inference import enhance_packed

GATE_LSB = 1  # the most any pixel may differ from the host path (FP32 order of operations is the same in both)
GATE_BLACK = (512.0, 508.0, 515.0, 511.0)  # per packed channel, deliberately unequal
GATE_WHITE, GATE_RATIO = 16383.0, 50.0
GATE_CAMERA = ("nikon-d850", "A")  # a neutral network's gate colour


@dataclass
class PipelineReport:
    output: Path
    bits: int
    target: str  # the runtimes its pre/post nodes were chosen for (pipeline_io.TARGETS)
    convention: str  # the wrapped network's input convention: a neutral pipeline takes gains and a colour matrix
    max_lsb: int  # largest difference from the host path over the gate's frames
    frames: int


def wrap_pipeline(network: Path, output: Path, bits: int = 8, target: str | None = None, force: bool = False,
                  log: Callable[[str], None] = lambda _m: None) -> PipelineReport:
    """Wrap `network` (an exported or quantized ONNX) as a pipeline graph at `output`, gated against the host path.

    `target` None: "cpu" for an INT8 graph quantized for the CPU, else "tensorrt" (export/pipeline_graph.py)."""
    network, output = Path(network), Path(output)
    check_writable(output, force, create_folder=False)  # the folder is made when the gated graph is written
    source = with_weights_in_memory(validate_onnx_file(network), network)
    target = target or default_target(source)
    model = wrap_network(source, bits, target)
    try:
        onnx.checker.check_model(model)
    except onnx.checker.ValidationError as exc:
        raise ExportError(f"the pipeline graph fails onnx.checker: {str(exc).splitlines()[0]}") from exc
    with atomic_output(output, force) as tmp:
        onnx.save(model, str(tmp))
        worst, frames, convention = _gate(network, tmp, bits)
        log(f"gate: {frames} frames (every CFA phase, per-channel black, a size off the network's multiple"
            f"{', a camera colour conversion' if convention == 'neutral' else ''}): max {worst} LSB from the host path")
    return PipelineReport(output, bits, target, convention, worst, frames)


def gate_frames(multiple: int, seed: int = 0):
    """(mosaic, phase) pairs: every phase, packed size (2m + 3) x (3m + 5), dim values a low-light frame has."""
    rng = np.random.default_rng(seed)
    h, w = 2 * (2 * multiple + 3), 2 * (3 * multiple + 5)
    span = (GATE_WHITE - max(GATE_BLACK)) / GATE_RATIO
    for phase in PHASES:
        yield rng.integers(500, 500 + 1.5 * span, size=(h, w)).astype(np.uint16), phase


def gate_colour(convention: str):
    """The colour conversion the gate uses for a network of `convention` (None: camera, no conversion)."""
    return camera_response(camera(GATE_CAMERA[0]), GATE_CAMERA[1]).conversion() if convention == "neutral" else None


def _gate(network: Path, pipeline: Path, bits: int) -> tuple[int, int, str]:
    worst, frames = 0, 0
    with OrtRunner(network) as host, OrtRunner(pipeline) as device:
        colour = gate_colour(host.input_convention)
        mix = colour.packed_mix() if colour is not None else None
        for mosaic, phase in gate_frames(host.size_multiple):
            packed = pack_bayer(mosaic, phase, GATE_BLACK, GATE_WHITE, GATE_RATIO, mix=mix)
            expected = to_integer(enhance_packed(host.infer, packed, host.size_multiple), bits)
            got = device.infer(pipeline_feed(mosaic, phase, GATE_BLACK, GATE_WHITE, GATE_RATIO, colour))
            if got.shape != expected.shape:
                raise ExportError(f"the pipeline graph gives {list(got.shape)} pixels where the host path gives "
                                  f"{list(expected.shape)}; nothing was written")
            diff = int(np.abs(got.astype(np.int32) - expected.astype(np.int32)).max())
            if diff > GATE_LSB:
                raise ExportError(f"the pipeline graph differs from the host path by {diff} LSB (CFA {phase}); nothing "
                                  "was written")
            worst, frames = max(worst, diff), frames + 1
    return worst, frames, host.input_convention
