"""`lowlight-edge inspect`: what the RAW reader sees in a file (for "why is my output green")."""

import argparse
import json
from pathlib import Path

from lowlight_edge.commands.common import say


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "inspect", help="show what the RAW reader sees in a file",
        description="Show camera, CFA pattern and the packing applied, black and white levels, raw, visible "
        "and packed sizes, the ratio enhance would use, and the mean of each packed channel (R, G1, B, G2) "
        "after normalisation at ratio 1.",
    )
    p.add_argument("file", type=Path, help="a RAW file")
    p.add_argument("--ratio", type=float, default=None, help="as for enhance")
    p.add_argument("--reference-exposure", type=float, default=None, metavar="SECONDS", help="as for enhance")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from lowlight_edge.raw.inspect import describe

    info = describe(args.file, args.ratio, args.reference_exposure)
    if args.json:
        print(json.dumps(info, indent=2))
        return 0
    width = max(len(k) for k in info)
    for key, value in info.items():
        print(f"{key:<{width}}  {json.dumps(value) if isinstance(value, (dict, list)) else value}")
    if info["ratio"] is None:
        say("note: no ratio could be determined; enhance will need --ratio")
    return 0
