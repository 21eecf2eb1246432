"""Hostile and malformed input files, made on the spot for tests/test_bad_input.py."""

import pickle
import struct
from pathlib import Path

import numpy as np

XTRANS = "GGRGGBGGBGGRBRGRBGGGBGGRGGRGGBRBGBRG"  # Fujifilm's 6x6 colour filter


def dng(folder: Path, name: str = "90001_00_0.1s.dng") -> Path:
    from lowlight_edge.raw.dng import write_dng

    bayer = np.random.default_rng(0).integers(600, 16000, (64, 96), dtype=np.uint16)
    return write_dng(folder / name, bayer, "RGGB", 512, 16383, exposure_s=0.1, iso=3200, force=True)


def zero_byte(folder: Path, name: str) -> Path:
    path = folder / name
    path.write_bytes(b"")
    return path


def truncated(source: Path, target: Path) -> Path:
    data = source.read_bytes()
    target.write_bytes(data[: len(data) // 2])
    return target


def png_as_raw(folder: Path) -> Path:
    from lowlight_edge.fileio.png import write_png

    png = write_png(folder / "photo.png", np.zeros((8, 8, 3), np.float32))
    path = folder / "10001_00_0.1s.ARW"
    path.write_bytes(png.read_bytes())
    return path


def absurd_dimensions(folder: Path) -> Path:
    """A valid DNG whose header then claims a 200000 x 200000 image."""
    import tifffile

    path = dng(folder, "90002_00_0.1s.dng")
    data = bytearray(path.read_bytes())
    with tifffile.TiffFile(path) as tif:
        offsets = [tif.pages[0].tags[name].valueoffset for name in ("ImageWidth", "ImageLength")]
    for offset in offsets:
        data[offset:offset + 4] = struct.pack("<I", 200_000)
    path.write_bytes(bytes(data))
    return path


def xtrans_dng(folder: Path) -> Path:
    """An X-Trans mosaic (6x6 CFA) written as a DNG, as Adobe's converter writes Fujifilm files."""
    import tifffile

    from lowlight_edge.raw import dng as writer
    from lowlight_edge.raw.colorimetry import XYZ_TO_SRGB

    code = {"R": 0, "G": 1, "B": 2}
    matrix = tuple(v for x in XYZ_TO_SRGB.flatten() for v in writer._rational(float(x)))
    tags = [(254, "I", 1, 0, True), (271, "s", 0, "Fujifilm", True), (272, "s", 0, "X-T3 (test)", True),
            (33421, "H", 2, (6, 6), True), (33422, "B", 36, tuple(code[c] for c in XTRANS), True),
            (50706, "B", 4, (1, 4, 0, 0), True), (50707, "B", 4, (1, 1, 0, 0), True),
            (50708, "s", 0, "X-T3 (test)", True), (50710, "B", 3, (0, 1, 2), True), (50711, "H", 1, 1, True),
            (50717, "I", 1, 16383, True), (50721, "2i", 9, matrix, True), (50728, "2I", 3, (1, 1, 1, 1, 1, 1), True)]
    path = folder / "90003_00_0.1s.dng"
    bayer = np.random.default_rng(0).integers(600, 16000, (48, 48), dtype=np.uint16)
    tifffile.imwrite(path, bayer, photometric=32803, planarconfig="contig", extratags=tags, metadata=None, software=False)
    return path


def onnx_with_rgb_input(folder: Path) -> Path:
    import onnx
    from onnx import TensorProto, helper

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 3, "h", "w"])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", 3, "h", "w"])
    model = helper.make_model(helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "g", [x], [y]),
                              opset_imports=[helper.make_opsetid("", 17)])
    path = folder / "rgb.onnx"
    onnx.save(model, str(path))
    return path


