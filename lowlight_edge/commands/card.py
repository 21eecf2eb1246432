"""`lowlight-edge card`: a trained checkpoint's model card and grid, re-measured, optionally beside an earlier model."""

import argparse
from pathlib import Path

from lowlight_edge.commands.common import say
from lowlight_edge.commands.options import add_force


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "card", help="write a checkpoint's model card and held-out grid, optionally before and after",
        description="Run a trained checkpoint on the held-out frames (the photographs no training, calibration or "
        "fallback choice ever sees, through the project's sensor model, seeded) and write its Markdown model card "
        "and PNG grid with PSNR/SSIM/LPIPS against the truth and against the naive pipeline; the recipe comes from "
        "the training report `train` wrote. With --before, an earlier checkpoint (e.g. the model this one replaces) "
        "runs on the same frames: the card gets a before-and-after table and the grid a column for it. `train "
        "--before` does the same at the end of a training run.",
    )
    p.add_argument("checkpoint", type=Path, help="the trained checkpoint (*.safetensors)")
    p.add_argument("--report", type=Path, default=None,
                   help="its training report (default: the checkpoint's name with .json)")
    p.add_argument("-o", "--output", type=Path, default=None,
                   help="card to write (default: the checkpoint's name with .md); the grid goes beside it as .png")
    p.add_argument("--before", type=Path, default=None, metavar="CHECKPOINT", help="an earlier checkpoint to compare")
    p.add_argument("--before-label", default=None, metavar="TEXT",
                   help="how the card names the earlier checkpoint (default: its path)")
    p.add_argument("--note", default=None, metavar="TEXT", help="a closing paragraph, e.g. why this recipe")
    p.add_argument("--lpips-weights", type=Path, default=None, metavar="FILE",
                   help="LPIPS weight file (default: the cache; `lowlight-edge weights fetch`)")
    add_force(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from lowlight_edge.train.card import card_for_checkpoint

    card = args.output or args.checkpoint.with_suffix(".md")
    grid = card_for_checkpoint(args.checkpoint, args.report or args.checkpoint.with_suffix(".json"), card,
                               before=args.before, before_label=args.before_label, note=args.note,
                               lpips_weights=args.lpips_weights, force=args.force, log=say)
    say(f"wrote {card} and {grid}")
    return 0
