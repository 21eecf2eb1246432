"""Checkpoint -> FP32 ONNX, gated by the ONNX checker and a parity check against PyTorch.

The ONNX is written to a temporary file next to the target and renamed into place only after every
gate passed, so a failed export leaves nothing behind.
"""

import io
import logging
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import onnx

from lowlight_edge.deps import available, require
from lowlight_edge.engines.ort_runner import OrtRunner
from lowlight_edge.errors import ExportError
from lowlight_edge.export.defaults import DEFAULT_TOLERANCE, MIN_OPSET
from lowlight_edge.export.metadata import export_metadata
from lowlight_edge.export.parity import ParityResult, check_parity
from lowlight_edge.fileio.atomic import atomic_output
from lowlight_edge.model.checkpoint import load_generator
from lowlight_edge.onnxgraph.metadata import set_metadata

INPUT_NAME = "packed"
OUTPUT_NAME = "rgb"


@dataclass
class ExportReport:
    output: Path
    opset: int
    simplified: bool
    parity: list[ParityResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def default_parity_shapes(multiple: int) -> list[tuple[int, int, int, int]]:
    """Two small, different, non-square shapes: catches a graph that froze H or W."""
    return [(1, 4, 4 * multiple, 4 * multiple), (2, 4, 3 * multiple, 5 * multiple)]


def export_onnx(
    checkpoint: Path,
    output: Path,
    opset: int = MIN_OPSET,
    simplify: bool = True,
    tolerance: float = DEFAULT_TOLERANCE,
    force: bool = False,
    log: Callable[[str], None] = lambda _msg: None,
) -> ExportReport:
    """Export a generator checkpoint to FP32 ONNX (dynamic N, H, W), gated on parity with PyTorch.

    Args:
        checkpoint: `.safetensors` or a weights-only `.pt`/`.pth` (never unpickled freely).
        output: the ONNX file; written only when onnx.checker and the parity gate pass.
        simplify: try onnxslim, kept only when it preserves parity.
        tolerance: the gate's max |ONNX - PyTorch| on two input shapes.
    Returns:
        an ExportReport: opset, whether it was simplified, the parity results per shape.

    Example::

        export_onnx(default_model(), "work/export/model.fp32.onnx")
    """
    torch = require("torch", "export")
    if opset < MIN_OPSET:
        raise ExportError(f"--opset must be >= {MIN_OPSET} (got {opset})")
    loaded = load_generator(checkpoint)
    config = loaded.config
    log(f"loaded {checkpoint} (width {config.width}, depth {config.depth}, sha256 {loaded.sha256[:12]})")
    proto = _trace_to_onnx(loaded.model, config.multiple, opset, torch)
    try:
        onnx.checker.check_model(proto, full_check=True)
    except onnx.checker.ValidationError as exc:
        raise ExportError(f"the exported graph fails onnx.checker: {str(exc).splitlines()[0]}") from exc
    versions = {"torch": torch.__version__, "onnx": onnx.__version__}
    set_metadata(proto, export_metadata(config, loaded.sha256, versions))

    shapes = default_parity_shapes(config.multiple)

    def reference(x):
        with torch.inference_mode():
            return loaded.model(torch.from_numpy(x)).numpy()

    report = ExportReport(output=Path(output), opset=opset, simplified=False)
    with atomic_output(output, force) as tmp:
        report.parity = _gate(proto, tmp, reference, shapes, tolerance)
        log(_parity_line("parity (unsimplified)", report.parity))
        if simplify:
            _try_simplify(proto, tmp, reference, shapes, tolerance, report, log)
    return report


def _trace_to_onnx(model, multiple: int, opset: int, torch) -> onnx.ModelProto:
    example = torch.zeros(1, 4, 2 * multiple, 2 * multiple)
    buffer = io.BytesIO()
    dynamic = {INPUT_NAME: {0: "batch", 2: "height", 3: "width"}, OUTPUT_NAME: {0: "batch", 2: "out_height", 3: "out_width"}}
    # The TorchScript exporter keeps PixelShuffle as one DepthToSpace (CRD) node and names nodes after
    # their PyTorch modules (/encoders.0/...), which later maps quantization sensitivity back to modules.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        logging.getLogger("torch.onnx").setLevel(logging.ERROR)
        torch.onnx.export(
            model, (example,), buffer, dynamo=False, opset_version=opset, input_names=[INPUT_NAME],
            output_names=[OUTPUT_NAME], dynamic_axes=dynamic, do_constant_folding=True,
        )
    return onnx.load_from_string(buffer.getvalue())


def _gate(proto: onnx.ModelProto, path: Path, reference, shapes, tolerance) -> list[ParityResult]:
    onnx.save(proto, str(path))
    with OrtRunner(path) as runner:
        return check_parity(reference, runner.infer, shapes, tolerance)


def _try_simplify(proto, tmp: Path, reference, shapes, tolerance, report: ExportReport, log) -> None:
    if not available("onnxslim"):
        report.notes.append("onnxslim not installed: graph left unsimplified")
        log(report.notes[-1])
        return
    import onnxslim

    try:
        slim = onnxslim.slim(onnx.load_from_string(proto.SerializeToString()))
        set_metadata(slim, {p.key: p.value for p in proto.metadata_props})
        onnx.checker.check_model(slim, full_check=True)
        parity = _gate(slim, tmp, reference, shapes, tolerance)
    except (ExportError, onnx.checker.ValidationError, RuntimeError, ValueError) as exc:
        onnx.save(proto, str(tmp))  # back to the graph that passed
        report.notes.append(f"simplification dropped (it broke a gate: {str(exc).splitlines()[0]})")
        log(report.notes[-1])
        return
    report.parity, report.simplified = parity, True
    log(_parity_line("parity (simplified with onnxslim)", parity))


def _parity_line(label: str, results: list[ParityResult]) -> str:
    parts = [f"{list(r.shape)}: max|diff| {r.max_abs_diff:.2e}, PSNR {r.psnr_db:.1f} dB" for r in results]
    return f"{label}: " + "; ".join(parts)
