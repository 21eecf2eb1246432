"""`lowlight-edge validate`: accuracy drift of candidate models against a reference, with budgets."""

import argparse
import json
from pathlib import Path

from lowlight_edge.commands.common import LazyBar, say
from lowlight_edge.commands.options import (
    add_backend,
    add_force,
    add_lpips_options,
    add_runner_options,
    runner_options_from,
)


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "validate", help="LPIPS/PSNR/SSIM drift of candidates against a reference model, with budgets",
        description="Run the reference and every candidate model (checkpoint, ONNX or engine) on the same frames, "
        "with the same pre- and post-processing, and report per image and aggregated (mean, max): LPIPS, PSNR and "
        "SSIM of each candidate against the reference output, and of every model against ground truth when "
        "the data has it. A candidate passes when its mean LPIPS drift is within the budget for its precision "
        "(defaults: fp32 and fp16 0.002, int8 0.01) and no output is NaN/Inf. Exit code 1 when any fails.",
    )
    p.add_argument("--reference", type=Path, required=True, help="reference model (usually the FP32 checkpoint or ONNX)")
    p.add_argument("--candidate", type=Path, action="append", required=True, help="candidate model, repeatable")
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--data", type=Path, help="folder of RAW files (a PNG of the same SID scene is ground truth)")
    source.add_argument("--sid", type=Path, metavar="LIST", help="SID list file (ground truth from long exposures)")
    source.add_argument("--synthetic", type=int, metavar="N", help="N synthetic frames of held-out photographs")
    p.add_argument("--sid-root", type=Path, default=None, help="dataset root for --sid (default: the list's folder)")
    p.add_argument("--ratio", type=float, default=None, help="ratio for --data frames (default: from names)")
    p.add_argument("--budget", action="append", metavar="[PRECISION=]LPIPS",
                   help="LPIPS drift budget, e.g. 0.005 for all or int8=0.02; repeatable")
    p.add_argument("--json", type=Path, default=None, metavar="FILE", help="write the full report as JSON")
    p.add_argument("--markdown", type=Path, default=None, metavar="FILE", help="write the report as Markdown")
    p.add_argument("--grids", type=Path, default=None, metavar="DIR",
                   help="write an image grid PNG per image and candidate (input, reference, candidate, "
                   "|difference|, LPIPS map)")
    add_backend(p, repeatable=True)
    add_lpips_options(p)
    add_runner_options(p)
    add_force(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from lowlight_edge.fileio.atomic import check_writable, write_text
    from lowlight_edge.metrics.drift import parse_budgets
    from lowlight_edge.metrics.drift_report import failure_reason, render_markdown, render_table
    from lowlight_edge.metrics.validate import validate

    budgets = parse_budgets(args.budget)
    for path in (args.json, args.markdown):
        if path:
            check_writable(path, args.force)  # fail before minutes of inference, not after
    with LazyBar(desc="validate", unit="image") as bar:
        report = validate(args.reference, args.candidate, backends=args.backend, data=args.data, sid=args.sid, sid_root=args.sid_root,
                          synthetic=args.synthetic, ratio=args.ratio, budgets=budgets, options=runner_options_from(args),
                          lpips_weights=args.lpips_weights, lpips_onnx=args.lpips_onnx, grids=args.grids,
                          on_image=lambda total: bar.update(total=total))
    print(render_table(report.models, skipped=report.skipped))
    if args.json:
        write_text(args.json, json.dumps(report.document(), indent=2) + "\n", args.force)
        say(f"wrote {args.json}")
    if args.markdown:
        write_text(args.markdown, render_markdown(report.models, report.images, report.skipped), args.force)
        say(f"wrote {args.markdown}")
    for model, reason in report.first_skips().items():
        say(f"skipped frames of {Path(model).name}: {reason}")
    for a in report.failed:
        say(f"FAIL {a['model']}: {failure_reason(a)}")
    say("validate: " + ("FAILED" if report.failed else "all candidates within budget"))
    return 1 if report.failed else 0
