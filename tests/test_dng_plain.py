"""The direct DNG reader agrees with LibRaw on the same files, and leaves every file it does not fully understand
to LibRaw. LibRaw (through rawpy) is the independent reference."""

from pathlib import Path

import numpy as np
import pytest
import tifffile

import bad_files

from lowlight_edge.errors import InputError
from lowlight_edge.raw.cfa import PHASES
from lowlight_edge.raw.dng import write_dng
from lowlight_edge.raw.dng_plain import MAX_SUBIFDS, distinct_bytes, read_plain_dng
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


def test_a_small_dng_claiming_a_large_frame_is_refused_before_anything_is_allocated(tmp_path):
    path = _tagged_dng(tmp_path / "claims.dng", [])
    assert read_plain_dng(path) is not None  # control: the honest file is read directly
    with tifffile.TiffFile(path, mode="r+") as tif:  # now claim 10000 x 10000 (100 Mpx, under the pixel limit)
        tif.pages[0].tags[256].overwrite(10000)
        tif.pages[0].tags[257].overwrite(10000)
    assert path.stat().st_size < 4096
    with pytest.raises(InputError, match="claims.dng is truncated or corrupt"):
        read_raw(path)


@pytest.mark.parametrize("tiled", [False, True], ids=["strips", "tiles"])
def test_strips_or_tiles_reusing_one_range_are_refused_by_their_distinct_bytes(tmp_path, tiled, monkeypatch):
    # issue #29 item 2: 16 strips (256 tiles) all pointing at the first one's 128 KB (8 KB): their byte counts add
    # up to the 2 MB frame, the bytes they cover do not
    path = bad_files.reused_data(tmp_path / "reused.dng", tiled)
    assert path.stat().st_size < 200_000
    with tifffile.TiffFile(path) as tif:  # control: tifffile alone would decode it, repeating the one range
        page = tif.pages[0]
        assert sum(page.databytecounts) >= 1024 * 1024 * 2 and page.asarray().shape == (1024, 1024)
    decoded = []
    monkeypatch.setattr(tifffile.TiffPage, "asarray", lambda *a, **k: decoded.append(1))
    with pytest.raises(InputError, match=r"reused.dng is truncated or corrupt: its \d+ strips/tiles hold [\d,]+ "
                                         r"distinct bytes, and its 1024x1024 frame needs 2,097,152"):
        read_raw(path)
    assert decoded == []  # refused before anything was decoded


def test_distinct_bytes_counts_each_byte_once():
    assert distinct_bytes([(0, 10), (5, 10), (100, 1), (0, 10)]) == 16
    assert distinct_bytes([(0, 4), (4, 4)]) == 8 and distinct_bytes([]) == 0
    assert distinct_bytes([(0, 100), (10, 5)]) == 100  # inside another range: nothing new


def test_a_subifd_flood_parses_only_the_first_subifds(tmp_path, monkeypatch):
    # issue #29 item 1: 300000 SubIFDs (1.2 MB) took 18.6 s and 1.1 GB when every one was parsed; 50000 here
    path = bad_files.subifd_flood(tmp_path / "flood.dng", 50_000)
    built = []
    page_class = tifffile.tifffile.TiffPage

    class CountingPage(page_class):
        def __init__(self, *args, **kwargs):
            built.append(1)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(tifffile.tifffile, "TiffPage", CountingPage)
    frame = read_raw(path)
    assert frame.bayer.shape == (32, 32) and frame.phase == "RGGB"
    assert 1 <= len(built) <= 3 * (MAX_SUBIFDS + 1)  # IFD0 and at most MAX_SUBIFDS sub-pages, in each reader
    built.clear()  # control: listing every sub-page, as the reader once did, parses all 50000
    with tifffile.TiffFile(path) as tif:
        assert len(list(tif.pages[0].pages)) == 50_000 and len(built) >= 50_000


@pytest.mark.parametrize("code, value", [(317, 2), (266, 2)], ids=["Predictor-2", "FillOrder-2"])
def test_predictor_and_fill_order_on_uncompressed_data_go_to_libraw_and_match_it(tmp_path, code, value):
    # issue #29 item 8: tifffile applies them to uncompressed samples, LibRaw does not: every pixel differed
    bayer = np.random.default_rng(1).integers(600, 16000, (64, 96), dtype=np.uint16)
    path = write_dng(tmp_path / "p.dng", bayer, "RGGB", 512, 16383)
    bad_files.retagged(path, 50711, code, value)  # CFALayout (1) becomes the tag under test
    with tifffile.TiffFile(path) as tif:  # control: tifffile's decode differs from the stored samples
        assert tif.pages[0].tags[code].value == value and not np.array_equal(tif.pages[0].asarray(), bayer)
    assert read_plain_dng(path) is None
    assert np.array_equal(read_raw(path).bayer, _libraw(path).bayer)
    assert np.array_equal(read_raw(path).bayer, bayer)  # LibRaw reads the samples as stored


