"""`lowlight-edge` entry point: one thin subcommand per job, one error convention for all.

A user-facing failure (LowlightError) prints one line on stderr and exits non-zero; `--debug` shows the
traceback instead. Each subcommand lives in lowlight_edge/commands/<name>.py and exposes
`register(subparsers)`.
"""

import argparse
import signal
import sys

from lowlight_edge.commands import (
    bench,
    build,
    card,
    check,
    demo,
    enhance,
    export,
    init,
    inspect,
    metrics,
    pipeline,
    quantize,
    report,
    synth,
    train,
    tune,
    validate,
    weights,
)
from lowlight_edge.commands.common import printable
from lowlight_edge.errors import LowlightError, Terminated
from lowlight_edge.fileio.atomic import settle_folders_made
from lowlight_edge.version import __version__

COMMANDS = [init, export, quantize, pipeline, check, build, bench, enhance, inspect, synth, train, card, weights, metrics,
            validate, tune, report, demo]
PROG = "lowlight-edge"
INTERNAL_ERROR = 3  # exit code of an unexpected exception: a bug, told apart from bad input (2) and the machine (1)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Take a low-light enhancement GAN (Attention U-Net, SID RAW) from a PyTorch checkpoint to "
        "the edge: export to ONNX checked against PyTorch, make FP16 and INT8 variants in the graph, check and "
        "build TensorRT engines, benchmark every backend side by side against the 0.06 s per-image target, "
        "validate the accuracy drift (LPIPS, PSNR, SSIM) with budgets, and enhance RAW files with any model. "
        "Generated files go to work/ unless named. The same functions are importable: import lowlight_edge.",
        epilog="Run 'lowlight-edge COMMAND --help' for the options of each command.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--debug", action="store_true", help="show the full traceback when something fails")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in COMMANDS:
        command.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    previous = _terminate_like_interrupt()
    try:
        code = _run(args)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    settle_folders_made(failed=code != 0)  # a refused or failed run leaves no empty output folder
    return code


def _run(args: argparse.Namespace) -> int:
    try:
        return int(args.handler(args) or 0)
    except LowlightError as exc:
        if args.debug:
            raise
        _fail(str(exc))
        return exc.exit_code
    except Terminated:
        _fail("terminated (SIGTERM); outputs in progress were removed")
        return 128 + signal.SIGTERM
    except KeyboardInterrupt:
        _fail("interrupted; outputs in progress were removed")
        return 130
    except (OSError, MemoryError) as exc:  # environment trouble not caught closer to the source
        if args.debug:
            raise
        _fail(f"{type(exc).__name__}: {exc} (rerun with --debug for the traceback)")
        return 1
    except Exception as exc:  # noqa: BLE001 - the last line of defence: a bug, still one line, never a traceback
        if args.debug:
            raise
        _fail(f"internal error ({type(exc).__name__}: {_short(str(exc))}); this is a bug in lowlight-edge: rerun "
              "with --debug for the traceback and report it")
        return INTERNAL_ERROR


def _terminate_like_interrupt():
    """SIGTERM (a service manager, `timeout`, `kill`) unwinds like Ctrl-C, so temporary files and folders are
    removed on the way out; the handler it replaces, or None where signals cannot be set (not the main thread)."""
    def raise_terminated(_signum, _frame):
        raise Terminated()

    try:
        return signal.signal(signal.SIGTERM, raise_terminated)
    except ValueError:
        return None


def _fail(message: str) -> None:
    """The one line of error: control characters escaped, an overlong message shortened (commands.common.printable)."""
    print(printable(f"{PROG}: error: {message}"), file=sys.stderr)


def _short(text: str, limit: int = 300) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 3] + "..."


if __name__ == "__main__":
    sys.exit(main())
