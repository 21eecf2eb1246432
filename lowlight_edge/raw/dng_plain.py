"""Read a plain DNG's Bayer mosaic directly with tifffile, agreeing with LibRaw on the same file.

"Plain": one CFA image (NewSubfileType 0, photometric CFA) of uncompressed 16-bit samples with a 2x2 RGB
pattern, integer black levels (one, or one per cell position) and no tag that would change the values or the
visible area as LibRaw reads them (linearisation table, black-level deltas, an active area). That is what cameras
that write uncompressed DNGs and this project's DNG writer produce. Anything else returns None and goes to LibRaw,
as does any file tifffile cannot parse: this reader declines, LibRaw gives the error. It refuses, with one line,
only what no reader should decode: strips or tiles that reuse or overlap bytes to claim a frame the file cannot
hold, and a CFA whose colours are not red, green and blue (LibRaw would report a CMY filter as RGGB).
"""

import logging
from pathlib import Path

import numpy as np

from lowlight_edge.errors import InputError
from lowlight_edge.fileio.limits import check_pixels
from lowlight_edge.raw.cfa import channel_offsets
from lowlight_edge.raw.colour import ColourConversion
from lowlight_edge.raw.dng_colour import dng_conversion, read_dng_colour
from lowlight_edge.raw.frame import NO_COLOUR, RawFrame
from lowlight_edge.raw.orientation import orientation_from_tag
from lowlight_edge.raw.pack import crop_even

CFA_PHOTOMETRIC, UNCOMPRESSED = 32803, 1
JPEG_COMPRESSIONS = {7: "lossless JPEG", 34892: "lossy JPEG"}  # DNG's; each strip or tile is one JPEG stream
CFA_REPEAT, CFA_PATTERN, CFA_PLANE_COLOR = 33421, 33422, 50710
BLACK_REPEAT, BLACK_LEVEL, WHITE_LEVEL = 50713, 50714, 50717
EXPOSURE_TIME, EXIF_IFD, ISO_SPEED, ORIENTATION = 33434, 34665, 34855, 274
FILL_ORDER, PREDICTOR = 266, 317  # tifffile applies both to uncompressed samples, LibRaw neither: declined
# the CFA frame is IFD0 or one of its first SubIFDs in every camera's DNG; a file listing a million SubIFDs
# must not make tifffile parse a million pages
MAX_SUBIFDS = 16
# tags that make LibRaw read other values or another area than the stored samples
DECLINED_TAGS = {50712: "LinearizationTable", 50715: "BlackLevelDeltaH", 50716: "BlackLevelDeltaV",
                 50829: "ActiveArea"}
INTEGER_TYPES = {1, 3, 4}  # BYTE, SHORT, LONG
_COLOURS = {0: "R", 1: "G", 2: "B"}
_PLANE_COLOURS = {0: "red", 1: "green", 2: "blue", 3: "cyan", 4: "magenta", 5: "yellow", 6: "white"}


def read_plain_dng(path: Path) -> RawFrame | None:
    """The frame of a plain DNG, or None when LibRaw should read the file."""
    import tifffile

    log = logging.getLogger("tifffile")
    was_disabled, log.disabled = log.disabled, True  # tifffile logs every odd tag; declining is silent
    try:
        with tifffile.TiffFile(path) as tif:
            first = tif.pages[0]
            page = _cfa_page(first)
            if page is None:
                return None
            return _frame(path, first, page)
    except InputError:
        raise  # a file that lies about its data or colours: refused here, not handed to LibRaw
    except Exception:  # noqa: BLE001 - any parse failure: LibRaw reads the file and reports what is wrong
        return None
    finally:
        log.disabled = was_disabled


def dng_file_colour(path: Path) -> ColourConversion | None:
    """The colour of any DNG from its IFD0's tags (for DNGs LibRaw decodes: LibRaw takes one calibration as it is,
    the DNG maths interpolates between two); None when tifffile cannot parse the file."""
    import tifffile

    log = logging.getLogger("tifffile")
    was_disabled, log.disabled = log.disabled, True
    try:
        with tifffile.TiffFile(path) as tif:
            return _colour(tif.pages[0], path)
    except Exception:  # noqa: BLE001 - the colour of a file tifffile cannot parse comes from LibRaw
        return None
    finally:
        log.disabled = was_disabled


