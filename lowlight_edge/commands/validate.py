"""`lowlight-edge validate`: accuracy drift of candidate models against a reference, with budgets."""

import argparse
import json
import math
from pathlib import Path

from lowlight_edge.commands.common import add_force, add_runner_options, runner_options, say
from lowlight_edge.commands.metrics import add_lpips_options


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "validate", help="LPIPS/PSNR/SSIM drift of candidates against a reference model, with budgets",
        description="Run the reference and every candidate model (checkpoint or ONNX) on the same frames, with "
        "the same pre- and post-processing, and report per image and aggregated (mean, max): LPIPS, PSNR and "
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
    add_lpips_options(p)
    add_runner_options(p)
    add_force(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from contextlib import ExitStack

    from tqdm import tqdm

    from lowlight_edge.bench import environment
    from lowlight_edge.engines import open_runner
    from lowlight_edge.fileio.atomic import check_writable, write_text
    from lowlight_edge.metrics.drift import parse_budgets, run_drift
    from lowlight_edge.metrics.lpips_backend import load_lpips
    from lowlight_edge.raw import datasets

    budgets = parse_budgets(args.budget)
    for path in (args.json, args.markdown):
        if path:
            check_writable(path, args.force)
    lpips = load_lpips(args.lpips_weights, args.lpips_onnx)
    if args.data:
        samples, total = datasets.folder_samples(args.data, args.ratio), len(datasets.raw_files_in(args.data))
    elif args.sid:
        from lowlight_edge.raw.sid import parse_sid_list

        samples, total = datasets.sid_samples(args.sid, args.sid_root), len(parse_sid_list(args.sid, args.sid_root))
    else:
        samples, total = datasets.synthetic_samples(args.synthetic), args.synthetic
    with ExitStack() as stack:
        options = runner_options(args)
        reference = stack.enter_context(open_runner(args.reference, options=options))
        candidates = [stack.enter_context(open_runner(c, options=options)) for c in args.candidate]
        with tqdm(total=total, desc="validate", unit="image") as bar:
            summaries, rows = run_drift(reference, candidates, samples, lpips, budgets, args.grids, bar.update)
    aggregates = [s.aggregate() for s in summaries]
    print(render_table(aggregates))
    failed = [a for a in aggregates if a["passed"] is False]
    report = {"schema": "lowlight-edge.validate/1", "budgets": budgets, "lpips_backend": lpips.backend,
              "models": aggregates, "images": rows, "environment": environment.capture()}
    if args.json:
        write_text(args.json, json.dumps(json_safe(report), indent=2) + "\n", args.force)
        say(f"wrote {args.json}")
    if args.markdown:
        write_text(args.markdown, render_markdown(aggregates, rows), args.force)
        say(f"wrote {args.markdown}")
    for a in failed:
        reason = (f"{a['non_finite_outputs']} non-finite outputs" if a["non_finite_outputs"]
                  else f"mean LPIPS drift {a['lpips_drift']['mean']:.4f} > budget {a['budget']}")
        say(f"FAIL {a['model']}: {reason}")
    say("validate: " + ("FAILED" if failed else "all candidates within budget"))
    return 1 if failed else 0


def _fmt(value, digits: int = 4) -> str:
    if value is None:
        return "-"
    if isinstance(value, float) and math.isinf(value):
        return "inf"
    return f"{value:.{digits}f}"


def drift_table_rows(aggregates: list[dict]) -> tuple[list[str], list[list[str]]]:
    headers = ["model", "role", "precision", "images", "non-finite", "LPIPS drift mean", "LPIPS drift max",
               "PSNR vs ref", "SSIM vs ref", "LPIPS vs GT", "PSNR vs GT", "SSIM vs GT", "budget", "result"]
    rows = []
    for a in aggregates:
        verdict = "-" if a["role"] == "reference" and a["passed"] else ("pass" if a["passed"] else "FAIL")
        rows.append([Path(a["model"]).name, a["role"], a["precision"], str(a["images"]), str(a["non_finite_outputs"]),
                     _fmt(a["lpips_drift"]["mean"]), _fmt(a["lpips_drift"]["max"]), _fmt(a["psnr_vs_ref"]["mean"], 2),
                     _fmt(a["ssim_vs_ref"]["mean"]), _fmt(a["lpips_vs_gt"]["mean"]), _fmt(a["psnr_vs_gt"]["mean"], 2),
                     _fmt(a["ssim_vs_gt"]["mean"]), _fmt(a["budget"]), verdict])
    return headers, rows


def render_table(aggregates: list[dict]) -> str:
    from tabulate import tabulate

    headers, rows = drift_table_rows(aggregates)
    return tabulate(rows, headers=headers, disable_numparse=True)


def render_markdown(aggregates: list[dict], images: list[dict]) -> str:
    from tabulate import tabulate

    headers, rows = drift_table_rows(aggregates)
    per_image = [[r["image"], Path(r["model"]).name, r["role"], _fmt(r.get("lpips_drift")), _fmt(r.get("psnr_vs_ref"), 2),
                  _fmt(r.get("lpips_vs_gt")), _fmt(r.get("psnr_vs_gt"), 2), "yes" if r["finite"] else "NO"]
                 for r in images]
    return ("# Validation report\n\n" + tabulate(rows, headers=headers, tablefmt="github", disable_numparse=True)
            + "\n\n## Per image\n\n"
            + tabulate(per_image, headers=["image", "model", "role", "LPIPS drift", "PSNR vs ref", "LPIPS vs GT",
                                           "PSNR vs GT", "finite"], tablefmt="github", disable_numparse=True) + "\n")


def json_safe(obj):
    """JSON has no infinity: an infinite PSNR (identical images) is written as null."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: json_safe(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [json_safe(v) for v in obj]
    return obj
