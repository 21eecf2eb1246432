"""Where a pipeline graph's time goes, from the runtimes' own per-node profiles: its pre/post nodes against the network's.

Subtracting two end-to-end medians (the pipeline's compute view minus the network's) is at the mercy of a noisy
machine; the profilers time each node of the same runs. ONNX Runtime (enable_profiling) and OpenVINO (PERF_COUNT),
2 threads, the Sony full frame (a DNG's mosaic when given, else seeded values), 1 warmup + RUNS runs, medians.
"Pre/post" counts the nodes the wrapper adds (names starting `pipeline/`, and OpenVINO's `image` output node);
everything else is the network, including the output-layout rewrite export/network_layout.py makes.

The network is wrapped in each form of --targets (default: tensorrt and cpu, export/pipeline_graph.py). With
--before REV it is also wrapped by export/pipeline_graph.py as it was at git revision REV (a revision from before
the builders moved into their own modules, f0da236 or older).

With --top N, each runtime's N slowest pre/post nodes of each form now are listed too.

With --conventions camera neutral, the same network is wrapped as each input convention (its metadata says which):
a neutral pipeline converts every cell with the file's colour (the DNG's own when --dng is given, else a Sony
ILCE-7S in daylight), which is what the comparison prices.

Usage: python benchmarks/scripts/pipeline_nodes.py NETWORK.onnx [--dng FILE] [--targets T ...] [--before REV]
       [--conventions C ...] [--runs N] [--top N]
"""

import argparse
import collections
import functools
import importlib.util
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import onnx

from lowlight_edge.export.pipeline_graph import wrap_network
from lowlight_edge.onnxgraph.metadata import INPUT_CONVENTION_KEY, input_convention_of, read_metadata, set_metadata
from lowlight_edge.onnxgraph.pipeline_io import TARGETS, pipeline_feed
from lowlight_edge.raw.camera_response import camera_response
from lowlight_edge.raw.cameras import camera
from lowlight_edge.raw.colour import CONVENTIONS
from lowlight_edge.raw.reader import read_raw

FULL_FRAME = (2848, 4256)


def builder_at(rev: str):
    source = subprocess.run(["git", "show", f"{rev}:lowlight_edge/export/pipeline_graph.py"], check=True,
                            capture_output=True, text=True).stdout
    path = Path(tempfile.mkdtemp()) / "pipeline_graph_before.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("pipeline_graph_before", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.wrap_network


def own_node(name: str) -> bool:
    return name.startswith("pipeline/") or name == "image"


def onnxruntime_split(model: onnx.ModelProto, feed: dict, runs: int, top: int = 0) -> tuple[float, float, float]:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 2
    options.enable_profiling = True
    options.profile_file_prefix = str(Path(tempfile.mkdtemp()) / "ort")
    session = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    for _ in range(runs + 1):
        session.run(None, feed)
    events = json.loads(Path(session.end_profiling()).read_text())
    run_events = [e for e in events if e.get("name") == "model_run"]
    own, network, per_node = [], [], collections.defaultdict(list)
    for run in run_events[1:]:  # the first is the warmup
        inside = [e for e in events if e.get("cat") == "Node" and e["name"].endswith("_kernel_time")
                  and run["ts"] <= e["ts"] <= run["ts"] + run["dur"]]
        own.append(sum(e["dur"] for e in inside if own_node(e["name"])) / 1000)
        network.append(sum(e["dur"] for e in inside if not own_node(e["name"])) / 1000)
        for e in inside:
            if own_node(e["name"]):
                per_node[f"{e['args']['op_name']} {e['name'].removesuffix('_kernel_time')}"].append(e["dur"] / 1000)
    print_slowest(per_node, top)
    return statistics.median(own), statistics.median(network), statistics.median(r["dur"] / 1000 for r in run_events[1:])


def print_slowest(per_node: dict[str, list[float]], top: int) -> None:
    for name, times in sorted(per_node.items(), key=lambda item: -statistics.median(item[1]))[:top]:
        print(f"    {statistics.median(times):6.1f} ms  {name}")


def openvino_split(model: onnx.ModelProto, feed: dict, runs: int, top: int = 0) -> tuple[float, float, float]:
    import time

    import openvino as ov

    path = Path(tempfile.mkdtemp()) / "pipeline.onnx"
    onnx.save(model, str(path))
    request = ov.Core().compile_model(str(path), "CPU", {"INFERENCE_NUM_THREADS": 2, "PERF_COUNT": True}) \
        .create_infer_request()
    request.infer(feed)
    own, network, wall, per_node = [], [], [], collections.defaultdict(list)
    for _ in range(runs):
        start = time.perf_counter()
        request.infer(feed)
        wall.append((time.perf_counter() - start) * 1000)
        info = request.get_profiling_info()
        own.append(sum(p.real_time.total_seconds() for p in info if own_node(p.node_name)) * 1000)
        network.append(sum(p.real_time.total_seconds() for p in info if not own_node(p.node_name)) * 1000)
        for p in info:
            if own_node(p.node_name):
                per_node[f"{p.node_type} {p.node_name}"].append(p.real_time.total_seconds() * 1000)
    print_slowest(per_node, top)
    return statistics.median(own), statistics.median(network), statistics.median(wall)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("network", type=Path)
    parser.add_argument("--dng", type=Path, default=None)
    parser.add_argument("--targets", nargs="+", choices=TARGETS, default=list(TARGETS))
    parser.add_argument("--before", default=None, metavar="REV")
    parser.add_argument("--conventions", nargs="+", choices=CONVENTIONS, default=None,
                        help="wrap the network as each of these input conventions (default: its own)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--top", type=int, default=0, metavar="N")
    args = parser.parse_args()
    if args.dng:
        frame = read_raw(args.dng)
        mosaic, phase, black, white, colour = frame.bayer, frame.phase, frame.black, frame.white, frame.colour
    else:
        mosaic = np.random.default_rng(0).integers(500, 1500, size=FULL_FRAME).astype(np.uint16)
        phase, black, white = "RGGB", (512.0,) * 4, 16383.0
        colour = camera_response(camera("sony-ilce-7s"), "D65").conversion()
    network = onnx.load(str(args.network))
    conventions = args.conventions or [input_convention_of(read_metadata(network))]
    now = {f"{target} form": functools.partial(wrap_network, target=target) for target in args.targets}
    builders = {**({f"at {args.before}": builder_at(args.before)} if args.before else {}), **now}
    print(f"{args.network.name}, mosaic {list(mosaic.shape)} pixels, {args.runs} runs after 1 warmup, medians")
    for convention in conventions:
        declared = onnx.ModelProto()
        declared.CopyFrom(network)
        set_metadata(declared, {INPUT_CONVENTION_KEY: convention})
        feed = pipeline_feed(mosaic, phase, black, white, 100.0, colour if convention == "neutral" else None).arrays()
        for runtime, split in (("ONNX Runtime", onnxruntime_split), ("OpenVINO", openvino_split)):
            for label, wrap in builders.items():
                if label not in now and convention != "camera":
                    continue  # revisions from before conventions wrap camera networks only
                own, rest, run = split(wrap(declared), feed, args.runs, args.top if label in now else 0)
                print(f"{runtime:12s} {convention:7s} wrapper {label:14s}: pre/post nodes {own:6.1f} ms, network "
                      f"nodes {rest:7.1f} ms, run {run:7.1f} ms (pre/post {100 * own / run:.1f}% of the run)",
                      flush=True)


if __name__ == "__main__":
    sys.exit(main())
