import json

import numpy as np
import pytest

from lowlight_edge.cli import main
from lowlight_edge.errors import InputError, ModelError
from lowlight_edge.fileio.png import read_png
from lowlight_edge.raw.padded_inference import enhance_packed
from lowlight_edge.raw.synth_frames import write_frames


def _scene(h, w, seed=0):
    """A smooth colourful test scene (sRGB in [0, 1])."""
    y, x = np.mgrid[0:h, 0:w] / max(h, w)
    rng = np.random.default_rng(seed)
    base = np.stack([0.5 + 0.4 * np.sin(6 * x + rng.random()), 0.5 + 0.4 * np.cos(5 * y), 0.5 + 0.3 * np.sin(4 * (x + y))], 2)
    return np.clip(base, 0, 1).astype(np.float32)


@pytest.fixture(scope="module")
def frames(tmp_path_factory):
    folder = tmp_path_factory.mktemp("frames")
    return write_frames(folder, {"a": _scene(64, 96), "b": _scene(40, 72, 1), "c": _scene(50, 34, 2), "d": _scene(32, 32, 3)})


def test_synthetic_frames_cover_every_phase_and_carry_truth(frames):
    assert sorted(f.phase for f in frames) == ["BGGR", "GBRG", "GRBG", "RGGB"]
    for f in frames:
        assert f.dng.exists() and read_png(f.truth).shape[2] == 3


@pytest.mark.parametrize("bits", [8, 16])
def test_enhance_writes_full_resolution_png(frames, tiny_checkpoint, tmp_path, bits):
    out = tmp_path / "out"
    assert main(["enhance", str(frames[0].dng), "-o", str(out), "--model", str(tiny_checkpoint), "--bits", str(bits)]) == 0
    image = read_png(out / f"{frames[0].dng.stem}.png")
    assert image.shape == (64, 96, 3)


def test_enhance_any_size_including_odd_packed_sizes(frames, tiny_onnx, tmp_path):
    # 50x34 raw -> 25x17 packed: padded to 32x32 for the network, cropped back
    out = tmp_path / "out"
    assert main(["enhance", str(frames[2].dng), "-o", str(out), "--model", str(tiny_onnx)]) == 0
    assert read_png(out / f"{frames[2].dng.stem}.png").shape == (50, 34, 3)


def test_pytorch_and_onnx_runtime_outputs_agree(frames, tiny_checkpoint, tiny_onnx, tmp_path):
    folder = frames[0].dng.parent
    for name, model in (("torch", tiny_checkpoint), ("ort", tiny_onnx)):
        assert main(["enhance", str(folder), "-o", str(tmp_path / name), "--model", str(model), "--bits", "16"]) == 0
    for f in frames:
        a = read_png(tmp_path / "torch" / f"{f.dng.stem}.png")
        b = read_png(tmp_path / "ort" / f"{f.dng.stem}.png")
        assert np.abs(a - b).max() <= 2 / 65535  # within one or two 16-bit steps


def test_ratio_comes_from_the_sid_style_name(frames, tiny_onnx, tmp_path, capsys):
    assert main(["enhance", str(frames[1].dng), "-o", str(tmp_path), "--model", str(tiny_onnx)]) == 0
    assert f"ratio {frames[1].ratio:g}" in capsys.readouterr().err


def test_a_bad_file_fails_alone(frames, tiny_onnx, tmp_path, capsys):
    bad = tmp_path / "in" / "broken.ARW"
    bad.parent.mkdir()
    bad.write_bytes(b"\x00" * 100)
    out = tmp_path / "out"
    code = main(["enhance", str(bad), str(frames[0].dng), "-o", str(out), "--model", str(tiny_onnx)])
    assert code == 2
    assert "broken.ARW" in capsys.readouterr().err
    assert not (out / "broken.png").exists() and (out / f"{frames[0].dng.stem}.png").exists()


def test_enhance_refuses_to_overwrite(frames, tiny_onnx, tmp_path, capsys):
    target = tmp_path / f"{frames[0].dng.stem}.png"
    target.write_bytes(b"old")
    assert main(["enhance", str(frames[0].dng), "-o", str(tmp_path), "--model", str(tiny_onnx)]) == 2
    assert target.read_bytes() == b"old" and "--force" in capsys.readouterr().err


