"""Summarise cpu-pipeline.sh's results: host pre/post share before and after, the pipeline graph's own pre/post cost,
and folder throughput against 1 / (time per frame). Usage: python pipeline_summary.py RESULTS_DIR

The pipeline graph's own cost is its pre/post nodes in the runtimes' per-node profiles (prepost.txt, the cpu form
the script benches), as a share of its end to end; two end-to-end medians subtracted would be mostly noise here."""

import json
import re
import sys
from pathlib import Path

RUNTIMES = {"ONNX Runtime": "ort-cpu", "OpenVINO": "ov-cpu"}


def profiled_prepost(path: Path, form: str = "cpu") -> dict[tuple[str, str, str], float]:
    """(network, backend, input convention) -> the pre/post nodes' median ms, from pipeline_nodes.py's lines in
    prepost.txt (lines from before conventions were printed are camera networks')."""
    found, network = {}, None
    for line in path.read_text().splitlines() if path.exists() else []:
        if match := re.match(r"(\S+)\.onnx, mosaic", line):
            network = match.group(1)
        elif match := re.match(rf"(ONNX Runtime|OpenVINO)\s+(camera\s+|neutral\s+)?wrapper {form} form\s*: "
                               r"pre/post nodes\s+([\d.]+) ms", line):
            convention = (match.group(2) or "camera").strip()
            found[(network, RUNTIMES[match.group(1)], convention)] = float(match.group(3))
    return found


out = Path(sys.argv[1])
rows = json.loads((out / "speed.json").read_text())["records"]
by = {(Path(r["model"]).name, r["backend"], r["mode"]): r for r in rows if r.get("stats")}
profiled = profiled_prepost(out / "prepost.txt")
conventions = sorted({key[2] for key in profiled}) or ["camera"]
print("| network | backend | host path: pack+post+transfers share | pipeline graph: pre/post nodes (profiles), "
      f"share ({' / '.join(conventions)} input) | end to end, host path ms | end to end, pipeline ms | model per "
      "frame, pipeline ms |")
print("| --- | --- | --- | --- | --- | --- | --- |")
per_frame = {}
for net in ("default.fp32", "default.int8-cpu"):
    for backend in ("ort-cpu", "ov-cpu"):
        host = by.get((f"{net}.onnx", backend, "end-to-end"))
        pipe = by.get((f"{net}.pipeline.onnx", backend, "end-to-end"))
        if not (host and pipe):
            continue
        stages = host["stages"]
        host_share = sum(stages[s]["median_ms"] for s in ("pack", "h2d", "d2h", "postprocess") if s in stages)
        host_share /= host["stats"]["median_ms"]
        owns = [profiled.get((net, backend, convention)) for convention in conventions]
        own_cell = " / ".join(f"{own:.1f} ms, {100 * own / pipe['stats']['median_ms']:.1f}%" if own is not None
                              else "-" for own in owns)
        per_frame[(net, backend)] = pipe["stages"]["pipeline"]["median_ms"]
        print(f"| {net} | {backend} | {100 * host_share:.1f}% | {own_cell} | {host['stats']['median_ms']:.0f} | "
              f"{pipe['stats']['median_ms']:.0f} | {per_frame[(net, backend)]:.0f} |")
throughput = out / "throughput.txt"
if throughput.exists():
    print("\n| enhance over the folder | PNG level | images/s | 0.9 / (model time per frame) | target met |")
    print("| --- | --- | --- | --- | --- |")
    # "MODEL on BACKEND (png level L): ... N images/s", possibly with a progress bar's line breaks in between
    pattern = r"(\S+) on (\S+?)(?: \(png level (\d)\))?: .*? ([\d.]+) images/s"
    for match in re.finditer(pattern, throughput.read_text(), re.DOTALL):
        model, backend, level, rate = match.group(1), match.group(2), match.group(3) or "1", float(match.group(4))
        net = model.removesuffix(".pipeline")
        key = (f"{net}.pipeline.onnx" if model.endswith(".pipeline") else f"{net}.onnx", backend, "end-to-end")
        record = by.get(key)
        if record is None:
            continue
        compute = record["stages"].get("pipeline") or record["stages"]["inference"]
        bound = 0.9 / (compute["median_ms"] / 1000)
        print(f"| {model} on {backend} | {level} | {rate:.3f} | {bound:.3f} | {'yes' if rate >= bound else 'no'} |")
