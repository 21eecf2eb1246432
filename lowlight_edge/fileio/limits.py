"""Size limits on what the tool decodes, checked before decoding: a small hostile file must not take gigabytes.

Documented in docs/security.md. Raise them for real inputs larger than any camera or list makes today:
    LOWLIGHT_EDGE_MAX_PIXELS      pixels of one decoded image or RAW frame (default 200 million)
    LOWLIGHT_EDGE_MAX_IMAGE_BYTES bytes of one decoded PNG in memory, as float32 RGB (default 1 GiB)
    LOWLIGHT_EDGE_MAX_TEXT_BYTES  bytes of a list or JSON file read whole (default 64 MiB)
    LOWLIGHT_EDGE_MAX_UNPACKED_BYTES  bytes a PyTorch (.pt/.pth zip) file unpacks to (default 2 GiB)
"""

import os
from pathlib import Path

from lowlight_edge.errors import InputError
from lowlight_edge.fileio.inputs import regular_file

DEFAULTS = {"LOWLIGHT_EDGE_MAX_PIXELS": 200_000_000, "LOWLIGHT_EDGE_MAX_IMAGE_BYTES": 2**30,
            "LOWLIGHT_EDGE_MAX_TEXT_BYTES": 64 * 2**20, "LOWLIGHT_EDGE_MAX_UNPACKED_BYTES": 2 * 2**30}
STORED_SLACK = 1.01  # torch.save stores members uncompressed: they cannot unpack to more than the file holds


def limit(name: str) -> int:
    text = os.environ.get(name)
    if not text:
        return DEFAULTS[name]
    try:
        value = int(text)
    except ValueError:
        raise InputError(f"${name} must be a whole number, got {text[:40]!r}") from None
    if value < 1:
        raise InputError(f"${name} must be positive, got {value}")
    return value


def check_pixels(width: int, height: int, what: Path | str) -> None:
    """Refuse a declared image size above the pixel limit, before anything is decoded."""
    allowed = limit("LOWLIGHT_EDGE_MAX_PIXELS")
    if width * height > allowed:
        raise InputError(f"{what} declares {width}x{height} pixels, more than the {allowed:,} allowed "
                         "($LOWLIGHT_EDGE_MAX_PIXELS raises the limit)")


def check_image_bytes(nbytes: int, width: int, height: int, what: Path | str) -> None:
    """Refuse an image whose decoded form would take more than the byte limit, before anything is decoded."""
    allowed = limit("LOWLIGHT_EDGE_MAX_IMAGE_BYTES")
    if nbytes > allowed:
        raise InputError(f"{what} ({width}x{height}) decodes to {nbytes:,} bytes, more than the {allowed:,} allowed "
                         "($LOWLIGHT_EDGE_MAX_IMAGE_BYTES raises the limit)")


def read_text_limited(path: Path, what: str) -> str:
    """The whole text of a list or JSON file: refused when not a regular file or above the size limit, before it
    is read."""
    allowed = limit("LOWLIGHT_EDGE_MAX_TEXT_BYTES")
    size = regular_file(path, what).stat().st_size
    if size > allowed:
        raise InputError(f"{what} {path} is {size:,} bytes, more than the {allowed:,} allowed "
                         "($LOWLIGHT_EDGE_MAX_TEXT_BYTES raises the limit)")
    return Path(path).read_bytes().decode("utf-8")


def check_torch_archive(path: Path, what: str) -> None:
    """Refuse a PyTorch zip archive whose members declare more bytes than the file can hold or the limit allows.

    PyTorch allocates each member at its declared size when it loads it. `torch.save` stores members
    uncompressed, so a member that unpacks to more than its stored bytes (a deflate bomb: 2 MB unpacking to
    2 GiB) is refused, and so is any archive above the limit. Legacy (non-zip) files are left to torch.
    """
    import zipfile

    if not zipfile.is_zipfile(path):
        return
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise InputError(f"{what} {path} is a damaged zip archive ({exc})") from None
    total = sum(m.file_size for m in members)
    allowed = limit("LOWLIGHT_EDGE_MAX_UNPACKED_BYTES")
    packed = max(Path(path).stat().st_size, 1)
    if total > allowed:
        reason = f"more than the {allowed:,} allowed ($LOWLIGHT_EDGE_MAX_UNPACKED_BYTES raises the limit)"
    elif total > STORED_SLACK * packed + 2**20:
        reason = "more than an uncompressed PyTorch file can hold: a compressed (zip bomb) member"
    else:
        return
    raise InputError(f"{what} {path} declares {total:,} unpacked bytes in a {packed:,}-byte file, {reason}; refused")
