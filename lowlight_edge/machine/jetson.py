"""Jetson power mode and clocks, recorded with every result: Jetson numbers mean little without them.

`nvpmodel -q` names the power mode (MAXN, 15W, ...); `jetson_clocks --show` lists each CPU's, the GPU's
and the memory controller's min/max/current frequency. Clocks count as locked when every CPU and the GPU
runs at its maximum with min == max, which is what `sudo jetson_clocks` sets. Unlocked clocks scale with
load and make latency vary from run to run, so a warning is recorded and printed.
"""

import re
import shutil
import subprocess
from pathlib import Path

LOCK_HINT = "run `sudo nvpmodel -m 0 && sudo jetson_clocks` before benchmarking"


def is_jetson() -> bool:
    if Path("/etc/nv_tegra_release").exists():
        return True
    try:
        return "jetson" in Path("/proc/device-tree/model").read_text(errors="ignore").lower()
    except OSError:
        return False


def parse_power_mode(text: str) -> str | None:
    """The mode name from `nvpmodel -q`.

    >>> parse_power_mode("NV Power Mode: MAXN\\n0\\n")
    'MAXN'
    """
    match = re.search(r"NV Power Mode:\s*(\S+)", text)
    return match.group(1) if match else None


def parse_clocks(text: str) -> dict[str, dict[str, int]]:
    """{unit: {MinFreq, MaxFreq, CurrentFreq}} for the cpuN and GPU lines of `jetson_clocks --show`."""
    units = {}
    for line in text.splitlines():
        match = re.match(r"\s*(cpu\d+|GPU)\b", line)
        if not match:
            continue
        freqs = {k: int(v) for k, v in re.findall(r"(MinFreq|MaxFreq|CurrentFreq)=(\d+)", line)}
        if len(freqs) == 3:
            units[match.group(1)] = freqs
    return units


def clocks_locked(units: dict[str, dict[str, int]]) -> bool | None:
    """True when every CPU and the GPU is pinned at its maximum; None when nothing could be read."""
    if not units:
        return None
    return all(f["MinFreq"] == f["MaxFreq"] == f["CurrentFreq"] for f in units.values())


def _run(command: list[str]) -> str | None:
    if shutil.which(command[0]) is None:
        return None
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=15)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None


def capture_jetson() -> dict | None:
    """None off a Jetson; else power mode, clock table, whether clocks are locked, and warnings."""
    if not is_jetson():
        return None
    mode_text = _run(["nvpmodel", "-q"])
    clock_text = _run(["jetson_clocks", "--show"])
    units = parse_clocks(clock_text or "")
    locked = clocks_locked(units)
    warnings = []
    if locked is None:
        warnings.append(f"could not read Jetson clocks (jetson_clocks --show needs root); {LOCK_HINT}")
    elif not locked:
        warnings.append(f"Jetson clocks are not locked: latency will vary with DVFS; {LOCK_HINT}")
    return {"power_mode": parse_power_mode(mode_text or ""), "nvpmodel": mode_text, "clocks": units,
            "clocks_locked": locked, "warnings": warnings}
