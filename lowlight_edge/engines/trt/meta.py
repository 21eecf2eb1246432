"""Engine metadata: a JSON file beside each engine (`NAME.engine.json`), checked before deserialising.

A plan runs only on the TensorRT version and GPU architecture that built it, unless it was built
version- or hardware-compatible. The plan file itself is left untouched (no header), so `trtexec
--loadEngine` still reads it.
"""

import json
from dataclasses import MISSING, asdict, dataclass, field, fields
from pathlib import Path

from lowlight_edge.engines.trt.versions import parse_version
from lowlight_edge.errors import ModelError
from lowlight_edge.fileio.atomic import write_text
from lowlight_edge.fileio.limits import read_text_limited
from lowlight_edge.raw.colour import CONVENTIONS

SCHEMA = "lowlight-edge.engine/1"
HW_NONE, HW_AMPERE_PLUS, HW_SAME_CC = "none", "ampere_plus", "same_compute_capability"


@dataclass
class EngineMeta:
    tensorrt_version: str
    gpu_name: str
    compute_capability: str  # "8.7"
    driver_version: str
    cuda_version: str
    precision: str  # from the ONNX: fp32, fp16, int8
    onnx_path: str
    onnx_sha256: str
    profile: dict
    version_compatible: bool = False
    hardware_compatibility: str = HW_NONE
    dla_core: int | None = None
    builder_optimization_level: int | None = None
    workspace_bytes: int | None = None
    build_seconds: float | None = None
    built_at: str = ""
    flags: list[str] = field(default_factory=list)
    platform: str = ""  # the CPU architecture that built it (x86_64, aarch64); empty in files from before it was kept
    input_convention: str = "camera"  # the network's input convention (raw/colour.py); files from before: camera
    tf32: bool = True  # FP32 layers may run as TF32 (TensorRT's default; build clears it for FP32 networks)
    schema: str = SCHEMA


def meta_path(engine: Path) -> Path:
    return Path(f"{engine}.json")


def write_meta(engine: Path, meta: EngineMeta, force: bool = False) -> Path:
    return write_text(meta_path(engine), json.dumps(asdict(meta), indent=2) + "\n", force)


def read_meta(engine: Path) -> EngineMeta | None:
    """The metadata beside `engine`, None when there is none; a corrupt file is an error."""
    path = meta_path(engine)
    if not path.is_file():
        return None
    try:
        raw = json.loads(read_text_limited(path, "engine metadata"))
        if not isinstance(raw, dict) or raw.get("schema") != SCHEMA:
            raise ValueError(f"schema {raw.get('schema') if isinstance(raw, dict) else None!r}")
        _check_types(raw)
        _check_ranges(raw)
        if raw.get("input_convention", "camera") not in CONVENTIONS:
            raise ValueError(f"input_convention {str(raw['input_convention'])[:40]!r}")
        return EngineMeta(**raw)
    except (OSError, ValueError, TypeError, AttributeError, RecursionError) as exc:
        raise ModelError(f"engine metadata {path} is unreadable or tampered with ({exc}); rebuild the engine with "
                         "lowlight-edge build") from exc


_TYPES = {"str": (str,), "bool": (bool,), "dict": (dict,), "list[str]": (list,), "int | None": (int, type(None)),
          "float | None": (int, float, type(None))}


def _check_types(raw: dict) -> None:
    """Every field present and of its declared type: a tampered file must not reach the compatibility decision."""
    for f in fields(EngineMeta):
        if f.name not in raw and f.default is MISSING and f.default_factory is MISSING:
            raise ValueError(f"field {f.name!r} missing")
        value = raw.get(f.name, f.default if f.default is not MISSING else None)
        wanted = _TYPES[str(f.type).replace("<class '", "").replace("'>", "")]
        if not isinstance(value, wanted) or (isinstance(value, bool) and bool not in wanted):
            raise ValueError(f"field {f.name!r} has type {type(value).__name__}")
    unknown = set(raw) - {f.name for f in fields(EngineMeta)}
    if unknown:
        raise ValueError(f"unknown fields {sorted(unknown)[:3]}")


# numeric fields and the values a build can write; dla_core reaches the runtime (IRuntime.DLA_core)
_RANGES = {"dla_core": (0, 15), "builder_optimization_level": (0, 5), "workspace_bytes": (0, 2**50),
           "build_seconds": (0, 10**7)}


def _check_ranges(raw: dict) -> None:
    """Every numeric field within what a build writes: a tampered value never reaches TensorRT."""
    for name, (low, high) in _RANGES.items():
        value = raw.get(name)
        if value is not None and not low <= value <= high:  # NaN fails both comparisons
            raise ValueError(f"field {name!r} is {value!r}, outside {low}..{high}")


@dataclass(frozen=True)
class RuntimeInfo:
    tensorrt_version: str
    compute_capability: str
    gpu_name: str = ""
    platform: str = ""  # platform.machine() here
    jetson: bool = False


def compatibility(meta: EngineMeta, runtime: RuntimeInfo, onnx_sha256: str | None = None) -> list[str]:
    """Reasons the engine must not be loaded here (empty when it may be)."""
    reasons = []
    rebuild = f"rebuild it here: lowlight-edge build {meta.onnx_path} -o ENGINE"
    if onnx_sha256 is not None and onnx_sha256 != meta.onnx_sha256:
        reasons.append(f"the ONNX file changed since the engine was built (sha256 {onnx_sha256[:12]} != "
                       f"{meta.onnx_sha256[:12]}); {rebuild}")
    built, here = parse_version(meta.tensorrt_version), parse_version(runtime.tensorrt_version)
    if built[:3] != here[:3]:
        # version-compatible plans run on the same or a later TensorRT (10.x -> 11.x included), never older
        if not (meta.version_compatible and here[:2] >= built[:2]):
            reasons.append(f"built with TensorRT {meta.tensorrt_version}, this is TensorRT {runtime.tensorrt_version}"
                           f"{'' if meta.version_compatible else ' and the engine is not version-compatible'}; {rebuild}"
                           " (or build with --version-compatible)")
    if meta.platform and runtime.platform and meta.platform != runtime.platform:
        reasons.append(f"built on {meta.platform}, this machine is {runtime.platform}: plans are specific to the CPU "
                       f"platform too; {rebuild}")
    if meta.hardware_compatibility != HW_NONE and runtime.jetson:
        reasons.append(f"a hardware-compatible engine, which TensorRT does not support on Jetson; {rebuild} without "
                       "--hardware-compatible")
    if meta.compute_capability != runtime.compute_capability:
        built_cc, here_cc = parse_version(meta.compute_capability), parse_version(runtime.compute_capability)
        ampere_ok = meta.hardware_compatibility == HW_AMPERE_PLUS and built_cc >= (8, 0) and here_cc >= (8, 0)
        if not ampere_ok:
            reasons.append(f"built for compute capability {meta.compute_capability} ({meta.gpu_name}), this GPU is "
                           f"{runtime.compute_capability} ({runtime.gpu_name}); {rebuild} (or build with "
                           "--hardware-compatible on Ampere or newer)")
    return reasons
