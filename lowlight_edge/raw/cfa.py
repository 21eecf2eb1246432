"""Bayer CFA phases and where each packed channel sits in the 2x2 cell.

The model always sees channels in R, G1, B, G2 order, where G1 is the green on red's row and G2 the green
on blue's row. Any of the four phases maps onto that order by picking each channel's offset in the
cell, which is the same as shifting the cell by one row and/or column.
"""

from lowlight_edge.errors import InputError

PHASES = ("RGGB", "BGGR", "GRBG", "GBRG")
CHANNELS = ("R", "G1", "B", "G2")


def channel_offsets(phase: str) -> list[tuple[int, int]]:
    """(row, col) offset in the 2x2 cell of R, G1, B, G2 for a phase string read row by row.

    >>> channel_offsets("RGGB")
    [(0, 0), (0, 1), (1, 1), (1, 0)]
    >>> channel_offsets("GBRG")
    [(1, 0), (1, 1), (0, 1), (0, 0)]
    """
    phase = phase.upper()
    if phase not in PHASES:
        raise InputError(f"unsupported CFA pattern {phase!r}: only Bayer {', '.join(PHASES)} can be packed")
    cell = [[phase[0], phase[1]], [phase[2], phase[3]]]
    r_row = 0 if "R" in cell[0] else 1
    r = (r_row, cell[r_row].index("R"))
    g1 = (r_row, 1 - r[1])
    b = (1 - r_row, 1 - r[1])
    g2 = (1 - r_row, r[1])
    return [r, g1, b, g2]


def phase_from_pattern(pattern, color_desc: str) -> str:
    """Phase string from LibRaw's 2x2 `raw_pattern` (colour indices) and `color_desc` (e.g. 'RGBG')."""
    rows = len(pattern)
    if rows != 2 or any(len(row) != 2 for row in pattern):
        size = f"{rows}x{len(pattern[0]) if rows else 0}"
        raise InputError(f"the sensor's colour filter repeats every {size} pixels (X-Trans or other non-Bayer); "
                         "only 2x2 Bayer sensors are supported")
    try:
        letters = "".join(color_desc[int(i)] for row in pattern for i in row)
    except (IndexError, ValueError):
        raise InputError(f"unreadable CFA pattern {pattern} with colours {color_desc!r}") from None
    if sorted(letters) != ["B", "G", "G", "R"]:
        raise InputError(f"CFA pattern {letters!r} is not an RGB Bayer pattern (colours {color_desc!r}); "
                         "CMYG and other filters are not supported")
    return letters