class _Payload:
    """Unpickling this would create the marker file: proof that a checkpoint ran code."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def malicious_checkpoint(folder: Path, marker: Path) -> Path:
    path = folder / "evil.pt"
    path.write_bytes(pickle.dumps({"state_dict": _Payload(marker)}))
    return path


def mismatched_checkpoint(folder: Path) -> Path:
    from safetensors.numpy import save_file

    path = folder / "other.safetensors"
    save_file({"encoder.weight": np.zeros((3, 3), np.float32)}, str(path),
              metadata={"lowlight_edge.config": '{"width": 4}'})
    return path


def nan_frames(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    frame = np.ones((4, 64, 64), np.float32)
    frame[0, 3, 3] = np.nan
    np.save(folder / "frame.npy", frame)
    return folder


def sid_list_escaping(folder: Path) -> Path:
    path = folder / "Sony_test_list.txt"
    path.write_text("../../etc/10003_00_0.04s.ARW ./Sony/long/10003_00_10s.ARW ISO200 F9\n")
    return path


def dng_with_tag_values(source: Path, target: Path, code: int, numerators: list[int]) -> Path:
    """A copy of a DNG whose rational tag `code` (e.g. 50721 ColorMatrix1) has its numerators overwritten: broken
    colour metadata that no writer of this project would produce."""
    import tifffile

    data = bytearray(source.read_bytes())
    with tifffile.TiffFile(source) as tif:
        tag = tif.pages[0].tags[code]
        assert tag.dtype in (5, 10) and tag.count == len(numerators)
        offset = tag.valueoffset
    for i, value in enumerate(numerators):
        data[offset + 8 * i: offset + 8 * i + 4] = struct.pack("<i", value)
    target.write_bytes(bytes(data))
    return target


def dng_without_colour(source: Path, target: Path) -> Path:
    """A copy of a DNG whose ColorMatrix1 is renamed to a tag no reader knows: a file with no colour metadata."""
    import tifffile

    data = bytearray(source.read_bytes())
    with tifffile.TiffFile(source) as tif:
        entry = tif.pages[0].tags[50721].offset
    data[entry: entry + 2] = struct.pack("<H", 50720)  # the code sorts where 50721 did: the IFD stays ordered
    target.write_bytes(bytes(data))
    return target


def _cfa_tiff(path: Path, bayer: np.ndarray, extra: list, **options) -> Path:
    """A minimal DNG-like CFA TIFF (RGGB, black 512, white 16383) written by tifffile."""
    import tifffile

    tags = [(33421, "H", 2, (2, 2), True), (33422, "B", 4, (0, 1, 1, 2), True), (50706, "B", 4, (1, 4, 0, 0), True),
            (50714, "I", 1, 512, True), (50717, "I", 1, 16383, True), *extra]
    tifffile.imwrite(path, bayer, photometric=32803, extratags=tags, metadata=None, **options)
    return path


def retagged(path: Path, code: int, new_code: int, value: int) -> Path:
    """`path` with its IFD0 entry `code` turned into tag `new_code` holding `value` (tifffile will not write some
    tags, Predictor and SubIFDs among them, as extra tags)."""
    import tifffile

    with tifffile.TiffFile(path, mode="r+") as tif:
        tag = tif.pages[0].tags[code]
        tag.overwrite(value)
        entry = tag.offset
    data = bytearray(path.read_bytes())
    data[entry:entry + 2] = struct.pack("<H", new_code)
    path.write_bytes(bytes(data))
    return path


def subifd_flood(path: Path, count: int) -> Path:
    """A 32x32 CFA DNG (IFD0) whose SubIFDs tag lists `count` offsets, all of one small decoy IFD (4 bytes each: a
    million SubIFDs fit in 4 MB)."""
    import tifffile

    _cfa_tiff(path, np.full((32, 32), 900, np.uint16), [(65000, "I", count, (0,) * count, True)])
    with tifffile.TiffFile(path) as tif:
        listed = tif.pages[0].tags[65000]
        array_at, entry_at = listed.valueoffset, listed.offset
    data = bytearray(path.read_bytes())
    data += b"\0" * (len(data) % 2)
    pixel = len(data)
    data += b"\0\0"
    decoy = len(data)  # a 1x1 8-bit preview: NewSubfileType 1
    entries = [(254, 4, 1), (256, 3, 1), (257, 3, 1), (258, 3, 8), (259, 3, 1), (262, 3, 1), (273, 4, pixel),
               (277, 3, 1), (278, 3, 1), (279, 4, 1)]
    data += struct.pack("<H", len(entries)) + b"".join(struct.pack("<HHII", c, t, 1, v) for c, t, v in entries)
    data += struct.pack("<I", 0)
    data[array_at:array_at + 4 * count] = struct.pack(f"<{count}I", *([decoy] * count))
    data[entry_at:entry_at + 2] = struct.pack("<H", 330)  # SubIFDs
    path.write_bytes(bytes(data))
    return path


def reused_data(path: Path, tiled: bool, side: int = 1024) -> Path:
    """A CFA DNG declaring a side x side frame in 64-row strips (or 64x64 tiles) that all point at the first one's
    bytes, cut after them: a file of a few KB claiming megabytes. Written honestly first, so only the offsets lie."""
    import tifffile

    bayer = np.random.default_rng(0).integers(600, 16000, (side, side), dtype=np.uint16)
    _cfa_tiff(path, bayer, [], **(dict(tile=(64, 64)) if tiled else dict(rowsperstrip=64)))
    with tifffile.TiffFile(path) as tif:
        page = tif.pages[0]
        offsets, counts = page.dataoffsets, page.databytecounts
        offsets_at = page.tags[324 if tiled else 273].valueoffset
        counts_at = page.tags[325 if tiled else 279].valueoffset
    data = bytearray(path.read_bytes())
    data[offsets_at:offsets_at + 4 * len(offsets)] = struct.pack(f"<{len(offsets)}I", *([offsets[0]] * len(offsets)))
    end = max(offsets[0] + counts[0], offsets_at + 4 * len(offsets), counts_at + 4 * len(counts))
    path.write_bytes(bytes(data[:end]))
    return path
