"""Atomic outputs: concurrent writers never produce a mixed file, and Ctrl-C leaves nothing half-written."""

import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lowlight_edge.fileio.atomic import atomic_output, write_bytes

SIZE = 4 << 20  # large enough that a non-atomic write would be seen half done


def _writer(path: str, fill: int, times: int) -> None:
    payload = bytes([fill]) * SIZE
    for _ in range(times):
        write_bytes(Path(path), payload, force=True)


def test_concurrent_writers_never_mix_and_readers_see_whole_files(tmp_path):
    target = tmp_path / "out.bin"
    context = multiprocessing.get_context("fork")
    writers = [context.Process(target=_writer, args=(str(target), fill, 15)) for fill in (0xAA, 0x55)]
    for w in writers:
        w.start()
    reads = 0
    while any(w.is_alive() for w in writers):
        if target.exists():
            data = target.read_bytes()  # one open(): the rename swaps whole inodes under us
            assert len(data) == SIZE and data in (b"\xaa" * SIZE, b"\x55" * SIZE)
            reads += 1
    for w in writers:
        w.join()
        assert w.exitcode == 0
    assert target.read_bytes() in (b"\xaa" * SIZE, b"\x55" * SIZE)
    assert reads > 0 and not list(tmp_path.glob("*.partial"))


def test_interrupt_inside_a_write_leaves_no_file(tmp_path):
    target = tmp_path / "out.bin"
    with pytest.raises(KeyboardInterrupt):
        with atomic_output(target) as tmp:
            tmp.write_bytes(b"half")
            raise KeyboardInterrupt
    assert not target.exists() and not list(tmp_path.iterdir())


def _interrupt_after(argv: list[str], marker: str, cwd: Path, delay: float = 0.3) -> tuple[int, str]:
    """Run the CLI, send SIGINT once `marker` appears on stderr (plus `delay`), return (exit code, stderr)."""
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen([sys.executable, "-m", "lowlight_edge", *argv], cwd=cwd, env=env, stderr=subprocess.PIPE,
                            stdout=subprocess.DEVNULL, text=True)
    seen = []
    for line in proc.stderr:
        seen.append(line)
        if marker in line:
            time.sleep(delay)
            proc.send_signal(signal.SIGINT)
            break
    rest = proc.stderr.read()
    return proc.wait(timeout=120), "".join(seen) + rest


@pytest.mark.parametrize("stage,argv,marker", [
    ("export", lambda c, o, d: ["export", str(c), "-o", str(d / "m.onnx")], "parity (unsimplified)"),
    ("calibration", lambda c, o, d: ["quantize", "int8", str(o), "-o", str(d / "m.onnx"), "--calib", "synthetic:8",
                                     "--calib-shape", "256x256", "--calib-cache", str(d / "cache.json")], "calibration:"),
])
def test_ctrl_c_during_a_run_leaves_nothing_half_written(stage, argv, marker, tiny_checkpoint, tiny_onnx, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    code, err = _interrupt_after(argv(tiny_checkpoint, tiny_onnx, out), marker, tmp_path)
    if code == 0:
        pytest.skip(f"{stage} finished before the interrupt landed (machine too fast for this timing)")
    assert code == 130, err
    assert err.strip().splitlines()[-1] == "lowlight-edge: error: interrupted; outputs in progress were removed", err
    assert "Traceback" not in err
    assert list(out.iterdir()) == [], f"left behind: {list(out.iterdir())}"
