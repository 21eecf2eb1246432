"""`lowlight-edge quantize fp16|int8`: reduced-precision ONNX, decided in the graph (TensorRT 10 and 11 alike)."""

import argparse
import json
from pathlib import Path

from lowlight_edge.bench.shapes import parse_shape
from lowlight_edge.commands.common import add_force, arg_type, say

CALIB_HELP = ("calibration frames: a folder of RAW files, a folder of .npy packed frames, a SID list (.txt) or "
              "synthetic:N (N frames of the training photographs; never the held-out ones)")


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "quantize", help="make FP16 or INT8 (Q/DQ) ONNX variants of an FP32 ONNX model",
        description="Reduced precision decided in the ONNX graph, as TensorRT 11 requires (no builder flags, no "
        "calibrators) and TensorRT 10 accepts: FP16 = an FP16 ONNX with overflow-prone nodes kept in FP32; "
        "INT8 = explicit QuantizeLinear/DequantizeLinear nodes calibrated on packed, amplified RAW frames.",
    )
    kinds = p.add_subparsers(dest="precision", metavar="PRECISION", required=True)

    fp16 = kinds.add_parser("fp16", help="FP16 weights and compute, overflow-safe",
                            description="Convert to FP16 with onnxconverter-common, keeping in FP32 the nodes whose "
                            "activations measured on calibration frames exceed the FP16 range / --margin, and "
                            "numerically fragile ops. Inputs/outputs stay FP32 unless --fp16-io.")
    _common(fp16, default_out="export/model.fp16.onnx", calib_default="synthetic:8")
    fp16.add_argument("--margin", type=float, default=4.0, help="keep nodes in FP32 above 65504 / MARGIN (default 4)")
    fp16.add_argument("--fp16-io", action="store_true", help="FP16 inputs and outputs too")
    fp16.set_defaults(handler=run_fp16)

    int8 = kinds.add_parser("int8", help="INT8 explicit Q/DQ, calibrated on RAW frames",
                            description="Post-training quantization with explicit Q/DQ nodes (onnxruntime.quantization, "
                            "QDQ format, weights INT8 symmetric per output channel). --target tensorrt: symmetric "
                            "INT8 activations (zero point 0), Q/DQ on Conv/ConvTranspose inputs and weights only; "
                            "--target cpu: U8 activations, S8 weights, what ONNX Runtime's CPU kernels run fastest. "
                            "Calibration ranges are cached and reused for the same model and data. With "
                            "--lpips-budget, the most sensitive layers are kept in float until the LPIPS drift on "
                            "held-out frames is within budget.")
    _common(int8, default_out="export/model.int8.onnx", calib_default=None)
    int8.add_argument("--target", choices=("tensorrt", "cpu"), default="tensorrt", help="default tensorrt")
    int8.add_argument("--method", choices=("minmax", "percentile", "entropy"), default="percentile",
                      help="calibration method (default percentile: on the bundled model it halves minmax's drift)")
    int8.add_argument("--percentile", type=float, default=99.99, help="for --method percentile (default 99.99)")
    int8.add_argument("--exclude", action="append", default=[], metavar="NODE", help="keep this node in float")
    int8.add_argument("--lpips-budget", type=float, default=None, metavar="X",
                      help="keep the most sensitive layers in float until LPIPS drift <= X on held-out frames")
    int8.add_argument("--holdout", type=int, default=2, metavar="N",
                      help="held-out synthetic frames for --lpips-budget (default 2)")
    int8.add_argument("--calib-cache", type=Path, default=None, metavar="FILE",
                      help="calibration cache file (default: in the cache folder, keyed by model and data)")
    int8.add_argument("--lpips-weights", type=Path, default=None, help="LPIPS weight file for --lpips-budget")
    int8.set_defaults(handler=run_int8)


def _common(p: argparse.ArgumentParser, default_out: str, calib_default: str | None) -> None:
    p.add_argument("model", type=Path, help="FP32 ONNX model (from lowlight-edge export)")
    p.add_argument("-o", "--output", type=Path, default=Path(default_out), help=f"output ONNX (default {default_out})")
    p.add_argument("--calib", default=calib_default, required=calib_default is None, metavar="SOURCE",
                   help=CALIB_HELP + (f" (default {calib_default})" if calib_default else ""))
    p.add_argument("--calib-shape", type=arg_type(parse_shape), default=(256, 256), metavar="HxW",
                   help="packed size calibration frames are cropped or padded to (default 256x256)")
    p.add_argument("--calib-count", type=int, default=16, metavar="N", help="use at most N frames (default 16)")
    add_force(p)