def test_a_cmy_colour_filter_is_refused_not_read_as_rggb(tmp_path):
    # issue #29 item 9: LibRaw reports CFAPlaneColor cyan, magenta, yellow as RGBG
    path = write_dng(tmp_path / "cmy.dng", np.full((32, 32), 900, np.uint16), "RGGB", 512, 16383)
    with tifffile.TiffFile(path, mode="r+") as tif:
        tif.pages[0].tags[50710].overwrite((3, 4, 5))
    assert _libraw(path).phase == "RGGB"  # control: what LibRaw alone says
    with pytest.raises(InputError, match="cmy.dng: the sensor's colour filter is cyan, magenta, yellow"):
        read_raw(path)


def test_garbage_where_jpeg_data_belongs_is_one_line(tmp_path):
    # issue #29 item 9: compression "lossless JPEG" over uncompressed bytes: LibRaw decodes it without an error,
    # into zeros or into whatever its buffer held (it varies from run to run)
    bayer = np.random.default_rng(0).integers(600, 16000, (64, 96), dtype=np.uint16)
    path = write_dng(tmp_path / "jpeg.dng", bayer, "RGGB", 512, 16383)
    with tifffile.TiffFile(path, mode="r+") as tif:
        tif.pages[0].tags[259].overwrite(7)
    assert _libraw(path).bayer.shape == (64, 96)  # control: LibRaw alone returns a frame
    with pytest.raises(InputError, match="jpeg.dng is corrupt: strip/tile 0 of its lossless JPEG frame is not JPEG"):
        read_raw(path)


def test_a_mosaic_of_zeros_is_one_line_not_a_black_picture(tmp_path):
    # what LibRaw leaves of data it could not decode (issue #29 item 9); the direct reader's all-zero file stands in
    path = write_dng(tmp_path / "zeros.dng", np.zeros((32, 32), np.uint16), "RGGB", 0, 16383)
    assert not read_plain_dng(path).bayer.any()
    with pytest.raises(InputError, match="zeros.dng: the mosaic decodes to all zeros"):
        read_raw(path)
    write_dng(tmp_path / "one.dng", np.eye(32, dtype=np.uint16), "RGGB", 0, 16383)  # control: one bright pixel
    assert read_raw(tmp_path / "one.dng").bayer.sum() == 32


def test_a_lossless_jpeg_dng_as_a_camera_writes_it_reads_through_libraw_with_its_colour_and_orientation(tmp_path):
    # the control for the JPEG-marker check: a real lossless-JPEG strip (imagecodecs' encoder), a real camera's colour
    # tags (Sony ILCE-7S under incandescent light) and a portrait orientation, as a camera's compressed DNG has them
    import imagecodecs

    from lowlight_edge.raw.camera_response import camera_response
    from lowlight_edge.raw.cameras import camera

    response = camera_response(camera("sony-ilce-7s"), "A")
    bayer = np.random.default_rng(2).integers(600, 16000, (64, 96), dtype=np.uint16)
    path = write_dng(tmp_path / "camera.dng", bayer, "RGGB", 512, 16383, colour=response.tags, orientation=6)
    stream = imagecodecs.ljpeg_encode(bayer, bitspersample=16)
    path.write_bytes(path.read_bytes() + stream)  # the strip moves to the end, compressed
    with tifffile.TiffFile(path, mode="r+") as tif:
        tags = tif.pages[0].tags
        tags[273].overwrite(path.stat().st_size - len(stream))
        tags[279].overwrite(len(stream))
        tags[259].overwrite(7)
    assert read_plain_dng(path) is None  # compressed: LibRaw decodes it
    frame = read_raw(path)
    assert np.array_equal(frame.bayer, bayer) and frame.orientation == 6
    np.testing.assert_allclose(frame.colour.matrix, response.conversion().matrix, rtol=1e-3)
    np.testing.assert_allclose(frame.colour.gains, response.conversion().gains, rtol=1e-3)
