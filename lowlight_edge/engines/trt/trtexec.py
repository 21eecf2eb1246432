"""The trtexec command line equivalent to a `lowlight-edge build`, printed so users can cross-check."""

import shlex
from pathlib import Path

from lowlight_edge.engines.trt.profiles import Profile


def trtexec_command(onnx: Path, engine: Path, input_name: str, profile: Profile, workspace_mib: int,
                    timing_cache: Path | None = None, optimization_level: int | None = None,
                    dla_core: int | None = None, version_compatible: bool = False,
                    hardware_compatible: bool = False, pipeline: bool = False, tf32: bool = True) -> str:
    """
    >>> trtexec_command(Path("m.onnx"), Path("m.engine"), "packed", Profile(), 2048).split()[:4]
    ['trtexec', '--onnx=m.onnx', '--saveEngine=m.engine', '--stronglyTyped']
    """
    args = ["trtexec", f"--onnx={onnx}", f"--saveEngine={engine}", "--stronglyTyped",
            *profile.trtexec_shapes(input_name, pipeline), f"--memPoolSize=workspace:{workspace_mib}M"]
    if timing_cache:
        args.append(f"--timingCacheFile={timing_cache}")
    if optimization_level is not None:
        args.append(f"--builderOptimizationLevel={optimization_level}")
    if dla_core is not None:
        args += [f"--useDLACore={dla_core}", "--allowGPUFallback"]
    if version_compatible:
        args.append("--versionCompatible")
    if hardware_compatible:
        args.append("--hardwareCompatibilityLevel=ampere+")
    if not tf32:
        args.append("--noTF32")
    return " ".join(shlex.quote(a) for a in args)
