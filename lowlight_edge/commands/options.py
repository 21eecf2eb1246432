"""Option groups shared by several commands, defined once (after Polygraphy's `tools/args/`).

Each `add_*` adds a group of flags to a parser; the matching `*_from(args)` turns them into the library's
value (RunnerOptions, Protocol, ...), so a flag means the same thing in every command.
"""

import argparse
from pathlib import Path

from lowlight_edge.bench.latency import Protocol
from lowlight_edge.bench.shapes import parse_shape
from lowlight_edge.commands.common import arg_type
from lowlight_edge.engines.backends import MODEL_KINDS, backends_help, default_backend
from lowlight_edge.engines.options import RunnerOptions
from lowlight_edge.errors import InputError

CALIB_HELP = ("calibration frames: a folder of RAW files, a folder of .npy packed frames, a SID list (.txt) or "
              "synthetic:N (N frames of the training photographs; never the held-out ones)")


def add_force(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--force", action="store_true", help="overwrite output files that already exist")


def add_backend(parser: argparse.ArgumentParser, repeatable: bool = False, default: str | None = None) -> None:
    what = "backend(s) to run, repeatable; each model runs on those that take its file type" if repeatable \
        else "the backend to run on"
    default = default or ", ".join(f"{default_backend(kind).name} for {kind} files" for kind in MODEL_KINDS)
    parser.add_argument("--backend", action="append" if repeatable else "store", default=None, metavar="NAME",
                        help=f"{what}: {backends_help()} (default: {default})")


def add_threads(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--threads", type=int, default=None, metavar="N",
                        help="intra-op threads for PyTorch and ONNX Runtime (default: the library's own choice, "
                        "usually one per core); recorded in results")


def add_tiling(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--max-tile", type=int, default=None, metavar="N",
                        help="run frames larger than NxN packed pixels (2N x 2N output) as overlapping tiles, blended "
                        "seamlessly, to bound memory (e.g. 512 on a 4-8 GB Jetson); a multiple of 16; default: whole frame (enhance "
                        "with an ONNX model on a CPU runtime: whole frame unless its estimated activations would not "
                        "fit half the free memory, then the largest tile that does)")
    parser.add_argument("--tile-overlap", type=int, default=64, metavar="N",
                        help="packed pixels shared by neighbouring tiles (default 64; a multiple of 16)")


def add_engine_trust(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--trust-engine-code", action="store_true",
                        help="let TensorRT run the host code a version-compatible engine carries. An engine file is a "
                        "program: pass this only for engines you built or got from someone you trust as you would "
                        "trust their executables. Never enabled by an engine's .json sidecar")
    parser.add_argument("--engine-onnx", type=Path, default=None, metavar="ONNX",
                        help="the ONNX file the engine was built from: refuse the engine if that file changed since")


def add_torch_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--torch-pipeline", action="store_true",
                        help="PyTorch backends: run a checkpoint as a pipeline model (RAW mosaic in, pixels out, the "
                        "pre/post on the device), the stand-in for a pipeline engine where TensorRT is missing")
    parser.add_argument("--torch-fp16", action="store_true",
                        help="torch-cuda: run the network in FP16, the stand-in for an FP16 engine")


def add_runner_options(parser: argparse.ArgumentParser) -> None:
    """Threads, tiling, engine trust and the PyTorch stand-ins: the options of every command that runs models."""
    add_threads(parser)
    add_tiling(parser)
    add_engine_trust(parser)
    add_torch_options(parser)


def runner_options_from(args: argparse.Namespace) -> RunnerOptions:
    return RunnerOptions(threads=args.threads, max_tile=args.max_tile, tile_overlap=args.tile_overlap,
                         trust_engine_code=args.trust_engine_code, engine_onnx=args.engine_onnx,
                         torch_pipeline_bits=getattr(args, "bits", 8) if args.torch_pipeline else None,
                         torch_fp16=args.torch_fp16)


def add_lpips_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--lpips-weights", type=Path, default=None,
                        help="LPIPS weight file (default: $LOWLIGHT_EDGE_LPIPS_WEIGHTS, torch hub, then the cache)")
    parser.add_argument("--lpips-onnx", type=Path, default=None,
                        help="compute LPIPS with this ONNX export of the metric (no PyTorch needed)")


def add_calibration_options(parser: argparse.ArgumentParser, default: str | None, count: bool = True) -> None:
    parser.add_argument("--calib", default=default, required=default is None, metavar="SOURCE",
                        help=CALIB_HELP + (f" (default {default})" if default else ""))
    parser.add_argument("--calib-shape", type=arg_type(parse_shape), default=(256, 256), metavar="HxW",
                        help="packed size calibration frames are cropped or padded to (default 256x256)")
    if count:
        parser.add_argument("--calib-count", type=int, default=16, metavar="N", help="use at most N frames (default 16)")


def add_protocol_options(parser: argparse.ArgumentParser, runs: int = 10, warmup: int = 2) -> None:
    parser.add_argument("--warmup", type=int, default=warmup, help=f"untimed calls before timing (default {warmup})")
    parser.add_argument("--warmup-time", type=float, default=0.0, metavar="S",
                        help="keep warming up until at least S seconds have passed (default 0)")
    parser.add_argument("--runs", type=int, default=runs, help=f"timed calls per row, at least (default {runs})")
    parser.add_argument("--min-time", type=float, default=0.0, metavar="S",
                        help="keep timing until at least S seconds have passed (default 0: --runs alone)")


def protocol_from(args: argparse.Namespace) -> Protocol:
    if args.runs < 1 or args.warmup < 0 or args.warmup_time < 0 or args.min_time < 0:
        raise InputError("--runs must be >= 1; --warmup, --warmup-time and --min-time must be >= 0")
    return Protocol(warmup=args.warmup, warmup_s=args.warmup_time, runs=args.runs, min_time_s=args.min_time)
