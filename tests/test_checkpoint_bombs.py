"""A checkpoint's config is untrusted: it is validated, and its tensors checked against it, before the network
is built. Each hostile file runs through the CLI in a child process under a memory limit and a timeout."""

import json
import resource
import subprocess
import sys

import pytest

torch = pytest.importorskip("torch")
from safetensors.torch import save_file  # noqa: E402 - after the torch check

MEMORY_LIMIT = 3 * 2**30  # far below what the networks these configs describe would take


def _limit_memory():
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def _checkpoint(path, config_text: str, tensors: dict | None = None):
    save_file(tensors or {"encoders.0.0.weight": torch.zeros(16, 4, 3, 3)}, str(path),
              metadata={"lowlight_edge.config": config_text})
    return path


def _export(path, tmp_path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lowlight_edge", "export", str(path), "-o", str(tmp_path / "m.onnx")],
                          capture_output=True, text=True, timeout=120, preexec_fn=_limit_memory)


def _config(**fields) -> str:
    base = {"width": 16, "depth": 4, "in_channels": 4, "upscale": 2, "out_channels": 3, "attention": True}
    return json.dumps({**base, **fields})


@pytest.mark.parametrize("config_text, message", [
    (_config(width=100_000), "'width' is 100000, outside 1..256"),
    (_config(depth=5000), "'depth' is 5000, outside 1..7"),
    (_config(width="16"), "'width' must be an integer, got str"),
    (_config(width=[16]), "'width' must be an integer, got list"),
    ('{"width": NaN, "depth": 4}', "'width' must be an integer, got float"),
    (_config(width=True), "'width' must be an integer, got bool"),
    (_config(attention="yes"), "'attention' must be true or false"),
    ('{"width": ' + "[" * 100_000 + "]" * 100_000 + "}", "not valid JSON"),
    (_config(surprise=1), "unknown field 'surprise'"),
])
def test_a_hostile_config_is_one_line(tmp_path, config_text, message):
    done = _export(_checkpoint(tmp_path / "c.safetensors", config_text), tmp_path)
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2 and "Traceback" not in done.stderr and message in lines[-1]
    assert not (tmp_path / "m.onnx").exists()


def test_a_valid_config_for_a_huge_network_is_checked_against_the_tensors_before_anything_is_built(tmp_path):
    # width 256 and depth 7 describe ~10^10 parameters (40 GB): building it first would be killed by the limit
    done = _export(_checkpoint(tmp_path / "c.safetensors", _config(width=256, depth=7)), tmp_path)
    assert done.returncode == 2 and "missing tensor" in done.stderr.strip().splitlines()[-1]


def test_the_bundled_model_still_loads_under_the_same_limit(tmp_path):
    from lowlight_edge.weights import default_model

    done = _export(default_model(), tmp_path)
    assert done.returncode == 0, done.stderr[-1000:]
