"""Enhance RAW files with any model: read, pack at the file's ratio, run, write a PNG per file.

What `lowlight-edge enhance` runs, and what scripts call:

Example::

    results = enhance(["shots/"], "out/", model="model.int8.onnx")
    [r.target.name for r in results if r.error is None]
    # -> ['10019_00_0.033s.png']
"""

import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

from lowlight_edge.engines.backends import fastest_backend, get_backend, model_kind
from lowlight_edge.engines.frame import check_bits, frame_pixels
from lowlight_edge.engines.memory_plan import plan_tiles
from lowlight_edge.engines.options import RunnerOptions
from lowlight_edge.engines.output_tags import capture_text
from lowlight_edge.engines.select import open_runner
from lowlight_edge.errors import InputError, LowlightError
from lowlight_edge.fileio.atomic import check_writable
from lowlight_edge.fileio.inputs import regular_file
from lowlight_edge.fileio.png import write_png
from lowlight_edge.raw.colour import ColourConversion
from lowlight_edge.raw.datasets import raw_files_in
from lowlight_edge.raw.orientation import orient
from lowlight_edge.raw.ratio import resolve_ratio
from lowlight_edge.raw.reader import read_raw
from lowlight_edge.weights import default_model


@dataclass
class Enhanced:
    source: Path
    target: Path
    error: str | None = None  # why this file failed; the others are still written
    size: tuple[int, int] | None = None  # output width, height
    ratio: float | None = None
    ratio_source: str = ""
    backend: str = ""
    orientation: int = 1  # the Orientation (1-8) applied to the picture: the file's, or 1 with the sensor's layout kept
    colour_note: str = ""  # for a neutral model: a file rendered without usable colour metadata says so here


@dataclass(frozen=True)
class OutputOptions:
    """How each PNG is written."""

    bits: int = 8
    png_level: int = 1
    keep_sensor_orientation: bool = False  # write the sensor's layout, ignoring the file's Orientation
    allow_bad_colour: bool = False  # unusable colour metadata: render with the identity (and say so) instead of failing
    force: bool = False


def collect_inputs(paths: list[Path]) -> list[Path]:
    """RAW files named directly and those inside named folders, in order."""
    files: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            files += raw_files_in(path)
        else:
            files.append(regular_file(path, "input"))
    return files


def plan_outputs(files: list[Path], output: Path, force: bool = False) -> list[Path]:
    """One PNG per file in `output`; refused up front when two would collide or one exists without --force."""
    targets = [Path(output) / f"{f.stem}.png" for f in files]
    if len(set(targets)) != len(targets):
        raise InputError("two inputs share a file name stem; their PNGs would collide in one output folder")
    for target in targets:
        check_writable(target, force, create_folder=False)  # made by the first file written, if any is
    return targets


def enhance(inputs: list[Path], output: Path, model: Path | None = None, backend: str | None = None,
            options: RunnerOptions | None = None, ratio: float | None = None,
            reference_exposure: float | None = None, bits: int = 8, force: bool = False, png_level: int = 1,
            on_file: Callable[[Enhanced, int], None] = lambda result, total: None,
            log: Callable[[str], None] = lambda _m: None, keep_sensor_orientation: bool = False,
            allow_bad_colour: bool = False) -> list[Enhanced]:
    """Enhance every RAW file of `inputs` (files or folders) to `output/<stem>.png`.

    Args:
        model: checkpoint, ONNX or engine (default: the bundled model).
        backend: as in `open_runner`; default: the fastest runtime that can run the model here (`fastest_backend`:
            a GPU runtime where one can run, else OpenVINO, else ONNX Runtime), named through `log`.
        ratio: amplification; else `reference_exposure` / the file's exposure; else from a SID-style name.
        bits: 8 or 16-bit PNG.
        png_level: zlib level, 0 (stored: no encoding cost) to 9 (smallest); 1 is OpenCV's fast default.
        on_file: called with each file's result and the number of files, as each finishes (progress, printing).
        keep_sensor_orientation: write the sensor's layout instead of turning the picture as the file asks.
        allow_bad_colour: a neutral model given a file whose colour metadata is unusable renders it with the
            identity (the result's colour_note says so) instead of failing that file.
    Returns:
        one Enhanced per file; a file that fails carries its one-line error and the others are written.

    The model may be a pipeline graph (or engine): then everything between decoding and PNG encoding runs in it.
    Every PNG is tagged sRGB and carries the capture metadata (output_tags.py).
    """
    files = collect_inputs(inputs)
    targets = plan_outputs(files, output, force)
    model = Path(model or default_model())
    if backend is None:
        chosen, passed_over = fastest_backend(model)
        backend = chosen.name
        log(f"using {chosen.name} ({chosen.runtime}), the fastest runtime that can run this model here; --backend to "
            "choose another")
        for reason in passed_over:
            log(f"  not {reason}")
    options = fit_to_memory(model, backend, options or RunnerOptions(), log)
    out = OutputOptions(bits, png_level, keep_sensor_orientation, allow_bad_colour, force)
    with open_runner(model, backend, options) as runner:
        check_bits(runner, bits)
        return _run_all(runner, files, targets, ratio, reference_exposure, out, on_file, log)


