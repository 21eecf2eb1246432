"""Atomic outputs: a result appears complete or not at all.

Every file the tool writes goes through `atomic_output`: the caller writes a temporary file in the
destination folder (same filesystem, so the final rename is atomic), it is fsynced and renamed over the
target only when the body finished without error. An exception or Ctrl-C removes the temporary file.
"""

import contextlib
import errno
import os
import tempfile
from pathlib import Path
from typing import Iterator

from lowlight_edge.errors import OutputError

_FOLDERS_MADE: list[Path] = []  # by check_writable in this process, so a failed run can take them back


def check_writable(path: Path, force: bool, create_folder: bool = True) -> None:
    """Refuse an existing target without --force, and a folder we cannot create or write to.

    With `create_folder=False` a missing folder is not made (the first write makes it), so a run that then writes
    nothing leaves nothing behind; the nearest existing folder above it must be writable.
    """
    path = Path(path)
    if path.is_dir():
        raise OutputError(f"{path} is a directory; give a file name")
    if path.exists() and not force:
        raise OutputError(f"{path} already exists; pass --force to overwrite it")
    if not create_folder:
        existing = next(p for p in path.absolute().parents if p.exists())
        if not existing.is_dir() or not os.access(existing, os.W_OK):
            raise OutputError(f"cannot create folder {path.parent}: {existing} is not a writable folder")
        return
    missing = [p for p in path.absolute().parents if not p.exists()]
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _FOLDERS_MADE.extend(missing)
    except OSError as exc:
        raise OutputError(f"cannot create folder {path.parent}: {exc.strerror or exc}") from exc
    if not os.access(path.parent, os.W_OK):
        raise OutputError(f"folder {path.parent} is not writable")


def settle_folders_made(failed: bool) -> None:
    """After a run: when it failed, remove the folders check_writable made that are still empty, deepest first (a
    refused `train`, `quantize` or `pipeline` leaves no empty output folder; any other stays). Either way the
    record starts again empty for the next run in this process."""
    for folder in sorted(set(_FOLDERS_MADE), key=lambda p: len(p.parts), reverse=True) if failed else ():
        try:
            folder.rmdir()
        except OSError:
            pass  # not empty (something was written), or gone
    _FOLDERS_MADE.clear()


@contextlib.contextmanager
def atomic_output(path: Path, force: bool = False) -> Iterator[Path]:
    """Yield a temporary path next to `path`; on success, fsync it and rename it to `path`."""
    path = Path(path)
    check_writable(path, force)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; a finished output gets the usual permissions
    try:
        yield tmp
        _fsync_file(tmp)
        if path.exists() and not force:  # someone else created it meanwhile
            raise OutputError(f"{path} appeared while writing; pass --force to overwrite it")
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        if exc.errno == errno.ENOSPC:
            raise OutputError(f"disk full while writing {path}; nothing was written") from exc
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_bytes(path: Path, data: bytes, force: bool = False) -> Path:
    with atomic_output(path, force) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def write_text(path: Path, text: str, force: bool = False) -> Path:
    return write_bytes(path, text.encode("utf-8"), force)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
