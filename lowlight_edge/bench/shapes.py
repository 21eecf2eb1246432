"""Packed input shapes for benchmarks: `--shape HxW` gives the packed (half-resolution) size."""

from lowlight_edge.errors import InputError

TILE_512 = (512, 512)
SONY_RAW_SIZE = (2848, 4256)  # Sony a7S II raw frame, the reference workload
SONY_FULL_FRAME = (1424, 2128)  # the same, packed
DEFAULT_SHAPES = [TILE_512, SONY_FULL_FRAME]


def parse_shape(text: str) -> tuple[int, int]:
    """'512x512' -> (512, 512); the packed height and width.

    >>> parse_shape("1424x2128")
    (1424, 2128)
    """
    parts = text.lower().replace("*", "x").split("x")
    try:
        h, w = (int(p) for p in parts)
    except ValueError:
        raise InputError(f"shape must look like HxW (packed size, e.g. 512x512), got {text!r}") from None
    if h < 1 or w < 1:
        raise InputError(f"shape must be positive, got {text!r}")
    return h, w
