"""Input files as the user names them: only regular files are opened.

A FIFO, a device or a folder named like a model would make a read block forever or fail deep inside a library;
`regular_file` looks first (stat, which follows symlinks to what they name) and answers in one line.

Symbolic links, one policy: a file the user names may be a link (they chose it). A file found by scanning a
folder (`scan_folder`) or listed in a SID list must resolve inside that folder or dataset root: a link that
leads elsewhere is refused in one line, so a folder cannot make the tool read what its user never pointed at.
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


def inside(root: Path, path: Path, where: str) -> Path:
    """`path` resolved (links followed) when it stays inside `root`; else one InputError naming `where`."""
    resolved = Path(path).resolve()
    if not resolved.is_relative_to(Path(root).resolve()):
        raise InputError(f"{where}: {Path(path).name!r} leads outside {root} (to {resolved}); refused: links in "
                         "scanned folders must stay inside them (name the file directly to use it)")
    return resolved


def scan_folder(folder: Path, suffixes: set[str] | tuple[str, ...], pattern: str = "*") -> list[Path]:
    """Regular files of `folder` matching `pattern` with one of `suffixes` (lower case), sorted; links leading
    outside the folder are refused (see the module's policy), special files passed over."""
    folder = Path(folder)
    found = sorted(p for p in folder.glob(pattern) if p.suffix.lower() in suffixes and is_regular_file(p))
    for path in found:
        if path.is_symlink():
            inside(folder, path, f"folder {folder}")
    return found


def is_regular_file(path: Path) -> bool:
    """For folder scans: regular files are taken, anything else is passed over."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False
