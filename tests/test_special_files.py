"""FIFOs, devices and folders named like input files are refused in one line, before anything opens them.

Each case runs the real CLI in a child process with a timeout: a read that blocks on a FIFO would hang it.
"""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes need a POSIX system")


@pytest.fixture
def special(tmp_path):
    def make(name: str, kind: str) -> Path:
        path = tmp_path / name
        if kind == "fifo":
            os.mkfifo(path)
        elif kind == "folder":
            path.mkdir()
        return path

    return make


def _cli(*args, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lowlight_edge", *map(str, args)], capture_output=True, text=True,
                          timeout=120, cwd=cwd)


@pytest.mark.parametrize("kind", ["fifo", "folder"])
@pytest.mark.parametrize("name, argv", [
    ("m.onnx", lambda p, t: ["bench", p, "--shape", "16x16", "--no-progress"]),
    ("m.onnx", lambda p, t: ["check", p]),
    ("m.onnx", lambda p, t: ["quantize", "fp16", p, "-o", t / "out.onnx"]),
    ("m.safetensors", lambda p, t: ["export", p, "-o", t / "out.onnx"]),
    ("10001_00_0.1s.ARW", lambda p, t: ["inspect", p]),
    ("10001_00_0.1s.ARW", lambda p, t: ["enhance", p, "-o", t / "png"]),
    ("a.png", lambda p, t: ["metrics", p, p]),
    ("list.txt", lambda p, t: ["validate", "--reference", p, "--candidate", p, "--sid", p]),
    ("r.json", lambda p, t: ["report", p]),
])
def test_a_special_file_is_refused_in_one_line(special, tmp_path, name, argv, kind):
    path = special(name, kind)
    args = argv(path, tmp_path)
    done = _cli(*args)
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2 and "Traceback" not in done.stderr
    if kind == "folder" and args[0] == "enhance":  # a folder is an input enhance takes: it holds no RAW file
        assert "no RAW files" in lines[-1]
    else:
        assert "not a regular file" in lines[-1] and ("FIFO" in lines[-1] or "folder" in lines[-1])


def test_special_files_in_scanned_folders_are_passed_over(special, tmp_path, tiny_onnx):
    frames = tmp_path / "npy"
    frames.mkdir()
    np.save(frames / "a.npy", np.zeros((4, 32, 32), np.float32))
    os.mkfifo(frames / "b.npy")  # np.load would block on it
    done = _cli("quantize", "fp16", tiny_onnx, "-o", tmp_path / "h.onnx", "--calib", frames, "--calib-shape", "32x32")
    assert done.returncode == 0 and "calibration: 1 frames" in done.stderr


def test_a_special_calibration_cache_is_refused_before_the_quantizer_writes_to_it(special, tmp_path, tiny_onnx):
    cache = special("cache.json", "fifo")
    done = _cli("quantize", "int8", tiny_onnx, "-o", tmp_path / "q.onnx", "--calib", "synthetic:1", "--calib-shape",
                "32x32", "--calib-cache", cache)
    assert done.returncode == 2 and "calibration cache" in done.stderr and "FIFO" in done.stderr
    assert not (tmp_path / "q.onnx").exists()


def _linked_folder(tmp_path, name: str, target: Path) -> Path:
    folder = tmp_path / "scanned"
    folder.mkdir(exist_ok=True)
    (folder / name).symlink_to(target)
    return folder


@pytest.mark.parametrize("name, argv", [
    ("10001_00_0.1s.dng", lambda folder, t: ["enhance", folder, "-o", t / "png"]),
    ("frame.npy", lambda folder, t: ["quantize", "int8", t / "m.onnx", "-o", t / "q.onnx", "--calib", folder]),
])
def test_a_link_leading_out_of_a_scanned_folder_is_refused_in_one_line(tmp_path, tiny_onnx, name, argv):
    secret = tmp_path / "elsewhere" / name
    secret.parent.mkdir()
    np.save(secret.with_suffix(".npy"), np.zeros((4, 16, 16), np.float32))
    secret.with_suffix(".npy").rename(secret)
    (tmp_path / "m.onnx").write_bytes(tiny_onnx.read_bytes())
    folder = _linked_folder(tmp_path, name, secret)
    done = _cli(*argv(folder, tmp_path))
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "leads outside" in lines[-1] and "refused" in lines[-1]
    assert not (tmp_path / "png").exists() and not (tmp_path / "q.onnx").exists()


def test_links_inside_a_scanned_folder_and_links_named_directly_are_followed(tmp_path):
    from lowlight_edge.engines.enhance_files import collect_inputs

    folder = tmp_path / "scanned"
    folder.mkdir()
    (folder / "real").mkdir()
    original = folder / "real" / "10001_00_0.1s.dng"
    original.write_bytes(b"x")
    (folder / "10002_00_0.1s.dng").symlink_to(original)
    outside = tmp_path / "10003_00_0.1s.dng"
    outside.write_bytes(b"x")
    direct = tmp_path / "named.dng"
    direct.symlink_to(outside)
    assert collect_inputs([folder, direct]) == [folder / "10002_00_0.1s.dng", direct]