def _colour(first, path: Path) -> ColourConversion:
    """IFD0's colour tags as a conversion; broken ones as the identity carrying their one-line error."""
    try:
        tags = read_dng_colour(first.tags)
        return dng_conversion(tags) if tags is not None else NO_COLOUR
    except InputError as exc:
        return ColourConversion.identity("unusable colour metadata", error=f"{path}: {exc}")


def _cfa_page(first):
    """The raw CFA image: IFD0 itself, or one of its first MAX_SUBIFDS SubIFDs (cameras put a preview in IFD0).
    Only those pages are ever parsed (tifffile reads sub-pages lazily, by index)."""
    listed = first.subifds if first.pages is not None else ()
    subifds = 1 if isinstance(listed, int) else len(listed or ())
    candidates = (first, *(first.pages[i] for i in range(min(subifds, MAX_SUBIFDS))))
    for page in candidates:
        tags = page.tags
        if tags.valueof(254, 0) == 0 and tags.valueof(262) == CFA_PHOTOMETRIC:
            return page
    return None


def _frame(path: Path, first, page) -> RawFrame | None:
    tags = page.tags
    _check_plane_colours(tags, path)
    if tags.valueof(259, UNCOMPRESSED) in JPEG_COMPRESSIONS:
        _check_jpeg_streams(page, path)
        return None  # LibRaw decodes JPEG
    if (tags.valueof(259, UNCOMPRESSED) != UNCOMPRESSED or tags.valueof(277, 1) != 1
            or tags.valueof(258) != 16 or any(code in tags for code in DECLINED_TAGS)
            or tags.valueof(PREDICTOR, 1) != 1 or tags.valueof(FILL_ORDER, 1) != 1):
        return None
    if tuple(tags.valueof(CFA_REPEAT, ())) != (2, 2) or tuple(tags.valueof(CFA_PLANE_COLOR, (0, 1, 2))) != (0, 1, 2):
        return None
    pattern = tuple(tags.valueof(CFA_PATTERN, ()))
    if sorted(pattern) != [0, 1, 1, 2]:
        return None
    phase = "".join(_COLOURS[c] for c in pattern)
    cell_black = _cell_black(tags)
    if cell_black is None:
        return None
    height, width = int(tags.valueof(257)), int(tags.valueof(256))
    check_pixels(width, height, path)
    _check_strips(page, width, height, path)
    white = float(tags.valueof(WHITE_LEVEL, 65535))
    bayer = crop_even(page.asarray())
    if bayer.dtype != np.uint16 or bayer.ndim != 2 or bayer.size == 0:
        return None
    black = tuple(float(cell_black[2 * dy + dx]) for dy, dx in channel_offsets(phase))
    if white <= max(black):
        return None  # LibRaw's reader gives the one-line error
    make, model = _make_model(first)
    return RawFrame(path=path, bayer=bayer, phase=phase, black=black, white=white, make=make, model=model,
                    raw_size=(height, width), visible_size=(height, width), exposure_s=_exposure(first),
                    iso=_iso(first), orientation=orientation_from_tag(first.tags.valueof(ORIENTATION, 1)),
                    colour=_colour(first, path))


def _cell_black(tags) -> list[float] | None:
    """Black level per cell position (row-major), when stored as integers LibRaw reads the same way."""
    if BLACK_LEVEL not in tags:
        return [0.0] * 4
    tag = tags[BLACK_LEVEL]
    if int(tag.dtype) not in INTEGER_TYPES:
        return None
    values = [float(v) for v in np.ravel(tag.value)]
    repeat = tuple(tags.valueof(BLACK_REPEAT, (1, 1)))
    if repeat == (1, 1) and len(values) == 1:
        return values * 4
    if repeat == (2, 2) and len(values) == 4:
        return values
    return None


