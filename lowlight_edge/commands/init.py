"""`lowlight-edge init`: a seeded, untrained generator checkpoint, to try a device pipeline early."""

import argparse
from pathlib import Path

from lowlight_edge.commands.common import say
from lowlight_edge.commands.options import add_force
from lowlight_edge.model.config import PRESETS, GeneratorConfig, parse_width
from lowlight_edge.raw.colour import CONVENTIONS


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "init", help="write a seeded, untrained generator checkpoint",
        description="Write a seeded, untrained Attention U-Net generator as safetensors (weights plus the "
        "architecture config in its metadata). Useful to try export, benchmarks and device builds before a "
        "model is trained: latency is real, images are not.",
    )
    p.add_argument("-o", "--output", type=Path, required=True, help="checkpoint to write (*.safetensors)")
    p.add_argument("--width", default="default", help=f"base width: an integer or a preset {PRESETS} (default: default)")
    p.add_argument("--depth", type=int, default=4, help="number of poolings (default 4: inputs in multiples of 16)")
    p.add_argument("--no-attention", action="store_true", help="plain U-Net skips (no attention gates)")
    p.add_argument("--input-convention", choices=CONVENTIONS, default="neutral",
                   help="what the network will take: neutral (each file white-balanced and in sRGB primaries, as the "
                   "bundled model; its pipeline graphs take the file's colour too) or camera (the raw as recorded, "
                   "as SID trains) (default neutral)")
    p.add_argument("--seed", type=int, default=0, help="random seed for the initial weights (default 0)")
    add_force(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from lowlight_edge.model.untrained import write_untrained

    config = GeneratorConfig(width=parse_width(args.width), depth=args.depth, attention=not args.no_attention,
                             input_convention=args.input_convention)
    done = write_untrained(args.output, config, args.seed, args.force)
    say(f"wrote {done.path}: untrained generator, width {config.width}, depth {config.depth}, "
        f"{done.parameters / 1e6:.2f} M parameters, {config.input_convention} input, seed {args.seed}")
    return 0
