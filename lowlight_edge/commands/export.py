"""`lowlight-edge export`: checkpoint -> FP32 ONNX, parity-checked against PyTorch."""

import argparse
from pathlib import Path

from lowlight_edge.commands.common import say
from lowlight_edge.commands.options import add_force
from lowlight_edge.export.defaults import DEFAULT_TOLERANCE, MIN_OPSET


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "export", help="export a checkpoint to ONNX (parity-checked)",
        description="Export a generator checkpoint (.safetensors, or a weights-only .pt/.pth) to ONNX with "
        "dynamic batch, height and width. The graph must pass onnx.checker and reproduce PyTorch within "
        "--tolerance (max abs diff) on two input shapes under ONNX Runtime, or nothing is written.",
    )
    p.add_argument("checkpoint", type=Path, help="generator checkpoint")
    p.add_argument("-o", "--output", type=Path, default=None,
                   help="ONNX file to write (default: work/export/model.fp32.onnx)")
    p.add_argument("--opset", type=int, default=MIN_OPSET, help=f"ONNX opset, >= {MIN_OPSET} (default {MIN_OPSET})")
    p.add_argument("--no-simplify", dest="simplify", action="store_false",
                   help="skip onnxslim graph simplification (it is kept only when it preserves parity)")
    p.add_argument("--tolerance", type=float, default=DEFAULT_TOLERANCE,
                   help=f"parity gate: max abs diff against PyTorch (default {DEFAULT_TOLERANCE:g})")
    add_force(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from lowlight_edge.export.onnx_export import export_onnx
    from lowlight_edge.fileio.workspace import export_dir

    report = export_onnx(args.checkpoint, args.output or export_dir("model.fp32.onnx"), opset=args.opset, simplify=args.simplify,
                         tolerance=args.tolerance, force=args.force, log=say)
    worst = max(report.parity, key=lambda r: r.max_abs_diff)
    say(f"wrote {report.output} (opset {report.opset}, {'simplified' if report.simplified else 'unsimplified'}; "
        f"parity max|diff| {worst.max_abs_diff:.2e}, worst PSNR {min(r.psnr_db for r in report.parity):.1f} dB)")
    return 0
