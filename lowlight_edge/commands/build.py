"""`lowlight-edge build`: a strongly typed TensorRT engine from an (FP32, FP16 or INT8 Q/DQ) ONNX model."""

import argparse
from pathlib import Path

from lowlight_edge.commands.common import arg_type, say
from lowlight_edge.commands.options import add_force


def register(subparsers) -> None:
    from lowlight_edge.engines.trt.profiles import DEFAULT_MAX, DEFAULT_MIN, DEFAULT_OPT, parse_profile_shape

    fmt = lambda s: "x".join(map(str, s))  # noqa: E731 - local shorthand
    p = subparsers.add_parser(
        "build", help="build a TensorRT engine (TensorRT 10.3+ / 11.x, strongly typed)",
        description="Parse the ONNX into a strongly typed TensorRT network - the precision comes from the ONNX "
        "(fp32, fp16, or int8 Q/DQ from lowlight-edge quantize), never from builder flags, as TensorRT 11 "
        "requires - with one optimization profile, and write the plan plus a metadata JSON beside it (TensorRT "
        "version, GPU and compute capability, driver, CUDA, precision, the ONNX's sha256, profile, flags). "
        "Loading checks that metadata first. The equivalent trtexec command is printed.",
    )
    p.add_argument("model", type=Path, help="ONNX model")
    p.add_argument("-o", "--output", type=Path, default=None,
                   help="engine to write (default: work/engines/<host>/MODEL.engine, for MODEL.onnx)")
    p.add_argument("--min-shape", type=arg_type(parse_profile_shape), default=DEFAULT_MIN, metavar="SHAPE",
                   help=f"smallest packed input, HxW or NxCxHxW (default {fmt(DEFAULT_MIN)}: a 512x512 tile)")
    p.add_argument("--opt-shape", type=arg_type(parse_profile_shape), default=DEFAULT_OPT, metavar="SHAPE",
                   help=f"the shape TensorRT tunes for (default {fmt(DEFAULT_OPT)}: Sony full frame)")
    p.add_argument("--max-shape", type=arg_type(parse_profile_shape), default=DEFAULT_MAX, metavar="SHAPE",
                   help=f"largest packed input (default {fmt(DEFAULT_MAX)})")
    p.add_argument("--workspace", type=int, default=2048, metavar="MIB",
                   help="builder workspace in MiB (default 2048, sized for an 8 GB Jetson; lower it if the build "
                   "runs out of memory)")
    p.add_argument("--timing-cache", type=Path, default=None, metavar="FILE",
                   help="timing cache reused across builds (default: beside the engine, timing.cache)")
    p.add_argument("--opt-level", type=int, default=None, choices=range(0, 6), metavar="0-5",
                   help="builder optimization level (TensorRT's default 3)")
    p.add_argument("--dla-core", type=int, default=None, metavar="N", help="Jetson: run on DLA core N with GPU fallback")
    p.add_argument("--version-compatible", action="store_true",
                   help="plan runs on this and later TensorRT versions (10.x plans on 11 too); may be slower. It "
                   "carries host code: running it needs --trust-engine-code")
    p.add_argument("--hardware-compatible", action="store_true",
                   help="plan runs on any Ampere or newer GPU (not on Jetson); may be slower")
    p.add_argument("--tf32", action=argparse.BooleanOptionalAction, default=None,
                   help="let FP32 layers run as TF32 (TensorRT's default). Default: off for an FP32 network (the GPU's "
                   "reference, compared with ONNX Runtime at 60 dB), on for FP16/INT8 networks' FP32 layers")
    add_force(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from lowlight_edge.engines.trt.build import BuildOptions, build_engine
    from lowlight_edge.engines.trt.profiles import Profile
    from lowlight_edge.fileio.workspace import engines_dir

    profile = Profile(args.min_shape, args.opt_shape, args.max_shape)
    output = args.output or engines_dir(f"{args.model.stem}.engine")
    timing_cache = args.timing_cache or output.parent / "timing.cache"
    build_engine(args.model, output, BuildOptions(profile, args.workspace, timing_cache, args.opt_level,
                                                  args.dla_core, args.version_compatible, args.hardware_compatible,
                                                  args.tf32),
                 force=args.force, log=say)
    return 0
