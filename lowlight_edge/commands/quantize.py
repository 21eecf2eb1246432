"""`lowlight-edge quantize fp16|int8`: reduced-precision ONNX, decided in the graph (TensorRT 10 and 11 alike)."""

import argparse
from pathlib import Path

from lowlight_edge.commands.common import say
from lowlight_edge.commands.options import add_calibration_options, add_force
from lowlight_edge.engines.variants import int8_targets


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "quantize", help="make FP16 or INT8 (Q/DQ) ONNX variants of an FP32 ONNX model",
        description="Reduced precision decided in the ONNX graph, as TensorRT 11 requires (no builder flags, no "
        "calibrators) and TensorRT 10 accepts: FP16 = an FP16 ONNX with overflow-prone nodes kept in FP32; "
        "INT8 = explicit QuantizeLinear/DequantizeLinear nodes calibrated on packed, amplified RAW frames.",
    )
    kinds = p.add_subparsers(dest="precision", metavar="PRECISION", required=True)

    fp16 = kinds.add_parser("fp16", help="FP16 weights and compute, overflow-safe",
                            description="Convert to FP16, keeping in FP32 the nodes whose activations measured on "
                            "calibration frames exceed the FP16 range / --margin, and numerically fragile ops. "
                            "Inputs/outputs stay FP32 unless --fp16-io.")
    _common(fp16, default_out="model.fp16.onnx", calib_default="synthetic:8")
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
                            "selection frames (photographs used neither to calibrate nor to validate) is 40% below "
                            "the budget, a margin for the other scenes validation then measures it on.")
    _common(int8, default_out="model.int8.onnx", calib_default=None)
    int8.add_argument("--target", choices=int8_targets(), default=int8_targets()[0],
                      help=f"one of the variant table's INT8 targets (default {int8_targets()[0]})")
    int8.add_argument("--method", choices=("minmax", "percentile", "entropy"), default="percentile",
                      help="calibration method (default percentile: on the bundled model it halves minmax's drift)")
    int8.add_argument("--percentile", type=float, default=99.99, help="for --method percentile (default 99.99)")
    int8.add_argument("--exclude", action="append", default=[], metavar="NODE", help="keep this node in float")
    int8.add_argument("--weight-bits", type=int, choices=(8, 7), default=8,
                      help="7: weights in [-64, 64], for OpenVINO on x86 CPUs without VNNI, whose INT8 kernels saturate "
                      "full-range 8-bit weights of the tensorrt-target graph (measured: LPIPS drift 0.13 instead of "
                      "0.007); costs some accuracy everywhere (default 8)")
    int8.add_argument("--base", choices=("fp16", "fp32"), default="fp16",
                      help="--target tensorrt: the precision of the layers between the INT8 convolutions (default "
                      "fp16: INT8 over FP16, as TensorRT's strongly typed engines and Orin's DLA need; overflow-prone "
                      "and fragile nodes stay FP32, `check` lists them); fp32: every float layer in FP32")
    int8.add_argument("--lpips-budget", type=float, default=None, metavar="X",
                      help="keep the most sensitive layers in float until LPIPS drift <= 0.6 X on the selection frames")
    int8.add_argument("--holdout", type=int, default=2, metavar="N",
                      help="synthetic selection frames for --lpips-budget (default 2)")
    int8.add_argument("--calib-cache", type=Path, default=None, metavar="FILE",
                      help="calibration cache file (default: in the cache folder, keyed by model and data)")
    int8.add_argument("--lpips-weights", type=Path, default=None, help="LPIPS weight file for --lpips-budget")
    int8.add_argument("--keep-best-effort", action="store_true",
                      help="when --lpips-budget cannot be met, still write the model (every layer tried in float) and "
                      "its sensitivity files, and exit 1; without it such a run writes nothing")
    int8.set_defaults(handler=run_int8)


def _common(p: argparse.ArgumentParser, default_out: str, calib_default: str | None) -> None:
    p.add_argument("model", type=Path, help="FP32 ONNX model (from lowlight-edge export)")
    p.add_argument("-o", "--output", type=Path, default=None, help=f"output ONNX (default work/export/{default_out})")
    p.set_defaults(default_out=default_out)
    add_calibration_options(p, calib_default)
    add_force(p)


def _output(args: argparse.Namespace) -> Path:
    from lowlight_edge.fileio.workspace import export_dir

    return args.output or export_dir(args.default_out)


def run_fp16(args: argparse.Namespace) -> int:
    from lowlight_edge.quantize.jobs import quantize_fp16

    report = quantize_fp16(args.model, _output(args), args.calib, args.calib_shape, args.calib_count, args.margin,
                           args.fp16_io, args.force, log=say)
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
    from lowlight_edge.quantize.int8 import Int8Options
    from lowlight_edge.quantize.jobs import quantize_int8
    from lowlight_edge.quantize.sensitivity_report import sensitivity_summary, sensitivity_table

    options = Int8Options(target=args.target, method=args.method, percentile=args.percentile,
                          exclude=list(args.exclude), weight_bits=args.weight_bits, base=args.base)
    done = quantize_int8(args.model, _output(args), args.calib, args.calib_shape, args.calib_count, options,
                         args.lpips_budget, args.holdout, args.calib_cache, args.lpips_weights, args.force,
                         keep_best_effort=args.keep_best_effort, log=say)
    report, sensitivity = done.report, done.sensitivity
    say(f"calibration ranges {'reused from' if done.cache_hit else 'saved to'} {done.cache}")
    kept = sensitivity is None or sensitivity.met or args.keep_best_effort
    say(f"{'wrote' if kept else 'quantized (not written)'} {report.output}: {len(report.quantized_nodes)} nodes run in "
        f"INT8, {report.convolutions} of them Conv/ConvTranspose ({args.target} target, {args.method}); "
        f"{len(report.excluded_nodes)} kept in float")
    if sensitivity is not None:
        print(sensitivity_table(report, sensitivity))
        say(sensitivity_summary(report, sensitivity))
        if done.sensitivity_files:
            say(f"wrote {done.sensitivity_files[0]} and {done.sensitivity_files[1]}")
        if not sensitivity.met:
            say(f"lowlight-edge: error: LPIPS drift {sensitivity.final_drift:.4f} still above {sensitivity.target:.4g} "
                f"(budget {sensitivity.budget} less the selection margin) with every layer tried in float"
                + ("" if kept else "; nothing was written (--keep-best-effort keeps the model)"))
            return 1
    return 0
