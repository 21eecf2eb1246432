"""The orientation a RAW file asks for (TIFF/EXIF Orientation 1-8, LibRaw's `sizes.flip`) and applying it to an
output image.

The network always sees the sensor's layout (tiles and pipeline graphs are unchanged); the orientation is applied to
the finished pixels, as LibRaw's rendering applies it.
"""

import numpy as np

from lowlight_edge.errors import InputError

# LibRaw's flip (bit 0: mirror left-right, bit 1: mirror top-bottom, bit 2: swap the axes first) for each TIFF
# Orientation; dcraw's table "50132467" indexed by orientation & 7
FLIP_OF_ORIENTATION = {1: 0, 2: 1, 3: 3, 4: 2, 5: 4, 6: 6, 7: 7, 8: 5}
ORIENTATION_OF_FLIP = {flip: orientation for orientation, flip in FLIP_OF_ORIENTATION.items()}
NAMES = {1: "as stored", 2: "mirrored left-right", 3: "rotated 180", 4: "mirrored top-bottom",
         5: "transposed", 6: "rotated 90 clockwise", 7: "transversed", 8: "rotated 90 counter-clockwise"}


def orientation_from_tag(value) -> int:
    """A file's Orientation tag; values outside 1-8 (which some writers leave) read as 1, as LibRaw treats them."""
    try:
        value = int(value)
    except (TypeError, ValueError):
        return 1
    return value if value in FLIP_OF_ORIENTATION else 1


def orientation_from_flip(flip: int) -> int:
    if flip not in ORIENTATION_OF_FLIP:
        raise InputError(f"LibRaw reports orientation flip {flip}, which is none of 0-7")
    return ORIENTATION_OF_FLIP[flip]


def orient(image: np.ndarray, orientation: int) -> np.ndarray:
    """[H, W, ...] in sensor layout -> as the file asks it to be shown (a view, no copy).

    >>> a = np.arange(6).reshape(2, 3)
    >>> orient(a, 6).tolist()  # rotated 90 degrees clockwise
    [[3, 0], [4, 1], [5, 2]]
    """
    flip = FLIP_OF_ORIENTATION.get(orientation)
    if flip is None:
        raise InputError(f"orientation must be 1-8, got {orientation}")
    # LibRaw's order (flip_index): output (row, col) reads the source at the swapped, then mirrored, position
    if flip & 2:
        image = image[::-1]
    if flip & 1:
        image = image[:, ::-1]
    return image.swapaxes(0, 1) if flip & 4 else image