def test_non_finite_input_and_output_are_caught():
    packed = np.zeros((4, 16, 16), np.float32)
    packed[0, 0, 0] = np.nan
    with pytest.raises(InputError, match="1 NaN/Inf"):
        enhance_packed(lambda x: x, packed)
    with pytest.raises(ModelError, match="non-finite"):
        enhance_packed(lambda x: np.full((1, 3, 32, 32), np.inf, np.float32), np.zeros((4, 16, 16), np.float32))


def test_inspect_json_reports_what_the_reader_sees(frames, capsys):
    f = frames[1]
    assert main(["inspect", str(f.dng), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["cfa_pattern"] == f.phase
    assert info["black_levels"] == {"R": 512.0, "G1": 512.0, "B": 512.0, "G2": 512.0}
    assert info["white_level"] == 16383
    assert info["raw_size"] == [40, 72] and info["packed_size"] == [4, 20, 36]
    assert info["ratio"] == pytest.approx(f.ratio) and "SID name" in info["ratio_source"]
    assert set(info["channel_means"]) == {"R", "G1", "B", "G2"}
    assert all(0 <= v < 0.05 for v in info["channel_means"].values())  # a dark frame at ratio 1


def test_inspect_known_channel_means(tmp_path, capsys):
    from lowlight_edge.raw.cfa import channel_offsets
    from lowlight_edge.raw.dng import write_dng

    bayer = np.zeros((32, 32), np.uint16)  # LibRaw refuses frames under 22 pixels a side
    for level, (dy, dx) in zip((1000, 2000, 3000, 4000), channel_offsets("GBRG")):
        bayer[dy::2, dx::2] = level + 600
    write_dng(tmp_path / "k.dng", bayer, "GBRG", 600, 10600)
    assert main(["inspect", str(tmp_path / "k.dng"), "--json", "--ratio", "2"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["channel_means"] == pytest.approx({"R": 0.1, "G1": 0.2, "B": 0.3, "G2": 0.4})
    assert info["ratio"] == 2 and info["packing"]["R"] == {"row": 1, "col": 0}


def test_a_folder_through_a_pipeline_model_gives_the_network_models_pixels(default_onnx, tmp_path, capsys):
    import imagecodecs

    from lowlight_edge.cli import main
    from lowlight_edge.raw.dng import write_dng

    frames = tmp_path / "frames"
    for i, phase in enumerate(("RGGB", "GBRG", "BGGR")):
        bayer = np.random.default_rng(i).integers(500, 900, (70, 98)).astype(np.uint16)
        write_dng(frames / f"f{i}_00_0.1s.dng", bayer, phase, 512, 16383, exposure_s=0.1, force=True)
    pipeline = tmp_path / "m.pipeline.onnx"
    assert main(["pipeline", str(default_onnx), "-o", str(pipeline)]) == 0
    assert main(["enhance", str(frames), "-o", str(tmp_path / "host"), "--model", str(default_onnx), "--backend",
                 "ort-cpu", "--ratio", "60"]) == 0
    assert main(["enhance", str(frames), "-o", str(tmp_path / "device"), "--model", str(pipeline), "--backend",
                 "ort-cpu", "--ratio", "60"]) == 0
    assert "images/s" in capsys.readouterr().err  # `say` writes progress to stderr
    for i in range(3):
        host, device = (imagecodecs.png_decode((tmp_path / d / f"f{i}_00_0.1s.png").read_bytes()) for d in ("host", "device"))
        assert host.shape == device.shape == (70, 98, 3)
        assert np.abs(host.astype(int) - device.astype(int)).max() <= 1
    # a bit depth the pipeline was not wrapped for: one line, nothing written
    assert main(["enhance", str(frames), "-o", str(tmp_path / "sixteen"), "--model", str(pipeline), "--bits", "16"]) == 2
    assert "outputs 8-bit pixels" in capsys.readouterr().err
    assert not list((tmp_path / "sixteen").glob("*.png"))


def test_png_files_decode_to_the_pixels_written_in_8_and_16_bits(tmp_path):
    from lowlight_edge.fileio.png import read_png, write_png

    rng = np.random.default_rng(0)
    for bits, dtype in ((8, np.uint8), (16, np.uint16)):
        pixels = rng.integers(0, 1 << bits, (37, 53, 3)).astype(dtype)
        for level in (0, 1, 9):
            back = read_png(write_png(tmp_path / f"p{bits}-{level}.png", pixels, level=level))  # pypng: independent
            assert np.array_equal(np.rint(back * ((1 << bits) - 1)).astype(dtype), pixels)


def test_png_level_0_stores_and_1_compresses(frames, tiny_onnx, tmp_path):
    sizes = {}
    for level in ("0", "1"):
        out = tmp_path / level
        assert main(["enhance", str(frames[0].dng), "-o", str(out), "--model", str(tiny_onnx), "--png-level", level]) == 0
        sizes[level] = (out / f"{frames[0].dng.stem}.png").stat().st_size
        assert read_png(out / f"{frames[0].dng.stem}.png").shape == (64, 96, 3)
    assert sizes["0"] > 64 * 96 * 3 > sizes["1"]  # stored: every byte plus the chunks; level 1: smaller than the pixels
    assert np.array_equal(read_png(tmp_path / "0" / f"{frames[0].dng.stem}.png"),
                          read_png(tmp_path / "1" / f"{frames[0].dng.stem}.png"))
    with pytest.raises(SystemExit):
        main(["enhance", str(frames[0].dng), "-o", str(tmp_path / "x"), "--png-level", "10"])


def test_a_run_where_every_file_fails_leaves_nothing_and_says_so_in_one_line_each(default_onnx, tmp_path, capsys):
    import bad_files

    folder = tmp_path / "bad"
    folder.mkdir()
    source = bad_files.dng(tmp_path)
    bad_files.truncated(source, folder / "cut_00_0.1s.dng")
    bad_files.zero_byte(folder, "empty_00_0.1s.dng")
    out = tmp_path / "out" / "nested"
    assert main(["enhance", str(folder), "-o", str(out), "--ratio", "100", "--backend", "ort-cpu",
                 "--model", str(default_onnx)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    errors = [line for line in err if "error:" in line]
    assert len(errors) == 2 and err[-1] == "all 2 file(s) failed; nothing was written"
    assert not any("Unexpected end of file" in line for line in err)  # LibRaw's own message stays out
    assert not (tmp_path / "out").exists()  # not even an empty folder



HOSTILE = "Evil\x1b]0;pwned\x07\x1b[2J\nlowlight-edge: error: forged"


def test_strings_from_a_file_cannot_drive_the_terminal_or_forge_a_line(tmp_path, capsys):
    """Issue 29, item 11: a RAW file's Make/Model printed raw set the terminal title, cleared the screen and forged
    a field; a newline in an input file name forged an error line in `enhance`."""
    from lowlight_edge.raw.dng import write_dng

    bayer = np.full((32, 32), 700, np.uint16)
    path = write_dng(tmp_path / "k.dng", bayer, "RGGB", 600, 10600, make=HOSTILE, model=HOSTILE, exposure_s=0.1)
    assert main(["inspect", str(path), "--ratio", "2"]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out
    assert not any(line.startswith("lowlight-edge: error: forged") for line in out.splitlines())
    assert "Evil\\x1b]0;pwned" in out  # shown, escaped
    named = tmp_path / "bad\nlowlight-edge: error: forged.dng"
    path.rename(named)
    assert main(["enhance", str(named), "-o", str(tmp_path / "out"), "--ratio", "2"]) == 0
    err = capsys.readouterr().err
    assert "\x1b" not in err and not any(line.startswith("lowlight-edge: error: forged") for line in err.splitlines())
    assert "bad\\nlowlight-edge: error: forged.dng" in err


def test_tables_escape_every_cell_and_keep_their_rows():
    from tabulate import tabulate

    from lowlight_edge.fileio.terminal import safe_table

    rows = [[HOSTILE, "ort-cpu", 1.5], ["model.onnx", "ov-cpu", 2.0]]
    table = safe_table(rows, headers=["model", "backend", "ms"])
    assert "\x1b" not in table and len(table.splitlines()) == 4  # header, rule, two rows
    assert len(tabulate(rows, headers=["model", "backend", "ms"]).splitlines()) > 4  # the control: raw cells break rows
