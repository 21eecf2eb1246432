"""`lowlight-edge bench`: latency of models x backends x views x shapes, side by side, on the same inputs."""

import argparse
import json
from pathlib import Path

from lowlight_edge.bench.shapes import DEFAULT_SHAPES, parse_shape
from lowlight_edge.commands.common import add_force, add_runner_options, arg_type, runner_options, say


def add_protocol_options(p: argparse.ArgumentParser, runs: int = 10, warmup: int = 2) -> None:
    p.add_argument("--warmup", type=int, default=warmup, help=f"untimed calls before timing (default {warmup})")
    p.add_argument("--warmup-time", type=float, default=0.0, metavar="S",
                   help="keep warming up until at least S seconds have passed (default 0)")
    p.add_argument("--runs", type=int, default=runs, help=f"timed calls per row, at least (default {runs})")
    p.add_argument("--min-time", type=float, default=0.0, metavar="S",
                   help="keep timing until at least S seconds have passed (default 0: --runs alone)")


def protocol_from(args: argparse.Namespace):
    from lowlight_edge.bench.latency import Protocol
    from lowlight_edge.errors import InputError

    if args.runs < 1 or args.warmup < 0 or args.warmup_time < 0 or args.min_time < 0:
        raise InputError("--runs must be >= 1; --warmup, --warmup-time and --min-time must be >= 0")
    return Protocol(warmup=args.warmup, warmup_s=args.warmup_time, runs=args.runs, min_time_s=args.min_time)


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "bench", help="measure latency of models on every backend side by side",
        description="Measure per-image latency of each MODEL (checkpoint -> PyTorch, .onnx -> ONNX Runtime, "
        ".engine -> TensorRT) on the same seeded packed input. Views: 'model' (numpy in, numpy out, host "
        "clock, transfers included) and 'compute' (the network alone on inputs already in place: ONNX Runtime "
        "IO binding, device buffers; GPU time from CUDA events); --raw adds the end-to-end chain from a RAW file, "
        "stage by stage. Warmup is discarded; p50/p90/p99, mean, std, min, max and images/s are reported, each "
        "row with its speedup over PyTorch eager FP32 on the same checkpoint measured in the same run, and "
        "whether it meets the paper's 0.06 s per-image target. Backends that cannot run here appear as "
        "skipped rows with the reason.",
    )
    p.add_argument("models", nargs="+", type=Path, metavar="MODEL", help="checkpoint, ONNX or engine file")
    p.add_argument("--shape", action="append", type=arg_type(parse_shape), metavar="HxW",
                   help="packed input size (half the RAW size), repeatable; default 512x512 and the Sony "
                   "full frame 1424x2128")
    add_protocol_options(p)
    p.add_argument("--batch", type=int, default=1, help="images per inference (default 1)")
    p.add_argument("--backend", action="append", default=None,
                   help="backend(s) to run, repeatable: torch-cpu, torch-cuda, ort-cpu, ort-cuda, ort-tensorrt, "
                   "tensorrt; each model runs on those that take its file type (default: one per file type)")
    p.add_argument("--view", action="append", choices=("model", "compute"), default=None,
                   help="which views to time, repeatable (default: both)")
    add_runner_options(p)
    p.add_argument("--raw", type=Path, default=None, metavar="FILE",
                   help="also time the whole chain on this RAW file, stage by stage (decode, pack, h2d, inference, "
                   "d2h, postprocess[, encode])")
    p.add_argument("--ratio", type=float, default=None, help="amplification ratio for --raw (default: from the file)")
    p.add_argument("--png", action="store_true", help="include PNG encoding in the --raw chain")
    p.add_argument("--memory", action="store_true",
                   help="also report the peak memory of one call per model, backend and shape (a fresh process each)")
    p.add_argument("--overhead", action="store_true",
                   help="also measure the harness against a bare session.run loop on the first ONNX model")
    p.add_argument("--json", type=Path, default=None, metavar="FILE", help="write results as JSON")
    p.add_argument("--csv", type=Path, default=None, metavar="FILE", help="write results as CSV")
    p.add_argument("--markdown", type=Path, default=None, metavar="FILE", help="write results as Markdown")
    p.add_argument("--plots", type=Path, default=None, metavar="DIR",
                   help="write latency.png (distribution per row) and stages.png (end-to-end per stage) to DIR")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    add_force(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from lowlight_edge.bench import environment
    from lowlight_edge.bench.records import to_document
    from lowlight_edge.bench.suite import BenchPlan, annotate, bench_input, run_plan
    from lowlight_edge.bench.table import render, render_csv, render_markdown
    from lowlight_edge.errors import BackendUnavailable, InputError
    from lowlight_edge.fileio.atomic import check_writable, write_text

    protocol = protocol_from(args)
    if args.batch < 1:
        raise InputError("--batch must be >= 1")
    outputs = [p for p in (args.json, args.csv, args.markdown) if p]
    for path in outputs + ([args.plots / "latency.png", args.plots / "stages.png"] if args.plots else []):
        check_writable(path, args.force)  # fail before minutes of measuring, not after
    shapes = args.shape or DEFAULT_SHAPES
    plan = BenchPlan(models=args.models, shapes=shapes, backends=args.backend, protocol=protocol,
                     views=tuple(args.view or ("model", "compute")), batch=args.batch, runner=runner_options(args),
                     raw=args.raw, ratio=args.ratio, encode=args.png, memory=args.memory)
    records = annotate(run_plan(plan, show_progress=not args.no_progress))
    overhead = None
    if args.overhead:
        overhead = _overhead(args, shapes, bench_input)
    print(render(records))
    env = environment.capture(args.threads)
    for warning in env["warnings"]:
        say(f"warning: {warning}")
    if overhead:
        for o in overhead:
            say(f"harness overhead at {o['shape'][2]}x{o['shape'][3]}: {o['overhead_pct']:+.2f}% (bare session.run "
                f"{o['bare_median_ms']:.1f} ms, harness {o['harness_median_ms']:.1f} ms, median of {o['runs_each']} each)")
    if args.json:
        extra = {"overhead": overhead} if overhead else {}
        write_text(args.json, json.dumps(to_document(records, env, **extra), indent=2) + "\n", args.force)
    if args.csv:
        write_text(args.csv, render_csv(records), args.force)
    if args.markdown:
        write_text(args.markdown, render_markdown(records, env), args.force)
    written = list(outputs)
    if args.plots:
        from lowlight_edge.bench.plots import write_plots

        written += write_plots(records, args.plots, args.force)
    for path in written:
        say(f"wrote {path}")
    if not any(r.ran for r in records):
        raise BackendUnavailable(f"no row could run on this machine: {records[0].skipped}")
    return 0


def _overhead(args, shapes, bench_input) -> list[dict]:
    from lowlight_edge.bench.overhead import harness_overhead
    from lowlight_edge.engines.select import model_kind
    from lowlight_edge.errors import InputError

    onnx = next((m for m in args.models if model_kind(m) == "onnx"), None)
    if onnx is None:
        raise InputError("--overhead needs an ONNX model among the models")
    return [harness_overhead(onnx, bench_input(args.batch, shape, 0), threads=args.threads) for shape in shapes]
