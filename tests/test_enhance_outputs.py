"""What `enhance` writes beyond the pixels: the picture turned as the file asks, and PNGs that say they are sRGB and
carry the capture metadata; and the synthetic frames real cameras' colour responses make."""

import numpy as np
import png
import pytest

from lowlight_edge.cli import main
from lowlight_edge.fileio.png import read_png
from lowlight_edge.raw.dng import write_dng
from lowlight_edge.raw.dng_colour import read_dng_colour
from lowlight_edge.raw.orientation import orient


def _chunks(path) -> tuple[list[bytes], dict[str, str]]:
    kinds, text = [], {}
    for kind, data in png.Reader(filename=str(path)).chunks():
        kinds.append(kind)
        if kind == b"tEXt":
            key, value = data.split(b"\0", 1)
            text[key.decode("latin-1")] = value.decode("latin-1")
    return kinds, text


@pytest.fixture(scope="module")
def portrait(tmp_path_factory):
    """A DNG whose Orientation says: rotate 90 degrees clockwise to show it; hostile text in its make."""
    bayer = np.random.default_rng(1).integers(600, 3000, size=(64, 96)).astype(np.uint16)
    return write_dng(tmp_path_factory.mktemp("portrait") / "90001_00_0.1s.dng", bayer, "RGGB", 512, 16383,
                     exposure_s=0.1, iso=3200, orientation=6, make="SONY\x1b]0;pwned\x07", model="ILCE-7S")


@pytest.mark.parametrize("bits", [8, 16])
def test_enhanced_pngs_say_srgb_and_carry_the_capture_metadata(portrait, tiny_onnx, tmp_path, bits):
    assert main(["enhance", str(portrait), "-o", str(tmp_path), "--model", str(tiny_onnx), "--bits", str(bits)]) == 0
    kinds, text = _chunks(tmp_path / "90001_00_0.1s.png")
    assert kinds[:2] == [b"IHDR", b"sRGB"] and b"gAMA" in kinds and b"cHRM" in kinds
    assert kinds.index(b"tEXt") < kinds.index(b"IDAT")
    assert text["Model"] == "ILCE-7S" and text["ExposureTime"] == "0.1 s" and text["ISOSpeedRatings"] == "3200"
    assert text["lowlight-edge:ratio"] == "100" and "tiny.fp32.onnx" in text["lowlight-edge:model"]
    assert text["Make"] == "SONY?]0;pwned?"  # control characters from the file never reach the PNG
    assert text["Software"].startswith("lowlight-edge")


def test_the_picture_is_turned_as_the_file_asks_unless_told_to_keep_the_sensor_layout(portrait, tiny_onnx, tmp_path,
                                                                                      capsys):
    assert main(["enhance", str(portrait), "-o", str(tmp_path / "turned"), "--model", str(tiny_onnx)]) == 0
    assert "rotated 90 clockwise" in capsys.readouterr().err
    assert main(["enhance", str(portrait), "-o", str(tmp_path / "kept"), "--model", str(tiny_onnx),
                 "--keep-sensor-orientation"]) == 0
    turned, kept = (read_png(tmp_path / name / "90001_00_0.1s.png") for name in ("turned", "kept"))
    assert kept.shape == (64, 96, 3) and turned.shape == (96, 64, 3)
    assert np.array_equal(turned, orient(kept, 6))
    assert not np.array_equal(turned, orient(kept, 8))  # control: the other way round is another picture
    assert "sensor layout kept" in _chunks(tmp_path / "kept" / "90001_00_0.1s.png")[1]["lowlight-edge:orientation"]


def test_a_folder_of_turned_frames_keeps_its_overlap_and_order(portrait, tiny_onnx, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for index, orientation in enumerate((1, 3, 6, 8)):
        bayer = np.random.default_rng(index).integers(600, 3000, size=(48, 80)).astype(np.uint16)
        write_dng(folder / f"9000{index}_00_0.1s.dng", bayer, "RGGB", 512, 16383, exposure_s=0.1,
                  orientation=orientation)
    assert main(["enhance", str(folder), "-o", str(tmp_path / "out"), "--model", str(tiny_onnx)]) == 0
    shapes = [read_png(tmp_path / "out" / f"9000{i}_00_0.1s.png").shape for i in range(4)]
    assert shapes == [(48, 80, 3), (48, 80, 3), (80, 48, 3), (80, 48, 3)]


def test_synth_writes_a_real_cameras_colour_tags(tmp_path, capsys):
    import tifffile

    assert main(["synth", "-o", str(tmp_path), "--camera", "canon-eos-r6", "--camera", "sony-ilce-7s", "--light",
                 "A", "--light", "D65"]) == 0
    dngs = sorted(tmp_path.glob("*.dng"))
    assert len(dngs) == 2  # one per held-out photograph, cycling the (camera, light) shots
    with tifffile.TiffFile(dngs[0]) as tif:
        tags = tif.pages[0].tags
        colour = read_dng_colour(tags)
        assert tags["Model"].value == "Canon EOS R6" and colour.illuminants == (17, 21)
        assert colour.as_shot_neutral[2] < 0.5  # incandescent light: the blue channel records little of white
    assert "canon-eos-r6 under A" in capsys.readouterr().err
    assert main(["synth", "-o", str(tmp_path / "x"), "--camera", "leica"]) == 2
    assert "unknown camera 'leica'" in capsys.readouterr().err
    assert main(["synth", "-o", str(tmp_path / "x"), "--light", "purple"]) == 2
    assert "unknown illuminant" in capsys.readouterr().err
