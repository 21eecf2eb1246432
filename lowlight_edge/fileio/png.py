"""8- and 16-bit RGB PNG: encoded with imagecodecs (libpng + zlib in C, 16-bit included, which Pillow lacks),
written atomically; read with pypng.

Encoding uses OpenCV's fast settings (compression level 1, the Sub filter, run-length strategy): 514-639 ms for a
12-megapixel 8-bit frame on the 2-core CI machine (benchmarks/results/2026-11-28-cpu2core-pipeline/speed.md, encode
stage), in C, off the GIL, so `enhance` runs it in a writer thread beside the model. Level 0 stores the rows
unfiltered: ~0.1 s, files ~1.7x as large (png-encoders.txt there).

Every PNG says it is sRGB: an sRGB chunk (perceptual intent) with the gAMA and cHRM values the PNG specification
recommends beside it for older readers; `text` adds tEXt chunks (capture metadata, what made the image).
"""

import struct
import zlib
from pathlib import Path

import numpy as np

from lowlight_edge.errors import InputError
from lowlight_edge.fileio.atomic import atomic_output
from lowlight_edge.fileio.inputs import regular_file
from lowlight_edge.fileio.limits import check_image_bytes, check_pixels


def to_integer(rgb: np.ndarray, bits: int) -> np.ndarray:
    """float [H, W, 3] in [0, 1] -> uint8/uint16, clipped and rounded.

    One colour plane at a time: when `rgb` is a transposed view of the network's [3, H, W] output (the
    usual case) each plane is contiguous, the float temporary is a third of the image, and only the final
    integer store is strided. About 2x faster than clipping and scaling the whole HWC view.

    >>> to_integer(np.array([[[0.0, 0.5, 1.2]]], np.float32), 8).tolist()
    [[[0, 128, 255]]]
    """
    if bits not in (8, 16):
        raise InputError(f"PNG bit depth must be 8 or 16, got {bits}")
    peak = float((1 << bits) - 1)
    out = np.empty(rgb.shape, dtype=np.uint8 if bits == 8 else np.uint16)
    for c in range(rgb.shape[-1]):
        plane = np.multiply(rgb[..., c], peak, dtype=np.float32)
        np.clip(plane, 0.0, peak, out=plane)
        np.rint(plane, out=plane)
        out[..., c] = plane
    return out


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
IHDR_END = 8 + 4 + 4 + 13 + 4  # signature, then IHDR's length, type, 13 bytes of data and CRC
SRGB_CHUNKS = (
    (b"sRGB", bytes([0])),  # rendering intent: perceptual
    (b"gAMA", struct.pack(">I", 45455)),  # 1 / 2.2, as the specification pairs with sRGB
    (b"cHRM", struct.pack(">8I", 31270, 32900, 64000, 33000, 30000, 60000, 15000, 6000)),  # D65 white, sRGB primaries
)
TEXT_LIMIT = 512  # characters of one text value: metadata, not a document


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def text_chunk(keyword: str, value: str) -> bytes:
    """A tEXt chunk; both are Latin-1 printable (anything else, e.g. a control character from a file, becomes ?)."""
    key = _latin1(keyword, 79).strip() or "Comment"
    return png_chunk(b"tEXt", key.encode("latin-1") + b"\0" + _latin1(value, TEXT_LIMIT).encode("latin-1"))


def _latin1(text: str, limit: int) -> str:
    return "".join(c if (32 <= ord(c) <= 126 or 161 <= ord(c) <= 255) else "?" for c in str(text)[:limit])


def tag_png(data: bytes, text: dict[str, str] | None = None) -> bytes:
    """PNG bytes with the sRGB chunks and `text` inserted after the header (before any image data)."""
    if data[:8] != PNG_SIGNATURE or data[12:16] != b"IHDR":
        raise InputError("not a PNG stream to tag")
    extra = b"".join(png_chunk(kind, body) for kind, body in SRGB_CHUNKS)
    extra += b"".join(text_chunk(k, v) for k, v in (text or {}).items())
    return data[:IHDR_END] + extra + data[IHDR_END:]


