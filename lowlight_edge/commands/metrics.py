"""`lowlight-edge metrics`: LPIPS, PSNR and SSIM between two images."""

import argparse
import json
from pathlib import Path


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


def add_lpips_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--lpips-weights", type=Path, default=None,
                   help="LPIPS weight file (default: $LOWLIGHT_EDGE_LPIPS_WEIGHTS, torch hub, then the cache)")
    p.add_argument("--lpips-onnx", type=Path, default=None,
                   help="compute LPIPS with this ONNX export of the metric (no PyTorch needed)")


def run(args: argparse.Namespace) -> int:
    from lowlight_edge.errors import InputError
    from lowlight_edge.fileio.png import read_png
    from lowlight_edge.metrics.lpips_backend import load_lpips
    from lowlight_edge.metrics.quality import psnr, ssim

    a, b = read_png(args.a), read_png(args.b)
    if a.shape != b.shape:
        raise InputError(f"{args.a} is {a.shape[1]}x{a.shape[0]} but {args.b} is {b.shape[1]}x{b.shape[0]}; "
                         "sizes must match")
    lpips = load_lpips(args.lpips_weights, args.lpips_onnx)
    distance, _ = lpips(a, b)
    result = {"a": str(args.a), "b": str(args.b), "lpips": distance, "psnr_db": psnr(a, b), "ssim": ssim(a, b),
              "lpips_backend": lpips.backend}
    if args.json:
        print(json.dumps({k: (None if isinstance(v, float) and v == float("inf") else v) for k, v in result.items()}))
    else:
        print(f"LPIPS {distance:.4f}   PSNR {result['psnr_db']:.2f} dB   SSIM {result['ssim']:.4f}")
    return 0
