"""`lowlight-edge bench`: latency of one or more models, side by side, on the same inputs."""

import argparse
import json
from pathlib import Path

from lowlight_edge.bench.shapes import DEFAULT_SHAPES, parse_shape
from lowlight_edge.commands.common import arg_type, add_force, add_threads, say


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "bench", help="measure latency of models (PyTorch, ONNX Runtime) side by side",
        description="Measure per-image latency of each MODEL (checkpoint -> PyTorch, .onnx -> ONNX Runtime) on "
        "the same seeded packed input: warmup runs are discarded, then median/p90/p99/mean over timed runs. "
        "Each row shows its speedup over PyTorch CPU running the same checkpoint in the same run, and "
        "whether it meets the paper's 0.06 s per-image target.",
    )
    p.add_argument("models", nargs="+", type=Path, metavar="MODEL", help="checkpoint or ONNX file")
    p.add_argument("--shape", action="append", type=arg_type(parse_shape), metavar="HxW",
                   help="packed input size (half the RAW size), repeatable; default 512x512 and the Sony "
                   "full frame 1424x2128")
    p.add_argument("--warmup", type=int, default=2, help="untimed runs before timing (default 2)")
    p.add_argument("--runs", type=int, default=10, help="timed runs per model and shape (default 10)")
    p.add_argument("--batch", type=int, default=1, help="images per inference (default 1)")
    p.add_argument("--backend", default=None,
                   help="force a backend: ort-cpu, ort-cuda, ort-tensorrt, torch-cpu, torch-cuda (default: "
                   "from the file type)")
    add_threads(p)
    p.add_argument("--raw", type=Path, default=None, metavar="FILE",
                   help="also time the whole chain on this RAW file, stage by stage (decode, pack, inference, "
                   "postprocess[, encode])")
    p.add_argument("--ratio", type=float, default=None, help="amplification ratio for --raw (default: from the file)")
    p.add_argument("--png", action="store_true", help="include PNG encoding in the --raw chain")
    p.add_argument("--json", type=Path, default=None, metavar="FILE", help="write results as JSON")
    p.add_argument("--csv", type=Path, default=None, metavar="FILE", help="write results as CSV")
    p.add_argument("--markdown", type=Path, default=None, metavar="FILE", help="write results as Markdown")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    add_force(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from lowlight_edge.bench import environment
    from lowlight_edge.bench.records import to_document
    from lowlight_edge.bench.suite import BenchPlan, run_plan
    from lowlight_edge.bench.table import render, render_csv, render_markdown
    from lowlight_edge.errors import InputError
    from lowlight_edge.fileio.atomic import check_writable, write_text

    if args.runs < 1 or args.warmup < 0 or args.batch < 1:
        raise InputError("--runs and --batch must be >= 1 and --warmup >= 0")
    outputs = [p for p in (args.json, args.csv, args.markdown) if p]
    for path in outputs:
        check_writable(path, args.force)  # fail before minutes of measuring, not after
    plan = BenchPlan(models=args.models, shapes=args.shape or DEFAULT_SHAPES, backend=args.backend,
                     warmup=args.warmup, runs=args.runs, batch=args.batch, threads=args.threads, raw=args.raw,
                     ratio=args.ratio, encode=args.png)
    records = run_plan(plan, show_progress=not args.no_progress)
    print(render(records))
    env = environment.capture()
    if args.json:
        write_text(args.json, json.dumps(to_document(records, env), indent=2) + "\n", args.force)
    if args.csv:
        write_text(args.csv, render_csv(records), args.force)
    if args.markdown:
        write_text(args.markdown, render_markdown(records, env), args.force)
    for path in outputs:
        say(f"wrote {path}")
    return 0