def encode_png(pixels: np.ndarray, level: int = 1, text: dict[str, str] | None = None) -> bytes:
    """uint8/uint16 RGB [H, W, 3] -> PNG bytes (`level` 0 stored, 1 fast .. 9 smallest), tagged sRGB, with `text`."""
    import imagecodecs

    if pixels.dtype not in (np.uint8, np.uint16) or pixels.ndim != 3 or pixels.shape[-1] != 3:
        raise InputError(f"PNG pixels must be uint8 or uint16 [H, W, 3], got {pixels.dtype} {list(pixels.shape)}")
    if not 0 <= level <= 9:
        raise InputError(f"PNG compression level must be 0 to 9, got {level}")
    stored = level == 0  # nothing to compress: filtering would only cost time
    data = imagecodecs.png_encode(np.ascontiguousarray(pixels), level=level,
                                  filter=imagecodecs.PNG.FILTER.NONE if stored else imagecodecs.PNG.FILTER.SUB,
                                  strategy=imagecodecs.PNG.STRATEGY.RLE)
    return tag_png(bytes(data), text)


def write_png(path: Path, image: np.ndarray, bits: int = 8, force: bool = False, level: int = 1,
              text: dict[str, str] | None = None) -> Path:
    """Write float RGB in [0, 1] (rounded to `bits`) or integer pixels (uint8/uint16, written as they are), tagged
    sRGB, with `text` as tEXt chunks."""
    pixels = image if image.dtype in (np.uint8, np.uint16) else to_integer(image, bits)
    data = encode_png(pixels, level, text)
    with atomic_output(path, force) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def read_png(path: Path) -> np.ndarray:
    """float32 RGB [H, W, 3] in [0, 1] from an 8- or 16-bit PNG (grey and alpha are converted).

    Before a row is decoded, the result's size is checked against the pixel and byte limits and the compressed
    data is inflated once in bounded pieces, counted and dropped (pypng inflates each IDAT chunk whole: 1 MB can
    inflate to 1 GiB); then rows are converted into the result one at a time."""
    import png

    path = regular_file(path, "image")
    try:
        reader = png.Reader(filename=str(path))
        reader.preamble()  # the header only
        w, h = reader.width, reader.height
        check_pixels(w, h, path)
        check_image_bytes(w * h * 3 * 4, w, h, path)
        _check_inflated_size(path, h * (1 + -(-w * reader.planes * reader.bitdepth // 8)))
        w, h, rows, info = reader.asDirect()  # after the header read above: rows decode lazily
        image = np.empty((h, w, 3), np.float32)
        colours = 3 if info["planes"] >= 3 else 1  # RGB (+ alpha): 3; grey (+ alpha): 1, broadcast to RGB
        decoded = 0
        for y, row in enumerate(rows):
            if y >= h:
                raise ValueError(f"more than the {h} rows its header declares")
            image[y] = np.asarray(row).reshape(w, info["planes"])[:, :colours]
            decoded = y + 1
        if decoded != h:
            raise ValueError(f"{decoded} of the {h} rows its header declares")
    except (png.Error, ValueError, OSError, EOFError, MemoryError) as exc:  # EOFError: empty or truncated file
        raise InputError(f"{path} is not a readable PNG ({type(exc).__name__}: {exc})") from exc
    image /= np.float32((1 << info["bitdepth"]) - 1)
    return image


INFLATE_PIECE = 1 << 20


def _check_inflated_size(path: Path, raw_bytes: int) -> None:
    """Refuse image data that inflates to more than the image holds (2x its filtered rows: interlacing adds filter
    bytes), counting 1 MiB at a time and keeping none of it."""
    import zlib

    import png

    allowed, inflated = 2 * raw_bytes + 1024, 0
    inflater = zlib.decompressobj()
    for kind, data in png.Reader(filename=str(path)).chunks():
        if kind == b"IEND":
            break
        if kind != b"IDAT":
            continue
        while data and not inflater.eof:
            inflated += len(inflater.decompress(data, INFLATE_PIECE))
            data = inflater.unconsumed_tail
            if inflated > allowed:
                raise InputError(f"{path}'s image data inflates to more than {allowed:,} bytes, though its header "
                                 f"declares {raw_bytes:,} (a deflate bomb); refused")