def _make_model(first) -> tuple[str, str]:
    make, model = (str(first.tags.valueof(code, "")).strip() for code in (271, 272))
    return make or "unknown", model or "unknown"


def _iso(first) -> float | None:
    """ISOSpeedRatings from IFD0 or the EXIF IFD."""
    value = first.tags.valueof(ISO_SPEED)
    if value is None:
        exif = first.tags.valueof(EXIF_IFD) or {}
        value = exif.get("ISOSpeedRatings") if isinstance(exif, dict) else None
    if isinstance(value, (tuple, list)):
        value = value[0] if value else None
    return float(value) if isinstance(value, (int, float)) and value > 0 else None


def _exposure(first) -> float | None:
    """ExposureTime from IFD0 or the EXIF IFD, where cameras keep it."""
    value = first.tags.valueof(EXPOSURE_TIME)
    if value is None:
        exif = first.tags.valueof(EXIF_IFD) or {}
        value = exif.get("ExposureTime") if isinstance(exif, dict) else None
    if not isinstance(value, tuple) or len(value) != 2 or value[1] == 0:
        return None
    seconds = float(np.float32(value[0] / value[1]))  # LibRaw keeps it as a float32: the same ratio either way
    return seconds if seconds > 0 else None


def _check_plane_colours(tags, path: Path) -> None:
    """Refuse a CFA of other colours than R, G, B (CMY, CMYG, ...): LibRaw reads CFAPlaneColor but still reports
    its colours as RGBG, so the frame would be packed and coloured as an RGB one."""
    value = tags.valueof(CFA_PLANE_COLOR, (0, 1, 2))
    planes = [int(v) for v in (value if isinstance(value, (bytes, tuple, list)) else [value])]  # BYTEs: bytes
    if any(p not in _COLOURS for p in planes):
        names = ", ".join(_PLANE_COLOURS.get(p, f"colour {p}") for p in planes)
        raise InputError(f"{path}: the sensor's colour filter is {names} (DNG CFAPlaneColor); only red, green and "
                         "blue Bayer sensors are supported")


def _check_jpeg_streams(page, path: Path) -> None:
    """Every strip or tile of a JPEG-compressed frame starts with a JPEG start-of-image marker: LibRaw decodes garbage
    there without an error, into a mosaic of zeros or of whatever its buffer held."""
    with open(path, "rb") as file:
        for index, offset in enumerate(page.dataoffsets):
            file.seek(offset)
            if file.read(2) != b"\xff\xd8":
                kind = JPEG_COMPRESSIONS[page.tags.valueof(259)]
                raise InputError(f"{path} is corrupt: strip/tile {index} of its {kind} frame is not JPEG data")


def _check_strips(page, width: int, height: int, path: Path) -> None:
    """The uncompressed strips or tiles lie inside the file and their distinct bytes hold the whole frame: strips
    that reuse or overlap one range cannot make a small file decode to a large frame."""
    offsets, counts = page.dataoffsets, page.databytecounts
    file_bytes, frame_bytes = path.stat().st_size, width * height * 2
    if not (len(offsets) == len(counts) > 0 and all(0 <= o and o + c <= file_bytes for o, c in zip(offsets, counts))):
        raise InputError(f"{path} is truncated or corrupt: its image data lies outside the {file_bytes:,}-byte file")
    covered = distinct_bytes(zip(offsets, counts))
    if covered < frame_bytes:
        raise InputError(f"{path} is truncated or corrupt: its {len(offsets)} strips/tiles hold {covered:,} distinct "
                         f"bytes, and its {width}x{height} frame needs {frame_bytes:,}")


def distinct_bytes(ranges) -> int:
    """Bytes covered by (offset, length) ranges, each byte counted once however many ranges include it.

    >>> distinct_bytes([(0, 10), (5, 10), (100, 1), (0, 10)])
    16
    """
    total, reached = 0, 0
    for offset, length in sorted(ranges):
        end = offset + length
        if end > reached:
            total += end - max(offset, reached)
            reached = end
    return total
