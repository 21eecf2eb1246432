"""`lowlight-edge bench`: latency of models x backends x views x shapes, side by side, on the same inputs."""

import argparse
from pathlib import Path

from lowlight_edge.bench.shapes import DEFAULT_SHAPES, parse_shape
from lowlight_edge.commands.common import arg_type, say
from lowlight_edge.commands.options import (
    add_backend,
    add_force,
    add_protocol_options,
    add_runner_options,
    protocol_from,
    runner_options_from,
)


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
    add_backend(p, repeatable=True)
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
    from lowlight_edge.bench.job import BenchOutputs, benchmark
    from lowlight_edge.bench.suite import BenchPlan
    from lowlight_edge.bench.table import render
    from lowlight_edge.errors import BackendUnavailable

    plan = BenchPlan(models=args.models, shapes=args.shape or DEFAULT_SHAPES, backends=args.backend,
                     protocol=protocol_from(args), views=tuple(args.view or ("model", "compute")), batch=args.batch,
                     runner=runner_options_from(args), raw=args.raw, ratio=args.ratio, encode=args.png,
                     memory=args.memory)
    outputs = BenchOutputs(json=args.json, csv=args.csv, markdown=args.markdown, plots=args.plots)
    result = benchmark(plan, outputs, overhead=args.overhead, force=args.force, show_progress=not args.no_progress)
    print(render(result.records))
    for warning in result.environment["warnings"]:
        say(f"warning: {warning}")
    for o in result.overhead or []:
        say(f"harness overhead at {o['shape'][2]}x{o['shape'][3]}: {o['overhead_pct']:+.2f}% (bare session.run "
            f"{o['bare_median_ms']:.1f} ms, harness {o['harness_median_ms']:.1f} ms, median of {o['runs_each']} each)")
    for path in result.written:
        say(f"wrote {path}")
    if not any(r.ran for r in result.records):
        raise BackendUnavailable(f"no row could run on this machine: {result.records[0].skipped}")
    return 0
