"""`lowlight-edge demo` (what `make demo` runs): the main job end to end on this machine (demo/job.py)."""

import argparse
from pathlib import Path

from lowlight_edge.bench.shapes import DEFAULT_SHAPES, SONY_RAW_SIZE, parse_shape
from lowlight_edge.commands.common import arg_type, say
from lowlight_edge.commands.options import add_threads
from lowlight_edge.fileio.workspace import work_dir


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "demo", help="run the main job on the bundled model, with a report",
        description="`tune` on the bundled default model (or --model), plus the report: write synthetic low-light "
        "DNG frames, make every variant of the variant table (ONNX export parity-checked, FP16, INT8 for TensorRT "
        "and for the CPU held to an LPIPS budget, pipeline graphs), build TensorRT engines where TensorRT and a GPU "
        "exist, enhance the frames, validate the drift of every variant, benchmark every model x backend x view x "
        "shape with the end-to-end stage breakdown, peak memory and tiled inference, choose with tune's rule the "
        "fastest variant within the budget at the largest shape, and write report.md (the choice, tables, plots, "
        "image grids), demo.json, bench.csv and tune.json (for `enhance --model tune.json`) under "
        "work/results/<host>/. Demo artefacts are regenerated on every run.",
    )
    p.add_argument("--model", type=Path, default=None, help="generator checkpoint (default: the bundled model)")
    p.add_argument("--workdir", type=Path, default=None,
                   help="work folder: models go to WORKDIR/export/demo, engines to WORKDIR/engines/<host>/demo, frames "
                   "to WORKDIR/demo (default work, or $LOWLIGHT_EDGE_WORK)")
    p.add_argument("--results", type=Path, default=None, help="results folder (default WORKDIR/results/<host>)")
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
    p.add_argument("--tune-frames", type=int, default=18, metavar="N",
                   help="held-out frames tune's choice is validated on (default 18, as `tune --frames`)")
    add_threads(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from lowlight_edge.demo.job import DemoJob, run_demo

    job = DemoJob(model=args.model, workdir=args.workdir or work_dir(), results=args.results,
                  shapes=args.shape or list(DEFAULT_SHAPES), raw_size=args.raw_size, runs=args.runs,
                  calib_count=args.calib_count, calib_shape=args.calib_shape, int8_budget=args.int8_budget,
                  max_tile=args.max_tile, memory=not args.no_memory, threads=args.threads, tune_frames=args.tune_frames)
    outcome = run_demo(job, log=say)
    for line in outcome.verdict:
        say(line)
    if outcome.missed_budgets:  # the report is written either way; the exit status says the run fell short
        say(f"lowlight-edge: error: drift budget missed on the validation frames: {'; '.join(outcome.missed_budgets)}")
        return 1
    return 0
