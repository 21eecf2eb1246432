"""`lowlight-edge synth`: write synthetic low-light DNG frames (with ground truth) from photographs."""

import argparse
from pathlib import Path

from lowlight_edge.commands.common import say
from lowlight_edge.commands.options import add_force


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "synth", help="write synthetic low-light DNG frames with ground truth",
        description="Simulate short exposures with the project's sensor model (Poisson-Gaussian noise, Sony "
        "a7S II-like levels, 14 bits) and write them as DNG files that any raw converter opens, with the "
        "clean image beside each as a 16-bit PNG. Sources: PNG files you give, or scikit-image's sample "
        "photographs that were held out of the bundled model's training (chelsea, coffee).",
    )
    p.add_argument("-o", "--output", type=Path, required=True, metavar="OUTDIR", help="folder for the frames")
    p.add_argument("images", nargs="*", type=Path, metavar="PNG", help="clean sRGB images (default: held-out samples)")
    p.add_argument("--iso", type=float, default=3200.0, help="sensor ISO (default 3200)")
    p.add_argument("--ratio", type=float, action="append", default=None,
                   help="exposure ratio(s), cycled over the frames (default 100, 250, 300)")
    p.add_argument("--seed", type=int, default=0, help="noise seed (default 0)")
    add_force(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from lowlight_edge.raw.synth_frames import synthesize

    frames = synthesize(args.output, args.images, args.iso, tuple(args.ratio or (100.0, 250.0, 300.0)), args.seed,
                        args.force)
    for f in frames:
        say(f"wrote {f.dng} ({f.phase}, ratio {f.ratio:g}, ISO {f.iso:g}) and ground truth {f.truth.name}")
    return 0
