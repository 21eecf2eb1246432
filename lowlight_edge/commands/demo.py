"""`lowlight-edge demo` (what `make demo` runs): the main job end to end on this machine.

Bundled model -> synthetic DNG frames -> ONNX export (parity-checked) -> enhance the frames with
PyTorch and ONNX Runtime (agreement and quality against ground truth) -> latency of both backends at a
512x512 tile and the Sony full frame -> results under benchmarks/results/<host>/.
"""

import argparse
import json
import socket
from pathlib import Path

from lowlight_edge.bench.shapes import DEFAULT_SHAPES, parse_shape
from lowlight_edge.commands.common import add_threads, arg_type, say


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "demo", help="run the main job on the bundled model, with a report",
        description="On the bundled default model (or --model): write synthetic low-light DNG frames, export to "
        "ONNX (parity-checked), enhance the frames with PyTorch and with ONNX Runtime (their agreement and "
        "PSNR/SSIM against ground truth and against the naive pipeline), benchmark both backends, and write "
        "the results under benchmarks/results/<host>/. Demo artefacts are regenerated on every run.",
    )
    p.add_argument("--model", type=Path, default=None, help="generator checkpoint (default: the bundled model)")
    p.add_argument("--workdir", type=Path, default=Path("export/demo"), help="where models and frames go (default export/demo)")
    p.add_argument("--results", type=Path, default=None, help="results folder (default benchmarks/results/<host>)")
    p.add_argument("--shape", action="append", type=arg_type(parse_shape), metavar="HxW",
                   help="packed shape(s) to benchmark (default 512x512 and 1424x2128)")
    p.add_argument("--runs", type=int, default=3, help="timed runs per benchmark row (default 3)")
    add_threads(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from lowlight_edge.bench import environment
    from lowlight_edge.bench.records import TARGET_S, to_document
    from lowlight_edge.bench.suite import BenchPlan, run_plan
    from lowlight_edge.bench.table import render
    from lowlight_edge.export.onnx_export import export_onnx
    from lowlight_edge.fileio.atomic import write_text
    from lowlight_edge.raw.synth_frames import write_frames
    from lowlight_edge.train.synthetic import HELD_OUT_IMAGES, load_image
    from lowlight_edge.weights import default_model

    checkpoint = args.model or default_model()
    results_dir = args.results or Path("benchmarks/results") / socket.gethostname()
    onnx_path = args.workdir / f"{checkpoint.stem}.fp32.onnx"

    say(f"[1/4] synthetic DNG frames -> {args.workdir / 'frames'}")
    frames = write_frames(args.workdir / "frames", {n: load_image(n) for n in HELD_OUT_IMAGES}, force=True)
    say(f"[2/4] export {checkpoint} -> {onnx_path}")
    export_onnx(checkpoint, onnx_path, force=True, log=say)
    say("[3/4] enhance the frames with PyTorch and ONNX Runtime")
    quality = _enhance_and_score(checkpoint, onnx_path, frames, args.workdir / "enhanced", args.threads)
    shapes = args.shape or DEFAULT_SHAPES
    say(f"[4/4] bench PyTorch vs ONNX Runtime at {', '.join(f'{h}x{w}' for h, w in shapes)} (packed)")
    records = run_plan(BenchPlan(models=[checkpoint, onnx_path], shapes=shapes, warmup=1, runs=args.runs,
                                 threads=args.threads))
    print(render(records))

    document = to_document(records, environment.capture())
    document["enhance"] = quality
    result_file = results_dir / "demo.json"
    write_text(result_file, json.dumps(document, indent=2) + "\n", force=True)
    best = min(records, key=lambda r: r.stats["median_ms"] / r.shape[0])
    say(f"results: {result_file}; enhanced frames: {args.workdir / 'enhanced'}")
    say(f"quality: model {quality['mean_model_psnr']:.2f} dB vs naive pipeline {quality['mean_naive_psnr']:.2f} dB "
        f"PSNR on {len(frames)} held-out frames; PyTorch and ONNX Runtime outputs differ by at most "
        f"{quality['max_backend_diff']:.1e}")
    say(f"latency: fastest row {Path(best.model).name} on {best.backend} at {best.shape[2]}x{best.shape[3]}, "
        f"{best.stats['median_ms']:.1f} ms median: {'meets' if best.meets_target else 'misses'} the "
        f"{TARGET_S:.2f} s per-image target")
    return 0


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
