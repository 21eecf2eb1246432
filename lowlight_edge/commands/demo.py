"""`lowlight-edge demo` (what `make demo` runs): the main job end to end on this machine.

Bundled model -> synthetic DNG frames -> ONNX export (parity-checked) -> FP16 and INT8 (both targets, with
the LPIPS fallback) -> TensorRT engines where TensorRT and a GPU exist -> enhance the frames -> validate
drift -> benchmark the whole matrix (views, stages, memory, tiling) -> a Markdown report with tables, plots
and image grids under benchmarks/results/<host>/.
"""

import argparse
import socket
from pathlib import Path

from lowlight_edge.bench.shapes import DEFAULT_SHAPES, parse_shape
from lowlight_edge.commands.common import add_threads, arg_type, say

SONY_RAW_SIZE = (2848, 4256)
STEPS = 7


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "demo", help="run the main job on the bundled model, with a report",
        description="On the bundled default model (or --model): write synthetic low-light DNG frames, export to "
        "ONNX (parity-checked), make FP16 and INT8 models (TensorRT and CPU targets, INT8 held to an LPIPS "
        "budget), build TensorRT engines where TensorRT and a GPU exist, enhance the frames, validate the "
        "drift of every variant, benchmark every model x backend x view x shape with the end-to-end stage "
        "breakdown, peak memory and tiled inference, and write report.md (tables, plots, image grids), demo.json "
        "and bench.csv under benchmarks/results/<host>/. Demo artefacts are regenerated on every run.",
    )
    p.add_argument("--model", type=Path, default=None, help="generator checkpoint (default: the bundled model)")
    p.add_argument("--workdir", type=Path, default=Path("export/demo"), help="where models and frames go (default export/demo)")
    p.add_argument("--results", type=Path, default=None, help="results folder (default benchmarks/results/<host>)")
    p.add_argument("--shape", action="append", type=arg_type(parse_shape), metavar="HxW",
                   help="packed shape(s) to benchmark (default 512x512 and the Sony full frame 1424x2128)")
    p.add_argument("--raw-size", type=arg_type(parse_shape), default=SONY_RAW_SIZE, metavar="HxW",
                   help="size of the synthetic RAW frame timed end to end (default the Sony a7S II's 2848x4256)")
    p.add_argument("--runs", type=int, default=3, help="timed runs per benchmark row (default 3)")
    p.add_argument("--calib-count", type=int, default=16, metavar="N", help="calibration frames (default 16)")
    p.add_argument("--calib-shape", type=arg_type(parse_shape), default=(256, 256), metavar="HxW",
                   help="packed calibration size (default 256x256)")
    p.add_argument("--int8-budget", type=float, default=0.01, metavar="LPIPS",
                   help="LPIPS budget INT8 is held to by keeping sensitive layers in float (default 0.01; 0: plain INT8)")
    p.add_argument("--max-tile", type=int, default=512, metavar="N",
                   help="tile size of the tiled-inference row at the largest shape (default 512)")
    p.add_argument("--no-memory", action="store_true", help="skip the peak-memory probes (one process per row)")
    add_threads(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from lowlight_edge.bench import environment
    from lowlight_edge.demo.report import verdict, write_outputs
    from lowlight_edge.demo.variants import build_engines, make_onnx_variants
    from lowlight_edge.errors import InputError
    from lowlight_edge.raw.scenes import HELD_OUT_IMAGES, load_image
    from lowlight_edge.raw.synth_frames import write_frames
    from lowlight_edge.weights import default_model

    if args.runs < 1 or args.calib_count < 1 or args.int8_budget < 0:
        raise InputError("--runs and --calib-count must be >= 1 and --int8-budget >= 0")
    checkpoint = args.model or default_model()
    results = args.results or Path("benchmarks/results") / socket.gethostname()
    shapes = args.shape or DEFAULT_SHAPES
    work = args.workdir

    say(f"[1/{STEPS}] synthetic DNG frames -> {work / 'frames'}, and a {args.raw_size[0]}x{args.raw_size[1]} RAW for end-to-end timing")
    frames = write_frames(work / "frames", {n: load_image(n) for n in HELD_OUT_IMAGES}, force=True)
    full_raw = full_frame_raw(work / "fullframe", args.raw_size)
    say(f"[2/{STEPS}] export, FP16, INT8 (tensorrt and cpu targets) of {checkpoint}")
    variants = make_onnx_variants(checkpoint, work, "synthetic:%d" % args.calib_count, args.calib_shape,
                                  args.calib_count, args.int8_budget or None, say)
    say(f"[3/{STEPS}] TensorRT engines")
    build_engines(variants, work, shapes, say)
    if variants.engine_skip:
        say(f"TensorRT engines skipped: {variants.engine_skip}")
    say(f"[4/{STEPS}] enhance the frames with PyTorch and ONNX Runtime")
    quality = _enhance_and_score(checkpoint, variants.onnx["fp32"], frames, work / "enhanced", args.threads)
    say(f"[5/{STEPS}] validate the drift of every variant against FP32 ONNX")
    drift = _validate(variants, work / "frames", results / "grids", args.threads)
    say(f"[6/{STEPS}] benchmark the matrix at {', '.join(f'{h}x{w}' for h, w in shapes)} (packed), end to end on "
        f"{full_raw.name}")
    records, overhead = _bench(variants, shapes, full_raw, args)
    say(f"[7/{STEPS}] report")
    env = environment.capture(args.threads)
    files = write_outputs(results, records, env, drift, quality, overhead, variants)
    for line in verdict(records, drift, quality, files["report"]):
        say(line)
    return 0


def full_frame_raw(folder: Path, raw_size: tuple[int, int]) -> Path:
    """A held-out photograph resized to the sensor size, through the same sensor model and DNG writer."""
    from skimage.transform import resize

    from lowlight_edge.raw.scenes import HELD_OUT_IMAGES, load_image
    from lowlight_edge.raw.synth_frames import write_frames

    image = resize(load_image(HELD_OUT_IMAGES[0]), (*raw_size, 3), order=1, anti_aliasing=False).astype("float32")
    return write_frames(folder, {"fullframe": image}, force=True)[0].dng


def _enhance_and_score(checkpoint: Path, onnx_path: Path, frames, outdir: Path, threads) -> dict:
    from lowlight_edge.engines import open_runner
    from lowlight_edge.fileio.png import read_png, write_png
    from lowlight_edge.raw.enhance import enhance_packed
    from lowlight_edge.raw.naive import naive_render
    from lowlight_edge.raw.reader import read_raw
    from lowlight_edge.train.evaluate import psnr_ssim

    rows, max_diff = [], 0.0
    with open_runner(checkpoint, threads=threads) as torch_runner, open_runner(onnx_path, threads=threads) as ort_runner:
        for frame in frames:
            packed = read_raw(frame.dng).pack(frame.ratio)
            by_torch = enhance_packed(torch_runner.infer, packed, torch_runner.size_multiple)
            by_ort = enhance_packed(ort_runner.infer, packed, ort_runner.size_multiple)
            max_diff = max(max_diff, float(abs(by_torch - by_ort).max()))
            write_png(outdir / f"{frame.dng.stem}.png", by_ort, force=True)
            truth = read_png(frame.truth)
            model_psnr, model_ssim = psnr_ssim(truth, by_ort)
            naive_psnr, naive_ssim = psnr_ssim(truth, naive_render(frame.dng, frame.ratio))
            rows.append({"frame": frame.dng.name, "phase": frame.phase, "ratio": frame.ratio, "model_psnr": model_psnr,
                         "model_ssim": model_ssim, "naive_psnr": naive_psnr, "naive_ssim": naive_ssim})
    mean = lambda key: sum(r[key] for r in rows) / len(rows)  # noqa: E731 - local shorthand
    return {"frames": rows, "mean_model_psnr": mean("model_psnr"), "mean_naive_psnr": mean("naive_psnr"),
            "max_backend_diff": max_diff}


def _validate(variants, frames_dir: Path, grids_dir: Path, threads) -> list[dict]:
    from contextlib import ExitStack

    from tqdm import tqdm

    from lowlight_edge.engines import open_runner
    from lowlight_edge.metrics.drift import DEFAULT_BUDGETS, run_drift
    from lowlight_edge.metrics.lpips_backend import load_lpips
    from lowlight_edge.raw.datasets import folder_samples, raw_files_in

    candidates = [variants.onnx[k] for k in ("fp16", "int8-tensorrt", "int8-cpu")] + list(variants.engines.values())
    with ExitStack() as stack:
        reference = stack.enter_context(open_runner(variants.onnx["fp32"], threads=threads))
        runners = [stack.enter_context(open_runner(c, threads=threads)) for c in candidates]
        with tqdm(total=len(raw_files_in(frames_dir)), desc="validate", unit="image", leave=False) as bar:
            summaries, _ = run_drift(reference, runners, folder_samples(frames_dir), load_lpips(), DEFAULT_BUDGETS,
                                     grids_dir, bar.update)
    return [s.aggregate() for s in summaries]


def _bench(variants, shapes, full_raw: Path, args):
    from lowlight_edge.bench.latency import Protocol
    from lowlight_edge.bench.overhead import harness_overhead
    from lowlight_edge.bench.records import skipped_record
    from lowlight_edge.bench.suite import BenchPlan, annotate, bench_input, run_plan
    from lowlight_edge.engines.options import RunnerOptions

    onnx = variants.onnx
    pairs = [(variants.checkpoint, "torch-cpu"), (variants.checkpoint, "torch-cuda"), (onnx["fp32"], "ort-cpu"),
             (onnx["int8-cpu"], "ort-cpu"), (onnx["fp32"], "ort-cuda"), (onnx["fp16"], "ort-cuda")]
    pairs += [(engine, "tensorrt") for engine in variants.engines.values()]
    protocol = Protocol(warmup=1, runs=args.runs)
    views = ("model", "compute")
    plan = BenchPlan(models=[], shapes=shapes, pairs=pairs, protocol=protocol, views=views, runner=RunnerOptions(threads=args.threads),
                     raw=full_raw, memory=not args.no_memory)
    records = run_plan(plan)
    not_cpu_formats = {  # rows that would run here but measure nothing a CPU user deploys; their drift is validated
        (onnx["fp16"], "fp16"): "ONNX Runtime has no fast FP16 CPU kernels (it emulates FP16 behind casts); FP16 "
                                "speed is a GPU number",
        (onnx["int8-tensorrt"], "int8"): "the TensorRT-target Q/DQ graph is for TensorRT to fuse; on the CPU use the "
                                         "cpu-target INT8 model",
    }
    records += [skipped_record(model, "ort-cpu", precision, (1, 4, *shape), view, reason)
                for (model, precision), reason in not_cpu_formats.items() for shape in shapes for view in views]
    if variants.engine_skip:
        stem = variants.checkpoint.stem
        records += [skipped_record(f"{stem}.{p}.engine", "tensorrt", p.split("-")[0], (1, 4, *shape), view,
                                   variants.engine_skip)
                    for p in ("fp32", "fp16", "int8-tensorrt") for shape in shapes for view in views]
    largest = max(shapes, key=lambda s: s[0] * s[1])
    if max(largest) > args.max_tile:  # the same model tiled, to show what tiling does to latency and memory
        overlap = max(16, min(64, args.max_tile // 4 // 16 * 16))
        tiled = BenchPlan(models=[], shapes=[largest], pairs=[(onnx["fp32"], "ort-cpu")], protocol=protocol,
                          views=("model",),
                          runner=RunnerOptions(threads=args.threads, max_tile=args.max_tile, tile_overlap=overlap),
                          memory=not args.no_memory)
        records += run_plan(tiled)
    annotate(records)
    smallest = min(shapes, key=lambda s: s[0] * s[1])  # where a fixed per-call cost would show most
    overhead = harness_overhead(onnx["fp32"], bench_input(1, smallest, 0), rounds=3, per_round=5, threads=args.threads)
    return records, overhead
