"""Declared sizes are checked before decoding; lists and JSON files are checked before they are read."""

import json
import resource
import struct
import subprocess
import sys
import zlib

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
