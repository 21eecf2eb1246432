"""The per-user cache folder: converted LPIPS weights, INT8 calibration ranges.

$LOWLIGHT_EDGE_CACHE, else $XDG_CACHE_HOME/lowlight-edge, else ~/.cache/lowlight-edge. `make test` and `make demo`
keep theirs in the checkout (.cache/lowlight-edge), so files are looked up there too (`cache_dirs`): right after
`make demo`, the CLI finds the LPIPS weights it fetched.
"""

import os
from pathlib import Path


def cache_dir() -> Path:
    """Where new cache files are written."""
    base = os.environ.get("LOWLIGHT_EDGE_CACHE") or Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "lowlight-edge"
    return Path(base)


def cache_dirs() -> list[Path]:
    """Where cache files are looked up: `cache_dir()`, then the Makefile's cache when running from a checkout."""
    checkout = Path(__file__).resolve().parents[2]
    folders = [cache_dir()]
    if (checkout / "pyproject.toml").is_file() and (checkout / "Makefile").is_file():
        folders.append(checkout / ".cache" / "lowlight-edge")
    return list(dict.fromkeys(folders))
