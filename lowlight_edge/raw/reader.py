"""Read any Bayer RAW file LibRaw opens (ARW, DNG, NEF, CR2, RAF-Bayer, ...) into a `RawFrame`.

Plain DNGs (uncompressed 16-bit CFA data, no linearisation) are read directly with tifffile (raw/dng_plain.py):
7.1 ms where LibRaw takes 71.9 ms for a full frame (benchmarks/results/2026-11-27-cpu2core-pipeline/decode.txt);
every other file, and any DNG the plain reader declines, goes through LibRaw.

A frame keeps the visible raw area as LibRaw reports it (cropped to whole 2x2 cells), the CFA phase
from the file's pattern, black levels per packed channel (R, G1, B, G2) and the white level, so packing
can normalise each channel against its own black.
"""

import contextlib
from pathlib import Path
from typing import Iterator

import numpy as np

from lowlight_edge.errors import InputError
from lowlight_edge.fileio.inputs import regular_file
from lowlight_edge.fileio.limits import check_pixels
from lowlight_edge.fileio.quiet import quiet_stderr
from lowlight_edge.raw.cfa import channel_offsets, phase_from_pattern
from lowlight_edge.raw.dng_plain import dng_file_colour, read_plain_dng
from lowlight_edge.raw.frame import RawFrame
from lowlight_edge.raw.libraw_colour import libraw_conversion
from lowlight_edge.raw.orientation import orientation_from_flip
from lowlight_edge.raw.pack import crop_even


def read_raw(path: Path) -> RawFrame:
    """The frame of any Bayer RAW file: plain (uncompressed 16-bit) DNGs read directly, everything else by LibRaw."""
    path = Path(path)
    _check_file(path)
    dng = path.suffix.lower() == ".dng"
    frame = read_plain_dng(path) if dng else None
    if frame is None:
        with _libraw(path) as raw:
            frame = _frame_from(raw, path)
        if dng:  # LibRaw takes one of a DNG's two calibrations as it is; the DNG maths interpolates for the white
            frame.colour = dng_file_colour(path) or frame.colour
    if not frame.bayer.any():
        # what LibRaw leaves of data it could not decode (garbage JPEG, 3 samples per pixel): never a black picture
        raise InputError(f"{path}: the mosaic decodes to all zeros (corrupt or unsupported image data)")
    return frame


@contextlib.contextmanager
def open_raw(path: Path) -> Iterator:
    """rawpy.imread with every LibRaw failure turned into one clear InputError."""
    path = Path(path)
    _check_file(path)
    with _libraw(path) as raw:
        yield raw


@contextlib.contextmanager
def _libraw(path: Path) -> Iterator:
    """LibRaw on a file already checked (`_check_file`), its failures as one InputError each."""
    import rawpy

    try:
        # LibRaw prints its own complaints on stderr; the error raised below says what went wrong in one line
        with quiet_stderr(), rawpy.imread(str(path)) as raw:
            yield raw
    except rawpy.LibRawFileUnsupportedError as exc:
        raise InputError(f"{path} is not a RAW file LibRaw can read (unsupported or not a raw image)") from exc
    except (rawpy.LibRawIOError, rawpy.LibRawDataError, rawpy.LibRawTooBigError,
            rawpy.LibRawRequestForNonexistentImageError, rawpy.LibRawOutOfOrderCallError) as exc:
        raise InputError(f"{path} is truncated or corrupt ({type(exc).__name__})") from exc
    except rawpy.LibRawError as exc:
        raise InputError(f"{path} cannot be decoded by LibRaw ({type(exc).__name__}: {exc})") from exc
    except MemoryError as exc:
        raise InputError(f"{path} claims a frame too large to decode") from exc


def _check_file(path: Path) -> None:
    regular_file(path, "RAW file")
    if path.stat().st_size == 0:
        raise InputError(f"RAW file {path} is empty (0 bytes)")


def _frame_from(raw, path: Path) -> RawFrame:
    import rawpy

    sizes = raw.sizes
    check_pixels(sizes.raw_width, sizes.raw_height, path)  # LibRaw has read the header only, not the frame
    try:
        raw_pattern = raw.raw_pattern
    except NotImplementedError as exc:  # rawpy: a CFA LibRaw describes but cannot express as a 2x2 pattern
        raise InputError(f"{path}: not a 2x2 Bayer mosaic (LibRaw reports CFA {exc}); only Bayer sensors are "
                         "supported") from exc
    if raw.raw_type != rawpy.RawType.Flat or raw_pattern is None:
        raise InputError(f"{path}: not a Bayer mosaic (a linear DNG, Foveon or other demosaiced raw); "
                         "only 2x2 Bayer sensors are supported")
    pattern = raw_pattern.tolist()
    color_desc = raw.color_desc.decode("ascii", "replace")
    phase = phase_from_pattern(pattern, color_desc)
    visible = raw.raw_image_visible
    # raw_pattern describes the cell at the top-left of the visible area, which is where we pack from.
    bayer = crop_even(np.array(visible, dtype=np.uint16, copy=True))
    # LibRaw gives black per colour index; re-key it by the cell position of R, G1, B, G2.
    per_index = list(raw.black_level_per_channel)
    black = tuple(float(per_index[pattern[dy][dx]]) for dy, dx in channel_offsets(phase))
    white = float(raw.white_level)
    if bayer.size == 0:
        raise InputError(f"{path}: the visible raw area is empty")
    if white <= max(black):
        raise InputError(f"{path}: white level {white:g} is not above the black levels {list(black)}")
    shutter, iso = float(raw.other.shutter_speed), float(raw.other.iso_speed)
    make, model = _make_model(path)
    return RawFrame(path=path, bayer=bayer, phase=phase, black=black, white=white, make=make, model=model,
                    raw_size=(int(sizes.raw_height), int(sizes.raw_width)),
                    visible_size=(int(visible.shape[0]), int(visible.shape[1])),
                    exposure_s=shutter if shutter > 0 else None, iso=iso if iso > 0 else None,
                    orientation=orientation_from_flip(int(sizes.flip)), colour=libraw_conversion(raw, path))


def _make_model(path: Path) -> tuple[str, str]:
    """Make and model from the TIFF container most RAW formats use (rawpy does not expose them)."""
    import logging

    import tifffile

    log = logging.getLogger("tifffile")
    was_disabled, log.disabled = log.disabled, True  # tifffile logs every odd tag; the name is cosmetic
    try:
        with tifffile.TiffFile(path) as tif:
            tags = tif.pages[0].tags
            make, model = (str(tags[name].value).strip() if name in tags else "" for name in ("Make", "Model"))
    except Exception:  # not TIFF-based (RAF, CR3, ...) or unreadable: the name is cosmetic
        return "unknown", "unknown"
    finally:
        log.disabled = was_disabled
    return make or "unknown", model or "unknown"
