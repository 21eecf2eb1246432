"""The model variants the demo compares, made as the variant table says (engines/variants.py): each graph row by
its maker (export, the FP16 pass, INT8 with its options, held to the LPIPS budget), TensorRT engines of the rows
that build one where TensorRT and a GPU exist (otherwise the reason they were skipped). Runtime-setting rows (BF16)
reuse their graph's file. A maker that fails skips its row, with the reason; the others are still made."""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from tqdm import tqdm

from lowlight_edge.deps import available
from lowlight_edge.engines.trt.build import BuildOptions, build_engine
from lowlight_edge.engines.trt.cuda_memory import open_cuda
from lowlight_edge.engines.trt.profiles import Profile
from lowlight_edge.engines.variants import Variant, get_variant, graph_variants
from lowlight_edge.errors import LowlightError
from lowlight_edge.export.onnx_export import export_onnx
from lowlight_edge.export.pipeline import wrap_pipeline
from lowlight_edge.onnxgraph.files import validate_onnx_file
from lowlight_edge.onnxgraph.metadata import input_convention_of, read_metadata
from lowlight_edge.quantize.fp16 import fp16_from_onnx
from lowlight_edge.quantize.int8 import Int8Options
from lowlight_edge.quantize.sensitivity import default_cache, int8_within_budget
from lowlight_edge.raw.calibration_frames import calibration_batches


@dataclass
class Variants:
    checkpoint: Path
    onnx: dict[str, Path] = field(default_factory=dict)  # graph variant name -> its ONNX file
    engines: dict[str, Path] = field(default_factory=dict)  # same keys, built engines
    pipelines: dict[str, Path] = field(default_factory=dict)  # same keys, each network wrapped as a pipeline graph
    engine_skip: str | None = None  # why no engines were built
    skipped: dict[str, str] = field(default_factory=dict)  # variant rows that could not be made, with why

    def graph(self, variant: str) -> Path | None:
        """The ONNX file a variant row runs (its own, or its graph row's for a runtime setting)."""
        return self.onnx.get(get_variant(variant).graph)


def make_onnx_variants(checkpoint: Path, workdir: Path, calib: str, calib_shape: tuple[int, int], calib_count: int,
                       int8_budget: float | None, say: Callable[[str], None]) -> Variants:
    variants = Variants(checkpoint)
    stem = checkpoint.stem
    fp32 = workdir / f"{stem}.fp32.onnx"
    export_onnx(checkpoint, fp32, force=True, log=say)
    variants.onnx["fp32"] = fp32
    convention = input_convention_of(read_metadata(validate_onnx_file(fp32)))
    batches = calibration_batches(calib, calib_shape, limit=calib_count, convention=convention)
    say(f"calibration: {len(batches)} frames from {calib} at {calib_shape[0]}x{calib_shape[1]}")
    for row in graph_variants():
        if row.maker == "export":
            continue
        output = workdir / f"{stem}.{row.name}.onnx"
        try:
            maker = MAKERS[row.maker]
            variants.onnx[row.name] = maker(row, fp32, output, batches, calib, calib_shape, int8_budget, say)
        except LowlightError as exc:
            variants.skipped[row.name] = str(exc)
            say(f"{row.name} not made: {exc}")
    return variants


def _fp16(row: Variant, fp32: Path, output: Path, batches, calib, calib_shape, budget, say) -> Path:
    fp16 = fp16_from_onnx(fp32, output, batches, force=True)
    say(f"FP16: {len(fp16.kept_fp32)} nodes kept in FP32; PSNR {fp16.psnr_db:.1f} dB vs FP32 on a calibration frame")
    return fp16.output


def _int8(row: Variant, fp32: Path, output: Path, batches, calib: str, calib_shape, budget: float | None, say) -> Path:
    """What `quantize int8 [--lpips-budget]` makes with the row's options, with a progress bar over the probes."""
    options = Int8Options(**row.options)
    cache = default_cache(fp32, calib, calib_shape, len(batches), options)
    with tqdm(desc=f"{row.name}: fallback to LPIPS {budget}", unit="probe", leave=False, disable=budget is None) as bar:
        done = int8_within_budget(fp32, output, batches, options, cache, budget, force=True,
                                  on_step=lambda _message: bar.update(1))
    result = done.sensitivity
    if result is not None:
        say(f"{row.name}: LPIPS drift {result.full_drift:.4f} fully quantized, {result.final_drift:.4f} with "
            f"{len(result.kept_float)} layers in float, on the selection frames ({'within' if result.met else 'ABOVE'} "
            f"{result.target:.4g}, the budget {budget} less its margin)")
    say(f"{row.name}: {len(done.report.quantized_nodes)} nodes run in INT8 -> {output.name}")
    return output


# how each graph row's file is made from the FP32 ONNX (the "export" row is the FP32 ONNX itself)
MAKERS: dict[str, Callable[..., Path]] = {"fp16": _fp16, "int8": _int8}


def wrap_pipelines(variants: Variants, workdir: Path, say: Callable[[str], None]) -> None:
    """Each ONNX variant also as a pipeline graph (RAW mosaic in, pixels out), gated against its host path.

    In the form for CPU runtimes: the demo times pipeline graphs on ONNX Runtime and OpenVINO only."""
    for name, network in variants.onnx.items():
        output = workdir / f"{network.name.removesuffix('.onnx')}.pipeline.onnx"
        variants.pipelines[name] = wrap_pipeline(network, output, target="cpu", force=True).output
    say(f"pipeline graphs of {', '.join(variants.pipelines)} (cpu form): each within 1 LSB of its host path on every "
        "CFA phase")


def engine_skip_reason() -> str | None:
    """None when engines can be built here, else the one-line reason."""
    if not available("tensorrt"):
        return "TensorRT is not installed here (pip install 'lowlight-edge[trt]'; JetPack provides it on Jetson)"
    try:
        open_cuda().info()
    except (LowlightError, RuntimeError, OSError) as exc:
        return f"no usable CUDA GPU ({exc})"
    return None


def build_engines(variants: Variants, workdir: Path, shapes: list[tuple[int, int]], say: Callable[[str], None]) -> None:
    variants.engine_skip = engine_skip_reason()
    if variants.engine_skip:
        return
    smallest = min(shapes, key=lambda s: s[0] * s[1])
    largest = max(shapes, key=lambda s: s[0] * s[1])
    profile = Profile(min=(1, 4, *smallest), opt=(1, 4, *largest), max=(1, 4, *largest))
    for name in (v.name for v in graph_variants() if v.engine and v.name in variants.onnx):
        engine = workdir / f"{variants.checkpoint.stem}.{name}.engine"
        try:
            build_engine(variants.onnx[name], engine, BuildOptions(profile=profile), force=True, log=say)
            variants.engines[name] = engine
        except LowlightError as exc:
            say(f"engine {engine.name} not built: {exc}")
