"""The SID layout end to end, with a miniature dataset of DNG files in SID's folders and naming."""

import json

import numpy as np
import pytest

from lowlight_edge.cli import main
from lowlight_edge.raw.dng import write_dng
from lowlight_edge.raw.sensor import SensorModel, mosaic, simulate_short_exposure, srgb_to_linear
from lowlight_edge.raw.sid import ground_truth, parse_sid_list


@pytest.fixture(scope="module")
def sid_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("SID")
    rng = np.random.default_rng(0)
    sensor = SensorModel(iso=800)
    lines = []
    for scene in (10003, 10006):
        y, x = np.mgrid[0:96, 0:128] / 128
        clean = np.clip(np.stack([0.5 + 0.4 * np.sin(7 * x + scene), 0.4 + 0.3 * np.cos(5 * y), 0.3 + 0.2 * x], 2), 0, 1)
        long_raw = np.round(sensor.black + mosaic(srgb_to_linear(clean), "RGGB") * (sensor.white - sensor.black))
        write_dng(root / "Sony" / "long" / f"{scene}_00_10s.ARW", long_raw.astype(np.uint16), "RGGB", sensor.black,
                  sensor.white, exposure_s=10)
        short = simulate_short_exposure(clean, 100, sensor, "RGGB", rng)
        write_dng(root / "Sony" / "short" / f"{scene}_00_0.1s.ARW", short, "RGGB", sensor.black, sensor.white,
                  exposure_s=0.1)
        lines.append(f"./Sony/short/{scene}_00_0.1s.ARW ./Sony/long/{scene}_00_10s.ARW ISO800 F8")
    (root / "Sony_test_list.txt").write_text("\n".join(lines) + "\n")
    return root


def test_ground_truth_is_the_rendered_long_exposure(sid_root):
    pairs = parse_sid_list(sid_root / "Sony_test_list.txt")
    assert [p.ratio for p in pairs] == [100.0, 100.0]
    truth = ground_truth(pairs[0].long)
    assert truth.shape == (96, 128, 3) and truth.dtype == np.float32 and 0 <= truth.min() and truth.max() <= 1
    # the settings the docs state (SID's scripts): camera white balance, no auto-brightness, 16 bits, full size
    import rawpy

    with rawpy.imread(str(pairs[0].long)) as raw:
        documented = raw.postprocess(use_camera_wb=True, no_auto_bright=True, output_bps=16) / 65535.0
    assert np.array_equal(truth, documented.astype(np.float32))
    with rawpy.imread(str(pairs[0].long)) as raw:  # the control: a linear (not sRGB) rendering is told apart
        linear = raw.postprocess(use_camera_wb=True, no_auto_bright=True, output_bps=16, gamma=(1, 1)) / 65535.0
    assert np.abs(truth - linear).max() > 0.05


def test_validate_on_a_sid_list(sid_root, tiny_checkpoint, tiny_onnx, tmp_path):
    code = main(["validate", "--reference", str(tiny_checkpoint), "--candidate", str(tiny_onnx), "--sid",
                 str(sid_root / "Sony_test_list.txt"), "--json", str(tmp_path / "r.json")])
    assert code == 0
    doc = json.loads((tmp_path / "r.json").read_text())
    reference, candidate = doc["models"]
    assert reference["images"] == candidate["images"] == 2
    assert all(np.isfinite(m["psnr_vs_gt"]["mean"]) and 0 < m["psnr_vs_gt"]["mean"] < 60 for m in doc["models"])
    assert candidate["lpips_drift"]["mean"] < 0.01  # ONNX of the same checkpoint: no drift on the SID frames


def test_train_on_a_sid_list(sid_root, tmp_path):
    out = tmp_path / "sid.safetensors"
    assert main(["train", "-o", str(out), "--sid", str(sid_root / "Sony_test_list.txt"), "--width", "4",
                 "--steps", "2", "--batch", "2", "--patch", "32", "--validate-every", "2"]) == 0
    report = json.loads(out.with_suffix(".json").read_text())
    assert report["data"].startswith("SID list") and report["steps_done"] == 2


def test_a_sid_list_is_read_one_line_at_a_time(tmp_path):
    """A reader that takes 16 pairs checks 16 lines: a broken 17th line (or a million more) is never reached."""
    from itertools import islice

    from lowlight_edge.errors import InputError
    from lowlight_edge.raw.sid import count_sid_pairs, iter_sid_list, parse_sid_list

    good = "./Sony/short/10003_00_0.04s.ARW ./Sony/long/10003_00_10s.ARW ISO200 F9\n"
    path = tmp_path / "list.txt"
    path.write_text(good * 16 + "../../etc/passwd ./Sony/long/10003_00_10s.ARW\n" + good * 1000)
    assert len(list(islice(iter_sid_list(path), 16))) == 16
    assert count_sid_pairs(path) == 1017  # counted without being checked
    with pytest.raises(InputError, match="list.txt:17: path '../../etc/passwd' leaves the dataset root"):
        parse_sid_list(path)  # the whole list is still checked by those who read it whole
