"""DNG writing and reading, the sensor model, SID lists and ratios, and bad RAW files."""

import numpy as np
import pytest
import rawpy

from lowlight_edge.errors import InputError
from lowlight_edge.raw.cfa import PHASES
from lowlight_edge.raw.dng import write_dng
from lowlight_edge.raw.ratio import exposure_from_name, resolve_ratio, sid_ratio
from lowlight_edge.raw.reader import read_raw
from lowlight_edge.raw.sensor import SensorModel, mosaic, simulate_short_exposure, srgb_to_linear
from lowlight_edge.raw.sid import parse_sid_list

BLACK = (510, 511, 513, 514)  # R, G1, B, G2: distinct, so a mix-up shows


@pytest.mark.parametrize("phase", PHASES)
def test_dng_round_trip_is_bit_identical_with_metadata(tmp_path, phase):
    bayer = np.random.default_rng(0).integers(0, 16384, (48, 64), dtype=np.uint16)
    path = write_dng(tmp_path / f"{phase}.dng", bayer, phase, BLACK, 16383, exposure_s=0.04, iso=3200)
    frame = read_raw(path)
    assert frame.phase == phase
    assert frame.black == tuple(float(b) for b in BLACK)
    assert frame.white == 16383
    assert frame.exposure_s == pytest.approx(0.04)
    np.testing.assert_array_equal(frame.bayer, bayer)
    with rawpy.imread(str(path)) as raw:  # also straight through LibRaw
        np.testing.assert_array_equal(raw.raw_image_visible, bayer)


@pytest.mark.parametrize("phase", PHASES)
def test_same_scene_packs_identically_from_every_phase(tmp_path, phase):
    rng = np.random.default_rng(3)
    rgb = rng.random((32, 32, 3))
    bayer = np.round(512 + mosaic(rgb, phase) * 15000).astype(np.uint16)
    frame = read_raw(write_dng(tmp_path / "f.dng", bayer, phase, 512, 16383))
    packed = frame.pack(1.0)
    # R plane of the packed frame holds the scene's red samples wherever the sensor put them
    from lowlight_edge.raw.cfa import channel_offsets

    (ry, rx), (by, bx) = channel_offsets(phase)[0], channel_offsets(phase)[2]
    np.testing.assert_allclose(packed[0], np.round(512 + rgb[ry::2, rx::2, 0] * 15000 - 512) / 15871, atol=1e-6)
    np.testing.assert_allclose(packed[2], np.round(512 + rgb[by::2, bx::2, 2] * 15000 - 512) / 15871, atol=1e-6)


def test_odd_sized_raw_is_cropped_to_even(tmp_path):
    bayer = np.full((33, 47), 1000, np.uint16)
    frame = read_raw(write_dng(tmp_path / "odd.dng", bayer, "RGGB", 512, 16383))
    assert frame.visible_size == (33, 47) and frame.bayer.shape == (32, 46)
    assert frame.pack().shape == (4, 16, 23)


def test_sensor_noise_statistics_match_the_model():
    sensor = SensorModel(iso=1600)
    level = 0.18  # linear mid grey
    srgb = np.full((200, 200, 3), float(np.clip(1.055 * level ** (1 / 2.4) - 0.055, 0, 1)))
    ratio = 20.0
    raw = simulate_short_exposure(srgb, ratio, sensor, "RGGB", np.random.default_rng(0)).astype(np.float64)
    signal = float(srgb_to_linear(srgb[0, 0, 0])) * (sensor.white - sensor.black) / ratio
    assert raw.mean() - sensor.black == pytest.approx(signal, rel=0.01)
    assert raw.var() == pytest.approx(sensor.noise_variance(signal) + 1 / 12, rel=0.05)  # + rounding


def test_noise_grows_with_iso():
    low, high = SensorModel(iso=400), SensorModel(iso=6400)
    assert high.gain > low.gain and high.read_noise > low.read_noise
    assert high.noise_variance(100.0) > low.noise_variance(100.0)


