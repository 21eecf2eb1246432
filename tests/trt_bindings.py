"""NVIDIA's real TensorRT Python bindings, importable on a CPU machine: the API they expose, as JSON.

The bindings wheels (`tensorrt_cu12_bindings` 10.3.0 for JetPack 6, `tensorrt_cu13_bindings` 10.13 and 11.4 for
JetPack 7 and desktops) are small, and `make test-data` downloads them into .cache/wheels/tensorrt/. Their
`tensorrt.so` links against libnvinfer, libnvonnxparser and libnvinfer_plugin, which are not on the registry; with
stand-in libraries exporting the ten symbols it needs at load time (compiled here with the C compiler, each
returning null), the real module imports, and every class, method signature, property and enum member can be read.
No TensorRT object can be constructed for real (the factories return null): this reads the API, it runs nothing.
"""

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WHEELS = ROOT / ".cache" / "wheels" / "tensorrt"
# the versions the project supports, and the wheel of each (the Makefile's test-data downloads exactly these)
VERSIONS = {"10.3": "tensorrt_cu12_bindings-10.3.0-", "10.13": "tensorrt_cu13_bindings-10.13.", "11.4": "tensorrt_cu13_bindings-11.4."}
SYMBOLS = """
void *createInferBuilder_INTERNAL(void *logger, int version) { return 0; }
void *createInferRuntime_INTERNAL(void *logger, int version) { return 0; }
void *createInferRefitter_INTERNAL(void *engine, void *logger, int version) { return 0; }
int getInferLibVersion(void) { return 0; }
void *getPluginRegistry(void) { return 0; }
void *getBuilderPluginRegistry(int capability) { return 0; }
void *createNvOnnxParser_INTERNAL(void *network, void *logger, int version) { return 0; }
void *createNvOnnxParserRefitter_INTERNAL(void *refitter, void *logger, int version) { return 0; }
int getNvOnnxParserVersion(void) { return 0; }
int initLibNvInferPlugins(void *logger, const char *name_space) { return 1; }
"""


def wheel_for(version: str) -> Path | None:
    found = sorted(WHEELS.glob(VERSIONS[version] + "*cp311*.whl")) + sorted(WHEELS.glob(VERSIONS[version] + "*.whl"))
    py = f"cp{sys.version_info.major}{sys.version_info.minor}"
    matching = [w for w in found if py in w.name]
    return matching[0] if matching else None


def compiler() -> str | None:
    return shutil.which(os.environ.get("CC", "cc")) or shutil.which("gcc")


def standin_libraries(folder: Path, major: int) -> Path:
    """libnvinfer.so.N, libnvonnxparser.so.N and libnvinfer_plugin.so.N exporting the symbols tensorrt.so needs."""
    folder.mkdir(parents=True, exist_ok=True)
    source = folder / "standin.c"
    source.write_text(SYMBOLS)
    for lib in ("nvinfer", "nvonnxparser", "nvinfer_plugin"):
        name = f"lib{lib}.so.{major}"
        subprocess.run([compiler(), "-shared", "-fPIC", "-o", str(folder / name), f"-Wl,-soname,{name}", str(source)],
                       check=True, capture_output=True)
    return folder


def api_of(version: str, workdir: Path) -> dict:
    """The API of the real bindings of `version`, introspected in a subprocess (the stand-in libraries loaded)."""
    wheel = wheel_for(version)
    target = workdir / version
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(target)
    libs = standin_libraries(workdir / f"lib{version}", int(version.split(".")[0]))
    env = {**os.environ, "LD_LIBRARY_PATH": str(libs), "PYTHONPATH": str(target)}
    done = subprocess.run([sys.executable, str(Path(__file__).with_name("trt_introspect.py"))], env=env,
                          capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"the TensorRT {version} bindings did not import: {done.stderr.strip()[-500:]}")
    return json.loads(done.stdout)
