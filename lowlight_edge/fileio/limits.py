"""Size limits on what the tool decodes, checked before decoding: a small hostile file must not take gigabytes.

Documented in docs/security.md. Raise them for real inputs larger than any camera or list makes today:
    LOWLIGHT_EDGE_MAX_PIXELS      pixels of one decoded image or RAW frame (default 200 million)
    LOWLIGHT_EDGE_MAX_TEXT_BYTES  bytes of a list or JSON file read whole (default 64 MiB)
"""

import os
from pathlib import Path

from lowlight_edge.errors import InputError
from lowlight_edge.fileio.inputs import regular_file

DEFAULTS = {"LOWLIGHT_EDGE_MAX_PIXELS": 200_000_000, "LOWLIGHT_EDGE_MAX_TEXT_BYTES": 64 * 2**20}


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


def read_text_limited(path: Path, what: str) -> str:
    """The whole text of a list or JSON file: refused when not a regular file or above the size limit, before it
    is read."""
    allowed = limit("LOWLIGHT_EDGE_MAX_TEXT_BYTES")
    size = regular_file(path, what).stat().st_size
    if size > allowed:
        raise InputError(f"{what} {path} is {size:,} bytes, more than the {allowed:,} allowed "
                         "($LOWLIGHT_EDGE_MAX_TEXT_BYTES raises the limit)")
    return Path(path).read_bytes().decode("utf-8")