def test_sid_list_pairs_and_ratios(tmp_path):
    (tmp_path / "Sony" / "short").mkdir(parents=True)
    listing = tmp_path / "Sony_test_list.txt"
    listing.write_text("./Sony/short/10003_00_0.04s.ARW ./Sony/long/10003_00_10s.ARW ISO200 F9\n"
                       "./Sony/short/10006_00_0.1s.ARW ./Sony/long/10006_00_10s.ARW ISO100 F8\n"
                       "./Sony/short/10011_00_0.033s.ARW ./Sony/long/10011_00_30s.ARW ISO800 F4\n")
    pairs = parse_sid_list(listing)
    assert [p.ratio for p in pairs] == [250.0, 100.0, 300.0]  # the last is capped
    assert pairs[0].short == (tmp_path / "Sony/short/10003_00_0.04s.ARW").resolve()
    assert pairs[0].iso == "ISO200" and pairs[0].aperture == "F9"


@pytest.mark.parametrize("bad", ["../outside/1_00_0.1s.ARW ./Sony/long/1_00_10s.ARW",
                                 "/etc/1_00_0.1s.ARW ./Sony/long/1_00_10s.ARW",
                                 "./Sony/short/../../../x/1_00_0.1s.ARW ./Sony/long/1_00_10s.ARW"])
def test_sid_list_path_escaping_the_root_is_refused(tmp_path, bad):
    listing = tmp_path / "list.txt"
    listing.write_text(bad + " ISO200 F9\n")
    with pytest.raises(InputError, match="leaves the dataset root"):
        parse_sid_list(listing)


def test_sid_list_malformed_lines(tmp_path):
    listing = tmp_path / "list.txt"
    listing.write_text("just-one-field\n")
    with pytest.raises(InputError, match=":1: expected"):
        parse_sid_list(listing)
    listing.write_text("./a.ARW ./b.ARW\n")
    with pytest.raises(InputError, match="exposure"):
        parse_sid_list(listing)
    listing.write_text("\n# nothing\n")
    with pytest.raises(InputError, match="no image pairs"):
        parse_sid_list(listing)


def test_ratio_sources(tmp_path):
    assert exposure_from_name(tmp_path / "10019_00_0.033s.ARW") == pytest.approx(0.033)
    assert exposure_from_name(tmp_path / "IMG_0001.ARW") is None
    assert sid_ratio(0.1, 10) == 100
    assert resolve_ratio(tmp_path / "x.dng", ratio=50)[0] == 50
    assert resolve_ratio(tmp_path / "x.dng", reference_exposure=4.0, input_exposure=0.04)[0] == 100
    assert resolve_ratio(tmp_path / "10019_00_0.04s.ARW")[0] == 250
    with pytest.raises(InputError, match="--ratio"):
        resolve_ratio(tmp_path / "IMG_0001.ARW")
    with pytest.raises(InputError, match="positive"):
        resolve_ratio(tmp_path / "x.dng", ratio=-1)


def test_zero_byte_file_is_refused(tmp_path):
    path = tmp_path / "empty.ARW"
    path.write_bytes(b"")
    with pytest.raises(InputError, match="empty"):
        read_raw(path)


def test_jpeg_renamed_to_arw_is_refused(tmp_path):
    import png  # any non-RAW image will do; a real JPEG needs no extra library here

    jpeg_like = tmp_path / "photo.ARW"
    jpeg_like.write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 2000)
    with pytest.raises(InputError, match="not a RAW file"):
        read_raw(jpeg_like)
    png_file = tmp_path / "image.ARW"
    with open(png_file, "wb") as fh:
        png.Writer(8, 8, greyscale=True).write(fh, np.zeros((8, 8), np.uint8))
    with pytest.raises(InputError):
        read_raw(png_file)


def test_truncated_dng_is_refused(tmp_path):
    bayer = np.random.default_rng(0).integers(0, 16384, (256, 256), dtype=np.uint16)
    path = write_dng(tmp_path / "full.dng", bayer, "RGGB", 512, 16383)
    data = path.read_bytes()
    cut = tmp_path / "cut.dng"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match="truncated or corrupt|not a RAW file"):
        read_raw(cut)


def test_linear_demosaiced_dng_is_refused_as_non_bayer(tmp_path):
    import tifffile

    rgb = np.random.default_rng(0).integers(0, 16384, (64, 64, 3), dtype=np.uint16)
    path = tmp_path / "linear.dng"
    tags = [(50706, "B", 4, (1, 4, 0, 0), True), (50708, "s", 0, "linear test", True), (50717, "I", 1, 16383, True)]
    tifffile.imwrite(path, rgb, photometric=34892, planarconfig="contig", extratags=tags, metadata=None)  # LinearRaw
    with pytest.raises(InputError, match="not a Bayer mosaic"):
        read_raw(path)
