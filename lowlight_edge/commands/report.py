"""`lowlight-edge report`: merge benchmark results from several devices into one Markdown table."""

import argparse
from pathlib import Path

from lowlight_edge.commands.common import say
from lowlight_edge.commands.options import add_force


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "report", help="merge benchmark JSON files from several devices into one Markdown table",
        description="Merge `lowlight-edge bench --json` results (e.g. from an Orin, an Orin Nano and a desktop GPU) "
        "into one Markdown table: one row per model, precision, backend, mode and shape, one column per device.",
    )
    p.add_argument("results", nargs="+", type=Path, metavar="RESULT.json", help="benchmark result files")
    p.add_argument("-o", "--output", type=Path, default=None, help="Markdown file to write (default: print)")
    add_force(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from lowlight_edge.bench.report import merge
    from lowlight_edge.fileio.atomic import write_text

    text = merge(args.results)
    if args.output:
        write_text(args.output, text, args.force)
        say(f"wrote {args.output}")
    else:
        print(text)
    return 0
