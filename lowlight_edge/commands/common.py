"""Small helpers shared by subcommands: progress messages (made terminal-safe by fileio/terminal.py) and argparse
adapters (option groups: options.py)."""

import argparse
import sys
from typing import Callable

from lowlight_edge.errors import LowlightError
from lowlight_edge.fileio.quiet import STDERR_LOCK
from lowlight_edge.fileio.terminal import printable


def say(message: str) -> None:
    """Progress and notes go to stderr, so stdout stays clean for tables and JSON (never while a C library's
    messages are being silenced: see fileio/quiet.py). Each line is made terminal-safe (`printable`)."""
    with STDERR_LOCK:
        print("\n".join(printable(line) for line in message.split("\n")), file=sys.stderr, flush=True)


def arg_type(parse: Callable[[str], object]) -> Callable[[str], object]:
    """Adapt a parser that raises LowlightError for argparse, which reports ArgumentTypeError as usage."""

    def convert(text: str) -> object:
        try:
            return parse(text)
        except LowlightError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    convert.__name__ = parse.__name__
    return convert


class LazyBar:
    """A tqdm bar that appears with its first update, so a run refused by its checks prints only its error.

    The first update may bring the total (the library knows it only once its checks have passed); a total below
    `min_total` shows no bar at all (one file needs none).
    """

    def __init__(self, min_total: int = 0, **tqdm_args) -> None:
        self.min_total, self.tqdm_args, self.bar = min_total, tqdm_args, None

    def update(self, n: int = 1, total: int | None = None, **postfix) -> None:
        if self.bar is None:
            from tqdm import tqdm

            if total is not None:
                self.tqdm_args.update(total=total, disable=total < self.min_total)
            self.bar = tqdm(**self.tqdm_args)
        self.bar.update(n)
        if postfix:
            self.bar.set_postfix(**postfix)

    def __enter__(self) -> "LazyBar":
        return self

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.close()
