"""NVIDIA's cuda-python runtime modules, importable without a GPU: what `engines/trt/cuda_memory.py` may call.

cuda-python up to 12.6.0 has only `cuda.cudart` (what TensorRT 10.3's samples pin for JetPack 6), 12.6.1-12.9 both
that and `cuda.bindings.runtime`, 13.x only `cuda.bindings`. `make test-data` downloads one wheel of each kind into
.cache/wheels/cuda/; importing them needs no driver (the driver is loaded at the first call), so their functions'
signatures can be read. This reads the API; no CUDA call is made.
"""

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WHEELS = ROOT / ".cache" / "wheels" / "cuda"
# label -> (wheel name prefixes, the runtime module the backend imports from them)
VERSIONS = {
    "12.6.0": (("cuda_python-12.6.0-",), "cuda.cudart"),
    "12.9": (("cuda_bindings-12.9.", "cuda_pathfinder-"), "cuda.bindings.runtime"),
    "13.0": (("cuda_bindings-13.0.", "cuda_pathfinder-"), "cuda.bindings.runtime"),
}


def wheels_for(label: str) -> list[Path] | None:
    py = f"cp{sys.version_info.major}{sys.version_info.minor}"
    found = []
    for prefix in VERSIONS[label][0]:
        matches = [w for w in sorted(WHEELS.glob(prefix + "*.whl")) if py in w.name or "py3-none" in w.name]
        if not matches:
            return None
        found.append(matches[-1])
    return found


def api_of(label: str, workdir: Path) -> dict:
    target = workdir / label
    for wheel in wheels_for(label):
        with zipfile.ZipFile(wheel) as archive:
            archive.extractall(target)
    env = {**os.environ, "PYTHONPATH": str(target)}
    done = subprocess.run([sys.executable, str(Path(__file__).with_name("cuda_introspect.py")), VERSIONS[label][1]],
                          env=env, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"cuda-python {label} did not import: {done.stderr.strip()[-500:]}")
    return json.loads(done.stdout)
