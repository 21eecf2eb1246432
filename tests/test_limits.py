"""Declared sizes are checked before decoding; lists and JSON files are checked before they are read."""

import json
import resource
import struct
import subprocess
import sys
import zlib

import numpy as np
import pytest

MEMORY_LIMIT = 2 * 2**30  # a 20000 x 20000 RGB float image alone would take 4.8 GB


def _png_claiming(width: int, height: int) -> bytes:
    """A valid PNG header declaring width x height, with a few bytes of (truncated) image data."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 4096))
            + chunk(b"IEND", b""))


def _cli(*args, env_extra=None):
    import os

    env = {**os.environ, **(env_extra or {})}
    return subprocess.run([sys.executable, "-m", "lowlight_edge", *map(str, args)], capture_output=True, text=True,
                          timeout=120, env=env,
                          preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT)))


def test_a_png_declaring_a_huge_image_is_refused_before_decoding(tmp_path):
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(_png_claiming(20000, 20000))
    done = _cli("metrics", bomb, bomb, "--json")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "declares 20000x20000 pixels, more than the 200,000,000 allowed" in done.stderr.strip().splitlines()[-1]


def test_the_pixel_limit_is_raised_by_its_variable_and_checked(tmp_path):
    from lowlight_edge.errors import InputError
    from lowlight_edge.fileio.limits import check_pixels

    check_pixels(4256, 2848, "a Sony frame")
    with pytest.raises(InputError, match="LOWLIGHT_EDGE_MAX_PIXELS"):
        check_pixels(20000, 20000, "x")
    small = tmp_path / "small.png"
    small.write_bytes(_png_claiming(16, 16))
    done = _cli("metrics", small, small, env_extra={"LOWLIGHT_EDGE_MAX_PIXELS": "many"})
    assert done.returncode == 2 and "must be a whole number" in done.stderr


def test_a_huge_list_or_json_is_refused_before_it_is_read(tmp_path):
    sid_list = tmp_path / "Sony_test_list.txt"
    sid_list.write_text("./Sony/short/10003_00_0.04s.ARW ./Sony/long/10003_00_10s.ARW ISO200 F9\n" * 200)
    report = tmp_path / "r.json"
    report.write_text(json.dumps({"schema": "x", "records": ["y" * 5000]}))
    small = {"LOWLIGHT_EDGE_MAX_TEXT_BYTES": "4096"}
    done = _cli("validate", "--reference", "a.onnx", "--candidate", "a.onnx", "--sid", sid_list, env_extra=small)
    assert done.returncode == 2 and "SID list" in done.stderr and "more than the 4,096 allowed" in done.stderr
    done = _cli("report", report, env_extra=small)
    assert done.returncode == 2 and "benchmark result" in done.stderr and "more than the 4,096 allowed" in done.stderr


def _png_header(width: int, height: int, bits: int, colour_type: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, bits, colour_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 4096))
            + chunk(b"IEND", b""))


def test_a_png_under_the_pixel_limit_is_refused_by_the_bytes_it_decodes_to(tmp_path):
    # issue #29 item 3: 14000 x 14000 16-bit RGBA (196 Mpx, under the 200 Mpx limit) reached 4.7 GB in `metrics`
    bomb = tmp_path / "rgba16.png"
    bomb.write_bytes(_png_header(14000, 14000, 16, 6))
    done = _cli("metrics", bomb, bomb, "--json")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert ("(14000x14000) decodes to 2,352,000,000 bytes, more than the 1,073,741,824 allowed "
            "($LOWLIGHT_EDGE_MAX_IMAGE_BYTES raises the limit)") in done.stderr.strip().splitlines()[-1]


def test_the_image_byte_limit_is_raised_by_its_variable(tmp_path, monkeypatch):
    from lowlight_edge.errors import InputError
    from lowlight_edge.fileio.png import read_png, write_png

    path = write_png(tmp_path / "i.png", np.full((20, 30, 3), 0.5, np.float32))
    monkeypatch.setenv("LOWLIGHT_EDGE_MAX_IMAGE_BYTES", str(20 * 30 * 12 - 1))
    with pytest.raises(InputError, match=r"\(30x20\) decodes to 7,200 bytes, more than the 7,199 allowed"):
        read_png(path)
    monkeypatch.setenv("LOWLIGHT_EDGE_MAX_IMAGE_BYTES", str(20 * 30 * 12))  # control: exactly enough
    assert read_png(path).shape == (20, 30, 3)


def test_a_png_whose_data_inflates_past_its_header_is_refused_in_bounded_memory(tmp_path):
    # issue #29 item 3: a 1 MB PNG declaring 100 x 100 whose one IDAT chunk inflates to 1 GiB; pypng inflates a
    # chunk whole (2 GB held), so the reader counts the inflated bytes first, 1 MiB at a time
    inflater = zlib.compressobj(9)
    payload = b"".join(inflater.compress(bytes(1 << 24)) for _ in range(64)) + inflater.flush()
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(_png_header(100, 100, 8, 2).replace(_idat(zlib.compress(b"\0" * 4096)), _idat(payload)))
    assert bomb.stat().st_size < 2**21
    done = _cli("metrics", bomb, bomb, "--json")  # under a 2 GiB address-space limit
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert ("bomb.png's image data inflates to more than 61,224 bytes, though its header declares 30,100 "
            "(a deflate bomb); refused") in done.stderr.strip().splitlines()[-1]


def _idat(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + b"IDAT" + data + struct.pack(">I", zlib.crc32(b"IDAT" + data) & 0xFFFFFFFF)


@pytest.mark.parametrize("planes", [1, 2, 3, 4], ids=["grey", "grey-alpha", "rgb", "rgba"])
@pytest.mark.parametrize("bits", [8, 16])
def test_png_rows_decode_to_the_written_values(tmp_path, planes, bits):
    import png

    from lowlight_edge.fileio.png import read_png

    h, w = 60, 80
    values = np.random.default_rng(planes).integers(0, 1 << bits, (h, w, planes)).astype(f"u{bits // 8}")
    path = tmp_path / "p.png"
    with open(path, "wb") as out:  # written by pypng's writer, read back by the reader under test
        png.Writer(w, h, greyscale=planes < 3, alpha=planes in (2, 4), bitdepth=bits).write(
            out, values.reshape(h, w * planes))
    rgb = values[..., :3] if planes >= 3 else np.repeat(values[..., :1], 3, axis=2)
    assert np.array_equal(read_png(path), rgb.astype(np.float32) / ((1 << bits) - 1))
