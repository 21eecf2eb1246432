"""Time and peak memory of the readers on issue #29's small hostile files, and the CLI's start-up time.

usage: PYTHONPATH=TREE python benchmarks/scripts/hostile_inputs.py OUT_FOLDER
(TREE: a checkout of lowlight-edge, e.g. the one before and the one after a fix; each case runs in a fresh process
whose working folder is OUT_FOLDER, so the checkout on PYTHONPATH is the one imported)

Cases: a 32x32 DNG listing 200000 SubIFDs (0.8 MB), read with read_raw; a 1 MB PNG declaring 100x100 whose one
IDAT chunk inflates to 1 GiB, read with read_png; `python -m lowlight_edge --help`. Prints one Markdown row each:
wall seconds, peak resident MiB, and the outcome (the error's first 90 characters, or "read").
"""

import json
import struct
import subprocess
import sys
import time
import zlib
from pathlib import Path

CHILD = """
import json, resource, sys, time
from pathlib import Path
start = time.perf_counter()
try:
    if sys.argv[1] == "dng":
        from lowlight_edge.raw.reader import read_raw
        read_raw(Path(sys.argv[2])); outcome = "read"
    else:
        from lowlight_edge.fileio.png import read_png
        read_png(Path(sys.argv[2])); outcome = "read"
except Exception as exc:
    outcome = f"{type(exc).__name__}: {exc}"
print(json.dumps({"s": time.perf_counter() - start, "mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "outcome": outcome}))
"""


def png_bomb(path: Path) -> Path:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    inflater = zlib.compressobj(9)
    payload = b"".join(inflater.compress(bytes(1 << 24)) for _ in range(64)) + inflater.flush()
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 100, 100, 8, 2, 0, 0, 0))
                     + chunk(b"IDAT", payload) + chunk(b"IEND", b""))
    return path


def main(out: Path) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests"))
    import bad_files  # the tests' own hostile-file makers

    out.mkdir(parents=True, exist_ok=True)
    cases = [("dng", bad_files.subifd_flood(out / "flood.dng", 200_000)), ("png", png_bomb(out / "bomb.png"))]
    print("| case | file bytes | seconds | peak MiB | outcome |\n| --- | --- | --- | --- | --- |")
    for kind, path in cases:
        run = json.loads(subprocess.run([sys.executable, "-c", CHILD, kind, str(path)], capture_output=True,
                                        text=True, check=True, cwd=out).stdout)  # cwd: not a checkout
        outcome = run["outcome"].replace(str(out) + "/", "")[:90]
        print(f"| {path.name} | {path.stat().st_size:,} | {run['s']:.2f} | {run['mib']:.0f} | {outcome} |")
    for _ in range(3):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "lowlight_edge", "--help"], capture_output=True, check=True, cwd=out)
        print(f"| `lowlight-edge --help` | - | {time.perf_counter() - start:.2f} | - | start-up |")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
