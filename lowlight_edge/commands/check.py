"""`lowlight-edge check`: what TensorRT would reject or run slowly in an ONNX model, before any device."""

import argparse
import json
from dataclasses import asdict
from pathlib import Path

from lowlight_edge.bench.shapes import parse_shape
from lowlight_edge.commands.common import arg_type, say
from lowlight_edge.fileio.terminal import safe_table


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "check", help="static TensorRT-readiness check of an ONNX model",
        description="Check an ONNX model for what TensorRT 10.3+/11 would reject or run slowly: asymmetric or "
        "non-INT8 Q/DQ, wrong per-channel weight axis, Q/DQ that cannot fuse, ops and opsets the TensorRT ONNX "
        "parser does not take, dynamic dimensions an optimization profile cannot cover, and (with --calib) FP16 "
        "tensors whose measured range overflows. Exit code 1 when there are errors.",
    )
    p.add_argument("model", type=Path, help="ONNX model")
    p.add_argument("--target", choices=("tensorrt",), default="tensorrt", help="default tensorrt")
    p.add_argument("--calib", default=None, metavar="SOURCE",
                   help="measure FP16 tensor ranges on these frames (as for quantize)")
    p.add_argument("--calib-shape", type=arg_type(parse_shape), default=(256, 256), metavar="HxW")
    p.add_argument("--json", action="store_true", help="print findings as JSON")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:

    from lowlight_edge.engines.trt.check import check_onnx

    result = check_onnx(args.model, args.calib, args.calib_shape)
    if args.json:
        print(json.dumps({"model": str(args.model), "errors": len(result.errors),
                          "findings": [asdict(f) for f in result.findings]}, indent=2))
    elif result.findings:
        print(safe_table(_condensed(result.findings), headers=["severity", "check", "node", "finding"]))
    say(f"check --target tensorrt: {len(result.errors)} errors, {len(result.warnings)} warnings in {args.model}"
        + ("" if result.errors else ": ready for a strongly typed TensorRT build"))
    return 1 if result.errors else 0


def _condensed(findings, shown: int = 3) -> list[list[str]]:
    """At most `shown` rows per check; the rest are counted (--json lists every one)."""
    rows, seen = [], {}
    for f in findings:
        seen[f.code] = seen.get(f.code, 0) + 1
        if seen[f.code] <= shown:
            rows.append([f.severity, f.code, f.node, f.message])
    for code, count in seen.items():
        if count > shown:
            rows.append(["", code, "", f"... and {count - shown} more like these (--json lists all)"])
    return rows