def _batches(args):
    from lowlight_edge.onnxgraph.files import check_packed_input, validate_onnx_file
    from lowlight_edge.raw.calibration_frames import calibration_batches

    check_packed_input(validate_onnx_file(args.model), args.model)
    batches = calibration_batches(args.calib, args.calib_shape, limit=args.calib_count)
    say(f"calibration: {len(batches)} frames from {args.calib} at {args.calib_shape[0]}x{args.calib_shape[1]}")
    return batches


def run_fp16(args: argparse.Namespace) -> int:
    from lowlight_edge.fileio.atomic import check_writable
    from lowlight_edge.quantize.fp16 import fp16_from_onnx

    check_writable(args.output, args.force)
    report = fp16_from_onnx(args.model, args.output, _batches(args), margin=args.margin, fp16_io=args.fp16_io,
                            force=args.force)
    say(f"peak activation on calibration frames: {report.peak_activation:.4g} (FP16 max 65504)")
    if report.kept_fp32:
        for node, reason in sorted(report.kept_fp32.items()):
            say(f"  kept in FP32: {node}: {reason}")
    else:
        say("  every node runs in FP16 (no activation near the FP16 limit, no fragile op)")
    say(f"wrote {report.output} (vs FP32 on a calibration frame: max|diff| {report.max_abs_diff:.2e}, "
        f"PSNR {report.psnr_db:.1f} dB)")
    return 0


def run_int8(args: argparse.Namespace) -> int:
    from lowlight_edge.fileio.atomic import check_writable
    from lowlight_edge.quantize.int8 import Int8Options
    from lowlight_edge.quantize.sensitivity import default_cache, int8_within_budget

    check_writable(args.output, args.force)
    batches = _batches(args)
    options = Int8Options(target=args.target, method=args.method, percentile=args.percentile,
                          exclude=list(args.exclude))
    cache = args.calib_cache or default_cache(args.model, str(args.calib), args.calib_shape, len(batches), options)
    done = int8_within_budget(args.model, args.output, batches, options, cache, args.lpips_budget, args.holdout,
                              args.lpips_weights, force=args.force, on_step=say)
    report, sensitivity = done.report, done.sensitivity
    say(f"calibration ranges {'reused from' if done.cache_hit else 'saved to'} {cache}")
    say(f"wrote {report.output}: {len(report.quantized_nodes)} nodes run in INT8, {report.convolutions} of them "
        f"Conv/ConvTranspose "
        f"({args.target} target, {args.method}); {len(report.excluded_nodes)} kept in float")
    if sensitivity is not None:
        _write_sensitivity(args, report, sensitivity)
        if not sensitivity.met:
            say(f"lowlight-edge: error: LPIPS drift {sensitivity.final_drift:.4f} still above budget "
                f"{sensitivity.budget} with every layer tried in float")
            return 1
    return 0


def _write_sensitivity(args, report, result) -> None:
    from tabulate import tabulate

    from lowlight_edge.fileio.atomic import write_text
    from lowlight_edge.quantize.sensitivity import module_of

    kept = set(report.excluded_nodes)
    nodes = sorted(set(report.quantized_nodes) | kept, key=lambda n: -result.sensitivity.get(n, 0.0))
    rows = [[n, module_of(n), f"{result.sensitivity[n]:.5f}" if n in result.sensitivity else "-",
             "float" if n in kept else "int8"] for n in nodes]
    table = tabulate(rows, headers=["ONNX node", "PyTorch module", "LPIPS drift quantized alone", "precision"],
                     tablefmt="github", disable_numparse=True)
    print(table)
    summary = (f"LPIPS drift: fully INT8 {result.full_drift:.4f}, final {result.final_drift:.4f}, budget "
               f"{result.budget} ({'met' if result.met else 'NOT met'}); {len(kept)} layers kept in float")
    say(summary)
    path = args.output.with_suffix(".sensitivity.json")
    write_text(path, json.dumps({"budget": result.budget, "full_drift": result.full_drift,
                                 "final_drift": result.final_drift, "met": result.met,
                                 "layers": [dict(zip(["node", "module", "sensitivity", "precision"], r)) for r in rows]},
                                indent=2) + "\n", force=True)
    write_text(args.output.with_suffix(".sensitivity.md"), f"# INT8 sensitivity\n\n{summary}\n\n{table}\n", force=True)
    say(f"wrote {path} and {args.output.with_suffix('.sensitivity.md')}")
