"""The direct DNG reader agrees with LibRaw on the same files, and leaves every file it does not fully understand
to LibRaw. LibRaw (through rawpy) is the independent reference."""

from pathlib import Path

import numpy as np
import pytest
import tifffile

from lowlight_edge.errors import InputError
from lowlight_edge.raw.cfa import PHASES
from lowlight_edge.raw.dng import write_dng
from lowlight_edge.raw.dng_plain import read_plain_dng
from lowlight_edge.raw.reader import _frame_from, open_raw, read_raw

BLACK = (512, 506, 519, 509)


def _libraw(path: Path):
    with open_raw(path) as raw:
        return _frame_from(raw, path)


@pytest.mark.parametrize("phase", PHASES)
def test_plain_dng_frames_equal_libraw_frames_for_every_phase(tmp_path, phase):
    bayer = np.random.default_rng(PHASES.index(phase)).integers(0, 16384, (61, 93)).astype(np.uint16)  # odd sizes
    path = write_dng(tmp_path / f"{phase}.dng", bayer, phase, BLACK, 16383, exposure_s=0.04, iso=3200)
    fast, reference = read_plain_dng(path), _libraw(path)
    assert fast is not None
    assert np.array_equal(fast.bayer, reference.bayer) and fast.bayer.shape == (60, 92)
    for field in ("phase", "black", "white", "exposure_s", "camera", "raw_size", "visible_size"):
        assert getattr(fast, field) == getattr(reference, field), field
    assert read_raw(path).black == reference.black


def _tagged_dng(path: Path, extra: list) -> Path:
    bayer = np.full((32, 32), 900, np.uint16)
    tags = [(33421, "H", 2, (2, 2), True), (33422, "B", 4, (0, 1, 1, 2), True), (50706, "B", 4, (1, 4, 0, 0), True),
            (50714, "I", 1, 512, True), (50717, "I", 1, 16383, True), *extra]
    tifffile.imwrite(path, bayer, photometric=32803, extratags=tags, metadata=None)
    return path


@pytest.mark.parametrize("extra", [
    [(50712, "H", 4, (0, 1000, 2000, 65535), True)],  # LinearizationTable: LibRaw maps the values
    [(50829, "I", 4, (2, 2, 30, 30), True)],  # ActiveArea: LibRaw shows another area
])
def test_dngs_with_tags_that_change_what_libraw_reads_are_left_to_libraw(tmp_path, extra):
    assert read_plain_dng(_tagged_dng(tmp_path / "t.dng", extra)) is None


def test_the_control_without_those_tags_is_read_directly(tmp_path):
    frame = read_plain_dng(_tagged_dng(tmp_path / "t.dng", []))
    assert frame is not None and frame.phase == "RGGB" and frame.black == (512.0,) * 4


def test_a_file_tifffile_cannot_parse_goes_to_libraw_for_its_error(tmp_path):
    path = tmp_path / "junk.dng"
    path.write_bytes(b"II*\x00" + b"\xff" * 64)
    assert read_plain_dng(path) is None
    with pytest.raises(Exception, match="junk.dng"):
        read_raw(path)


def test_a_small_dng_claiming_a_large_frame_is_declined_before_anything_is_allocated(tmp_path):
    path = _tagged_dng(tmp_path / "claims.dng", [])
    assert read_plain_dng(path) is not None  # control: the honest file is read directly
    with tifffile.TiffFile(path, mode="r+") as tif:  # now claim 10000 x 10000 (100 Mpx, under the pixel limit)
        tif.pages[0].tags[256].overwrite(10000)
        tif.pages[0].tags[257].overwrite(10000)
    assert path.stat().st_size < 4096 and read_plain_dng(path) is None
    with pytest.raises(InputError, match="claims.dng is truncated or corrupt"):
        read_raw(path)
