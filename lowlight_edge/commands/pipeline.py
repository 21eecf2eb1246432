"""`lowlight-edge pipeline`: wrap a network graph into a pipeline graph (RAW mosaic in, pixels out)."""

import argparse
from pathlib import Path

from lowlight_edge.commands.common import say
from lowlight_edge.commands.options import add_force
from lowlight_edge.onnxgraph.pipeline_io import TARGETS


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "pipeline", help="wrap an ONNX network as a whole-frame pipeline graph (RAW mosaic in, pixels out)",
        description="Wrap an exported or quantized network graph (FP32, FP16 or INT8) so that everything between "
        "decoding the RAW file and encoding the PNG runs inside the model, on the device: the Bayer mosaic goes in "
        "as its bytes (uint8 [H, 2W], exact for 16-bit values) with the black levels, white level, ratio and CFA "
        "phase as inputs (one graph serves every camera and exposure); packing, normalisation, padding, the "
        "network, cropping, clipping and rounding run in FP32 around the network; pixels come out as uint8 "
        "[H, W, 3] (or 16-bit as byte pairs). TensorRT, ONNX Runtime and OpenVINO run it; build an engine from it "
        "with `lowlight-edge build`. With --target cpu the nodes around the network take a form that only ONNX "
        "Runtime and OpenVINO run, in a third (ONNX Runtime) to a half (OpenVINO) of the time on a CPU. Quantize "
        "the network first: quantize refuses a pipeline graph. Nothing is written unless the graph gives the host "
        "path's pixels within 1 LSB on every CFA phase.",
    )
    p.add_argument("model", type=Path, help="the network ONNX to wrap (e.g. work/export/model.int8.onnx)")
    p.add_argument("-o", "--output", type=Path, default=None,
                   help="pipeline ONNX to write (default: beside the model, NAME.pipeline.onnx)")
    p.add_argument("--bits", type=int, choices=(8, 16), default=8, help="output bit depth (default 8)")
    p.add_argument("--target", choices=TARGETS, default=None,
                   help="tensorrt: nodes every runtime takes, TensorRT included; cpu: fewer passes over memory for "
                   "ONNX Runtime and OpenVINO only (a strided Conv packs the mosaic, QuantizeLinear makes the 8-bit "
                   "pixels), which TensorRT cannot parse (default: cpu for an INT8 graph quantized with --target "
                   "cpu, else tensorrt)"),
    add_force(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from lowlight_edge.export.pipeline import wrap_pipeline

    output = args.output or args.model.with_name(args.model.name.removesuffix(".onnx") + ".pipeline.onnx")
    report = wrap_pipeline(args.model, output, bits=args.bits, target=args.target, force=args.force, log=say)
    colour = "; takes the file's gains and colour matrix too" if report.convention == "neutral" else ""
    say(f"wrote {report.output} ({report.bits}-bit pixels out, for {report.target} runtimes{colour}; max "
        f"{report.max_lsb} "
        f"LSB from the host path over {report.frames} frames)")
    return 0