AUTO_TILE_NOTE_BELOW = 4096  # say so when auto-tiling could touch a camera frame (packed sides up to ~4000)


def fit_to_memory(model: Path, backend: str, options: RunnerOptions, log) -> RunnerOptions:
    """Without --max-tile, an ONNX model on a CPU runtime is tiled where its estimated activations for a frame
    would not fit half the free memory (engines.memory_plan); checkpoints and GPU runtimes are left as they are."""
    if (options.max_tile or model_kind(model) != "onnx" or get_backend(backend).device != "cpu"
            or not model.is_file()):  # a missing model: open_runner says so
        return options
    plan = plan_tiles(model)
    if plan is None:
        return options
    if plan.max_tile < AUTO_TILE_NOTE_BELOW:
        log(f"frames larger than {plan.max_tile}x{plan.max_tile} packed pixels run as tiles: the model holds ~"
            f"{plan.bytes_per_pixel:.0f} bytes of activations per packed pixel and {plan.available / 2**30:.1f} GiB "
            "are free (--max-tile sets the tile)")
    return replace(options, max_tile=plan.max_tile)


def _run_all(runner, files: list[Path], targets: list[Path], ratio, reference_exposure, out: OutputOptions,
             on_file, log) -> list[Enhanced]:
    """Decode the next file while the model runs on this one, and encode PNGs in a writer thread.

    One file is decoded ahead and one written behind (bounded memory: three frames at most). A write either
    completes or leaves nothing (atomic), so an error or Ctrl-C still leaves no partial file: leaving the `with`
    waits for the write in flight.
    """
    results: list[Enhanced] = []
    started = time.perf_counter()
    with ThreadPoolExecutor(1, thread_name_prefix="decode") as reader, \
            ThreadPoolExecutor(1, thread_name_prefix="write") as writer:
        decoding = reader.submit(_decode, files[0], ratio, reference_exposure, out.allow_bad_colour) if files else None
        writing: tuple[Enhanced, Future] | None = None
        for index, (source, target) in enumerate(zip(files, targets)):
            result = Enhanced(source, target, backend=runner.backend)
            try:
                frame, result.ratio, result.ratio_source = decoding.result()
            except LowlightError as exc:
                frame, result.error = None, str(exc)
            if index + 1 < len(files):
                decoding = reader.submit(_decode, files[index + 1], ratio, reference_exposure, out.allow_bad_colour)
            job = None
            if frame is not None:
                try:
                    job = _submit(writer, runner, frame, result, out)
                except LowlightError as exc:
                    result.error = str(exc)
                if result.colour_note:
                    log(f"{source.name}: {result.colour_note}")
            if writing is not None:
                results.append(_finished(*writing, len(files), on_file))
            writing = (result, job)
        if writing is not None:
            results.append(_finished(*writing, len(files), on_file))
    elapsed = time.perf_counter() - started
    done = sum(r.error is None for r in results)
    if done:
        log(f"{done} image(s) in {elapsed:.1f} s: {done / elapsed:.2f} images/s (decode and PNG encoding overlap "
            "the model; model loading excluded)")
    return results


def _submit(writer: ThreadPoolExecutor, runner, frame, result: Enhanced, out: OutputOptions) -> Future:
    """Run the model on one frame and hand its pixels, turned as the file asks, to the writer thread."""
    convention = runner.pipeline.convention if runner.pipeline is not None else runner.input_convention
    pixels = frame_pixels(runner, frame, result.ratio, out.bits)  # unusable colour metadata fails here, in a line
    if convention == "neutral" and frame.colour.is_identity:
        result.colour_note = frame.colour.gains_source  # no colour metadata (or a refused one, when allowed)
    oriented = not out.keep_sensor_orientation
    result.orientation = frame.orientation if oriented else 1
    pixels = orient(pixels, frame.orientation) if oriented else pixels  # a view: the writer thread copies it
    result.size = (pixels.shape[1], pixels.shape[0])
    text = capture_text(frame, result.ratio, runner.path.name, runner.backend, convention, oriented)
    return writer.submit(write_png, result.target, pixels, out.bits, out.force, out.png_level, text)


def _decode(source: Path, ratio, reference_exposure, allow_bad_colour: bool) -> tuple:
    frame = read_raw(source)
    if allow_bad_colour and frame.colour.error:  # asked for: the identity, and the note says why
        frame.colour = ColourConversion.identity(f"{frame.colour.error}; rendered with the identity "
                                                 "(--allow-bad-colour)")
    return (frame, *resolve_ratio(source, ratio, reference_exposure, frame.exposure_s))


def _finished(result: Enhanced, job: Future | None, total: int, on_file) -> Enhanced:
    if job is not None:
        try:
            job.result()
        except LowlightError as exc:
            result.error, result.size = str(exc), None
    on_file(result, total)
    return result
