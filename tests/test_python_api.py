"""The documented Python API runs the whole job: the script in docs/python-api.md, verbatim."""

import re
import subprocess
import sys
from pathlib import Path

import lowlight_edge

DOC = Path(__file__).resolve().parents[1] / "docs" / "python-api.md"


def _script() -> str:
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)
    assert len(blocks) == 1, "docs/python-api.md should hold exactly one script"
    return blocks[0]


def test_the_documented_script_runs_the_whole_job(tmp_path):
    done = subprocess.run([sys.executable, "-c", _script()], cwd=tmp_path, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    assert "TensorRT readiness errors:" in out and "output (1, 3, 128, 128)" in out
    assert re.search(r"torch-cpu fp32 model [\d.]+ ms", out) and re.search(r"ort-cpu int8 model [\d.]+ ms", out)
    assert "model.int8.onnx int8" in out
    assert (tmp_path / "work/results/bench.json").is_file()
    written = sorted(p.name for p in (tmp_path / "work/enhanced").glob("*.png"))
    assert len(written) == 2 and out.count(" ok") == 2


def test_every_public_name_resolves_and_is_documented():
    for name in lowlight_edge.__all__[1:]:
        obj = getattr(lowlight_edge, name)
        assert obj.__doc__, f"lowlight_edge.{name} has no docstring"
        if callable(obj) and not isinstance(obj, type):
            assert name in DOC.read_text(encoding="utf-8"), f"{name} is missing from docs/python-api.md"
