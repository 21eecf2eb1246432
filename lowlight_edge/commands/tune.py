"""`lowlight-edge tune`: the fastest variant within the drift budget on this machine, chosen by measurement."""

import argparse
from pathlib import Path

from lowlight_edge.bench.shapes import SONY_FULL_FRAME, parse_shape
from lowlight_edge.commands.common import arg_type, say
from lowlight_edge.commands.options import add_force, add_threads
from lowlight_edge.fileio.workspace import work_dir


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "tune", help="choose the fastest variant within a drift budget on this machine, by measurement",
        description="Make every variant of the variant table this machine can run (FP32, FP16, BF16 where the CPU "
        "computes it, INT8 for TensorRT over FP16, its 7-bit weights form, INT8 for the CPU; TensorRT engines where "
        "TensorRT and a GPU exist), validate each against the FP32 model on held-out frames, time each at --shape "
        "(or end to end from --raw, pipeline graphs included), and choose the fastest whose mean LPIPS drift plus "
        "two standard errors over the frames is within the budget (so the choice holds on frames it never saw). Writes tune.json (the choice, "
        "every row and why it lost; `enhance --model tune.json` runs the choice) and tune.md. Exit 1 when no "
        "variant meets the budget (the closest is named).",
    )
    p.add_argument("model", type=Path, nargs="?", default=None, help="generator checkpoint (default: the bundled model)")
    p.add_argument("--budget", type=float, default=0.01, metavar="LPIPS",
                   help="mean LPIPS drift against FP32 a variant may have (default 0.01)")
    p.add_argument("--shape", type=arg_type(parse_shape), default=SONY_FULL_FRAME, metavar="HxW",
                   help="packed shape the latency is measured at (default the Sony full frame 1424x2128)")
    p.add_argument("--raw", type=Path, default=None, metavar="FILE",
                   help="time end to end from this RAW file instead (read, pack, infer, post-process)")
    p.add_argument("--frames", type=int, default=18, metavar="N",
                   help="held-out frames the drift is validated on (default 18: each of the ratios 100, 250 and 300 "
                   "with each held-out camera under each held-out light; more frames, a tighter bound)")
    p.add_argument("--runs", type=int, default=3, help="timed runs per row (default 3)")
    p.add_argument("--workdir", type=Path, default=None,
                   help="models go to WORKDIR/export/tune, engines to WORKDIR/engines/<host>/tune (default work)")
    p.add_argument("-o", "--output", type=Path, default=None, metavar="DIR",
                   help="where tune.json and tune.md go (default WORKDIR/results/<host>/tune)")
    add_threads(p)
    add_force(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from lowlight_edge.fileio.atomic import check_writable
    from lowlight_edge.fileio.workspace import results_dir
    from lowlight_edge.tune.job import TuneJob, run_tune
    from lowlight_edge.tune.result import headline, tune_markdown, write_result

    workdir = args.workdir or work_dir()
    output = args.output or results_dir("tune", root=workdir)
    json_path, markdown_path = output / "tune.json", output / "tune.md"
    for path in (json_path, markdown_path):
        check_writable(path, args.force)  # before minutes of making and measuring
    job = TuneJob(model=args.model, budget=args.budget, shape=args.shape, raw=args.raw, workdir=workdir,
                  frames=args.frames, runs=args.runs, threads=args.threads)
    result = run_tune(job, log=say)
    write_result(result, json_path, markdown_path, args.force, args.threads)
    print(tune_markdown(result))
    say(f"wrote {json_path} and {markdown_path}")
    say(f"tune: {headline(result)}")
    return 0 if result.choice is not None else 1
