"""`lowlight-edge metrics`: LPIPS, PSNR and SSIM between two images."""

import argparse
import json
from pathlib import Path

from lowlight_edge.commands.options import add_lpips_options


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "metrics", help="LPIPS, PSNR and SSIM between two PNG images",
        description="Compare two 8- or 16-bit PNG images of the same size: LPIPS (AlexNet, v0.1, full "
        "resolution), PSNR and SSIM (scikit-image, data range 1, RGB). A is the reference.",
    )
    p.add_argument("a", type=Path, metavar="A.png", help="reference image")
    p.add_argument("b", type=Path, metavar="B.png", help="image to compare")
    p.add_argument("--json", action="store_true", help="print JSON")
    add_lpips_options(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from lowlight_edge.fileio.json_safe import json_safe
    from lowlight_edge.metrics.catalog import METRICS
    from lowlight_edge.metrics.compare import compare_images

    result = compare_images(args.a, args.b, args.lpips_weights, args.lpips_onnx)
    if args.json:
        print(json.dumps(json_safe({("psnr_db" if k == "psnr" else k): v for k, v in result.items()})))
    else:
        units = {"psnr": " dB"}
        print("   ".join(f"{m.label} {result[m.name]:.{max(m.digits, 2)}f}{units.get(m.name, '')}" for m in METRICS))
    return 0
