"""`lowlight-edge demo` (what `make demo` runs): the main job end to end on this machine.

Until a trained default model ships, the demo uses a seeded, untrained generator and says so: the
latency it measures is real, the images such a model makes are not.
"""

import argparse
import json
import socket
from pathlib import Path

from lowlight_edge.bench.shapes import DEFAULT_SHAPES, parse_shape
from lowlight_edge.commands.common import arg_type, add_threads, say


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "demo", help="run the main job: model -> ONNX -> benchmark, with a report",
        description="Make the demo model, export it to ONNX (parity-checked), benchmark PyTorch against ONNX "
        "Runtime at a 512x512 tile and the Sony full frame, and write the results under "
        "benchmarks/results/<host>/. Demo artefacts are regenerated on every run.",
    )
    p.add_argument("--workdir", type=Path, default=Path("export/demo"), help="where models go (default export/demo)")
    p.add_argument("--results", type=Path, default=None,
                   help="results folder (default benchmarks/results/<host>)")
    p.add_argument("--width", default="lite", help="generator width or preset (default: lite, the size the bundled model will have)")
    p.add_argument("--shape", action="append", type=arg_type(parse_shape), metavar="HxW",
                   help="packed shape(s) to benchmark (default 512x512 and 1424x2128)")
    p.add_argument("--runs", type=int, default=3, help="timed runs per row (default 3)")
    add_threads(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from lowlight_edge.bench import environment
    from lowlight_edge.bench.records import TARGET_S, to_document
    from lowlight_edge.bench.suite import BenchPlan, run_plan
    from lowlight_edge.bench.table import render
    from lowlight_edge.commands import init
    from lowlight_edge.export.onnx_export import export_onnx
    from lowlight_edge.fileio.atomic import write_text

    results_dir = args.results or Path("benchmarks/results") / socket.gethostname()
    checkpoint = args.workdir / "untrained.safetensors"
    onnx_path = args.workdir / "untrained.fp32.onnx"

    say("NOTE: no trained default model ships yet, so this demo uses a seeded, UNTRAINED generator: "
        "its latency is real, its images are not meaningful.")
    say(f"[1/3] init {checkpoint}")
    init.run(argparse.Namespace(output=checkpoint, width=args.width, depth=4, no_attention=False, seed=0, force=True))
    say(f"[2/3] export {onnx_path}")
    export_onnx(checkpoint, onnx_path, force=True, log=say)
    shapes = args.shape or DEFAULT_SHAPES
    say(f"[3/3] bench PyTorch vs ONNX Runtime at {', '.join(f'{h}x{w}' for h, w in shapes)} (packed)")
    plan = BenchPlan(models=[checkpoint, onnx_path], shapes=shapes, warmup=1, runs=args.runs, threads=args.threads)
    records = run_plan(plan)
    print(render(records))

    result_file = results_dir / "demo-bench.json"
    write_text(result_file, json.dumps(to_document(records, environment.capture()), indent=2) + "\n", force=True)
    best = min(records, key=lambda r: r.stats["median_ms"] / r.shape[0])
    verdict = "meets" if best.meets_target else "misses"
    say(f"results: {result_file}")
    say(f"fastest row: {Path(best.model).name} on {best.backend} at {best.shape[2]}x{best.shape[3]}, "
        f"{best.stats['median_ms']:.1f} ms median: {verdict} the {TARGET_S:.2f} s per-image target")
    return 0
