"""Input files as the user names them: only regular files are opened.

A FIFO, a device or a folder named like a model would make a read block forever or fail deep inside a library;
`regular_file` looks first (stat, which follows symlinks to what they name) and answers in one line.
"""

import os
import stat
from pathlib import Path

from lowlight_edge.errors import InputError

_KINDS = {stat.S_IFDIR: "a folder", stat.S_IFIFO: "a FIFO (named pipe)", stat.S_IFCHR: "a character device",
          stat.S_IFBLK: "a block device", stat.S_IFSOCK: "a socket"}


def regular_file(path: Path, what: str = "file", error: type[InputError] = InputError) -> Path:
    """`path` when it names a regular file; otherwise one `error` saying what it is instead. Never opens it.

    >>> regular_file(Path("/dev/null"), "ONNX file")
    Traceback (most recent call last):
    ...
    lowlight_edge.errors.InputError: ONNX file /dev/null is a character device, not a regular file; refusing to read it
    """
    path = Path(path)
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise error(f"{what} not found: {path}") from None
    except OSError as exc:
        raise error(f"cannot read {what} {path}: {exc.strerror or exc}") from None
    if not stat.S_ISREG(mode):
        kind = _KINDS.get(stat.S_IFMT(mode), "not a regular file")
        raise error(f"{what} {path} is {kind}, not a regular file; refusing to read it")
    return path


def is_regular_file(path: Path) -> bool:
    """For folder scans: regular files are taken, anything else is passed over."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False
