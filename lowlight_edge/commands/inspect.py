"""`lowlight-edge inspect`: what the RAW reader sees in a file (for "why is my output green")."""

import argparse
import json
from pathlib import Path

from lowlight_edge.commands.common import printable, say


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "inspect", help="show what the RAW reader sees in a file",
        description="Show camera, CFA pattern and the packing applied, black and white levels, raw, visible "
        "and packed sizes, exposure, ISO and orientation, the ratio enhance would use, the file's colour metadata "
        "(as-shot white-balance gains and the camera -> linear sRGB matrix, with where each came from: DNG tags or "
        "LibRaw) and the mean of each packed channel (R, G1, B, G2) after normalisation at ratio 1, as recorded and "
        "as a neutral model sees it.",
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
        # values come from the file (Make, Model, a name): escaped, so they cannot forge lines or drive the terminal
        print(f"{key:<{width}}  {json.dumps(value) if isinstance(value, (dict, list)) else printable(str(value))}")
    if info["ratio"] is None:
        say("note: no ratio could be determined; enhance will need --ratio")
    colour = info["colour"]
    if "error" in colour:
        say(f"note: unusable colour metadata: {colour['error']} (neutral models refuse this file unless "
            "--allow-bad-colour)")
    elif colour["gains_source"] == colour["matrix_source"]:  # the identity: no colour metadata at all
        say(f"note: {colour['gains_source']}")
    return 0
