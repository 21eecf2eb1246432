"""The per-user cache folder: converted LPIPS weights, INT8 calibration ranges.

$LOWLIGHT_EDGE_CACHE, else $XDG_CACHE_HOME/lowlight-edge, else ~/.cache/lowlight-edge.
"""

import os
from pathlib import Path


def cache_dir() -> Path:
    base = os.environ.get("LOWLIGHT_EDGE_CACHE") or Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "lowlight-edge"
    return Path(base)
