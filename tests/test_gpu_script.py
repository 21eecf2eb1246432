"""`make test-gpu`'s script, start to end, under the TensorRT stand-in (NVIDIA's real API of 10.3, engines computing
with ONNX Runtime, host memory for CUDA: tests/fake_gpu/sitecustomize.py). What it proves: every step's command line,
file hand-off and TensorRT call is one the first device will accept as far as the bindings tell, and nothing ends the
script before the timing (as the validate step once did). What it cannot: TensorRT's own parsing and kernels."""

import json
import os
import subprocess
import zipfile
from pathlib import Path

import cuda_bindings
import pytest
import trt_bindings

ROOT = Path(__file__).resolve().parents[1]
LINKED = (".venv", "lowlight_edge", "tests", "benchmarks", "pyproject.toml", ".cache")


@pytest.mark.slow
def test_the_gpu_script_runs_start_to_end_under_the_standin(tmp_path):
    if trt_bindings.wheel_for("10.3") is None or cuda_bindings.wheels_for("12.9") is None:
        pytest.skip("TensorRT 10.3 bindings or cuda-python 12.9 wheels not downloaded; run make test-data")
    if trt_bindings.compiler() is None:
        pytest.skip("no C compiler to build the stand-in TensorRT libraries")
    api = tmp_path / "tensorrt-10.3.json"
    api.write_text(json.dumps(trt_bindings.api_of("10.3", tmp_path / "bindings")))
    cuda = tmp_path / "cuda-python"  # importable, so the GPU tests see cuda-python installed (CUDA itself: host memory)
    for wheel in cuda_bindings.wheels_for("12.9"):
        with zipfile.ZipFile(wheel) as archive:
            archive.extractall(cuda)
    work = tmp_path / "checkout"  # the script writes work/ under its folder: a folder of links, not the checkout
    work.mkdir()
    for name in LINKED:
        (work / name).symlink_to(ROOT / name)
    env = {**os.environ, "LOWLIGHT_EDGE_TRT_STANDIN_API": str(api), "GPU_TEST_MARKERS": "tensorrt",
           "CALIB_FRAMES": "4", "BENCH_SHAPES": "256x256", "HOME": str(tmp_path),
           "PYTHONPATH": os.pathsep.join([str(ROOT / "tests" / "fake_gpu"), str(cuda)])}
    done = subprocess.run(["bash", str(ROOT / "benchmarks/scripts/gpu-tensorrt.sh"), str(tmp_path / "out")], cwd=work,
                          env=env, capture_output=True, text=True, timeout=3000, check=False)
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    assert "GPU results in" in done.stdout
    drift = json.loads((tmp_path / "out" / "gpu-drift.json").read_text())
    assert [m["backend"] for m in drift["models"]] == ["ort-cpu", "tensorrt", "tensorrt"]
    assert all(m["skipped_frames"] == 0 for m in drift["models"])  # the profile covers what validate feeds
    for precision in ("fp16", "int8"):
        pipeline = json.loads((tmp_path / "out" / f"gpu-pipeline-{precision}-drift.json").read_text())
        assert pipeline["models"][1]["passed"] is True
    bench = json.loads((tmp_path / "out" / "gpu-bench-trt.json").read_text())
    assert len({row["model"] for row in bench["records"]}) == 3
