"""Small helpers shared by subcommands: progress messages and common options."""

import argparse
import sys
from pathlib import Path
from typing import Callable

from lowlight_edge.errors import LowlightError


def say(message: str) -> None:
    """Progress and notes go to stderr, so stdout stays clean for tables and JSON."""
    print(message, file=sys.stderr, flush=True)


def add_force(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--force", action="store_true", help="overwrite output files that already exist")


def add_threads(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--threads", type=int, default=None, metavar="N",
                        help="intra-op threads for PyTorch and ONNX Runtime (default: the library's own choice, "
                        "usually one per core); recorded in results")


def add_tiling(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--max-tile", type=int, default=None, metavar="N",
                        help="run frames larger than NxN packed pixels (2N x 2N output) as overlapping tiles, blended "
                        "seamlessly, to bound memory (e.g. 512 on a 4-8 GB Jetson); a multiple of 16; default: whole frame")
    parser.add_argument("--tile-overlap", type=int, default=64, metavar="N",
                        help="packed pixels shared by neighbouring tiles (default 64; a multiple of 16)")


def add_engine_trust(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--trust-engine-code", action="store_true",
                        help="let TensorRT run the host code a version-compatible engine carries. An engine file is a "
                        "program: pass this only for engines you built or got from someone you trust as you would "
                        "trust their executables. Never enabled by an engine's .json sidecar")
    parser.add_argument("--engine-onnx", type=Path, default=None, metavar="ONNX",
                        help="the ONNX file the engine was built from: refuse the engine if that file changed since")


def add_runner_options(parser: argparse.ArgumentParser) -> None:
    """Threads, tiling and engine trust: the options of every command that runs models."""
    add_threads(parser)
    add_tiling(parser)
    add_engine_trust(parser)


def runner_options(args: argparse.Namespace):
    from lowlight_edge.engines.options import RunnerOptions

    return RunnerOptions(threads=args.threads, max_tile=args.max_tile, tile_overlap=args.tile_overlap,
                         trust_engine_code=args.trust_engine_code, engine_onnx=args.engine_onnx)


def arg_type(parse: Callable[[str], object]) -> Callable[[str], object]:
    """Adapt a parser that raises LowlightError for argparse, which reports ArgumentTypeError as usage."""

    def convert(text: str) -> object:
        try:
            return parse(text)
        except LowlightError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    convert.__name__ = parse.__name__
    return convert
