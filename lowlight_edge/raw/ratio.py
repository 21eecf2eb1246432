"""The amplification ratio: exposure of the reference / exposure of the input (SID caps it at 300)."""

import re
from pathlib import Path

from lowlight_edge.errors import InputError

SID_MAX_RATIO = 300.0
# SID names carry the exposure: 10019_00_0.033s.ARW (scene, shot, exposure in seconds)
_SID_NAME = re.compile(r"^(?P<scene>\d+)_(?P<shot>\d+)_(?P<exposure>\d+(?:\.\d+)?)s$")


def exposure_from_name(path: Path) -> float | None:
    """Exposure time in seconds from a SID-style file name, or None.

    >>> exposure_from_name(Path("Sony/short/10019_00_0.033s.ARW"))
    0.033
    """
    match = _SID_NAME.match(Path(path).stem)
    return float(match["exposure"]) if match else None


def sid_ratio(input_exposure: float, reference_exposure: float, cap: float = SID_MAX_RATIO) -> float:
    """ratio = reference / input exposure, capped as SID does.

    >>> sid_ratio(0.1, 10.0)
    100.0
    >>> sid_ratio(0.033, 30.0)
    300.0
    """
    if input_exposure <= 0 or reference_exposure <= 0:
        raise InputError(f"exposures must be positive, got input {input_exposure} s and reference {reference_exposure} s")
    return min(reference_exposure / input_exposure, cap)


def resolve_ratio(path: Path, ratio: float | None = None, reference_exposure: float | None = None,
                  input_exposure: float | None = None) -> tuple[float, str]:
    """The ratio to use and where it came from: --ratio, else reference / input exposure.

    The input exposure comes from the file's metadata when known, else from a SID-style name.
    """
    if ratio is not None:
        if not ratio > 0:
            raise InputError(f"--ratio must be positive, got {ratio}")
        return float(ratio), "--ratio"
    if reference_exposure is not None:
        exposure = input_exposure or exposure_from_name(path)
        if exposure is None:
            raise InputError(f"{path}: no exposure time in the file or its name; pass --ratio")
        return sid_ratio(exposure, reference_exposure), f"reference {reference_exposure:g} s / input {exposure:g} s"
    exposure = exposure_from_name(path)
    if exposure is not None:
        # From a name alone, assume SID's 10 s reference: it gives SID's ratios exactly for its
        # 0.1 / 0.04 / 0.033 s inputs (100, 250, 300). A SID list names the real reference.
        return sid_ratio(exposure, 10.0), f"SID name: reference 10 s / input {exposure:g} s"
    raise InputError(f"{path}: cannot tell the amplification ratio; pass --ratio (e.g. 100) or --reference-exposure")
