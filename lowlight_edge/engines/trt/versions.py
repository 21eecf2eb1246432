"""TensorRT version gates: 10.3 (JetPack 6) and later; 8.x/9.x are refused with a clear line."""

import weakref

from lowlight_edge.errors import MissingDependency

MIN_VERSION = (10, 3)
TRT_HINT = ("pip install 'lowlight-edge[trt]' (CUDA 12 drivers) or 'lowlight-edge[trt-cu13]' (CUDA 13); on a Jetson, "
            "the TensorRT JetPack provides (a venv with --system-site-packages) and pip install 'cuda-python<13'")
# strongly typed networks on DLA are documented from this TensorRT on (JetPack 7.2.2+), not before, nor on Thor
DLA_STRONGLY_TYPED_FROM = (11, 4, 1)


def parse_version(text: str) -> tuple[int, ...]:
    """'10.3.0.26' -> (10, 3, 0, 26); non-numeric tails are ignored.

    >>> parse_version("11.4.1.2")
    (11, 4, 1, 2)
    >>> parse_version("10.3.0.post1")
    (10, 3, 0)
    """
    parts = []
    for piece in str(text).split("."):
        digits = "".join(c for c in piece if c.isdigit()) if piece[:1].isdigit() else ""
        if not digits:
            break
        parts.append(int(digits))
    return tuple(parts)


def check_supported(version: str) -> tuple[int, ...]:
    parsed = parse_version(version)
    if parsed[:2] < MIN_VERSION:
        raise MissingDependency(f"unsupported TensorRT version {version}: lowlight-edge needs TensorRT >= "
                                f"{MIN_VERSION[0]}.{MIN_VERSION[1]} (JetPack 6 or later, or pip install tensorrt); "
                                "TensorRT 8.x/9.x (JetPack 5) cannot build strongly typed networks")
    return parsed


def import_tensorrt():
    """The tensorrt module, version-checked, or one line naming the install."""
    try:
        import tensorrt as trt
    except ImportError as exc:
        raise MissingDependency(f"TensorRT engines need the tensorrt package, which is not installed; run: {TRT_HINT}") from exc
    check_supported(trt.__version__)
    return trt


_LOGGERS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def trt_logger(trt):
    """One logger per process (per tensorrt module): TensorRT warns when builder and runtimes get different ones."""
    if trt not in _LOGGERS:
        _LOGGERS[trt] = trt.Logger(trt.Logger.WARNING)
    return _LOGGERS[trt]
