"""Peak memory of one inference, measured in a fresh process.

A process's peak resident set only grows, and runtimes keep their memory arenas after a call, so memory
measured inside the benchmark process would mix rows. Each probe is a child Python process that loads one
model, runs one call at one shape (tiled or whole) and reports:

  peak_rss_mib       the child's peak resident memory (load + inference): what the device must have free
  inference_rss_mib  how much the inference call added above the loaded model
  peak_gpu_mib       peak device allocation where the runner can tell (PyTorch CUDA; None elsewhere)
"""

import json
import resource
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

from lowlight_edge.bench.inputs import runner_input
from lowlight_edge.engines.options import RunnerOptions
from lowlight_edge.engines.select import open_runner
from lowlight_edge.errors import LowlightError

PROBE_TIMEOUT_S = 900


def _status_mib(field: str) -> float | None:
    """A field of /proc/self/status in MiB (Linux)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def _peak_rss_mib() -> float:
    # VmHWM belongs to this process image; ru_maxrss is not reset by exec on Linux, so a child of a big
    # parent would report the parent's peak.
    peak = _status_mib("VmHWM")
    if peak is not None:
        return peak
    raw = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return raw / 2**20 if sys.platform == "darwin" else raw / 1024  # bytes on macOS, KiB elsewhere


def _current_rss_mib() -> float:
    current = _status_mib("VmRSS")
    return current if current is not None else _peak_rss_mib()


def peak_memory(model: Path, backend: str, shape: tuple[int, ...], options: RunnerOptions | None = None,
                **fields) -> dict:
    """Run the probe in a child process; a failure is reported in the result, not raised."""
    options = replace(options or RunnerOptions(), **fields)
    spec = {"model": str(model), "backend": backend, "shape": list(shape), "options": options.to_json()}
    try:
        done = subprocess.run([sys.executable, "-m", "lowlight_edge.bench.memory", json.dumps(spec)],
                              capture_output=True, text=True, timeout=PROBE_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return {"error": f"memory probe timed out after {PROBE_TIMEOUT_S} s"}
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"error": f"memory probe failed: {last[:200]}"}
    return json.loads(lines[-1])


def probe(spec: dict) -> dict:
    runner = open_runner(Path(spec["model"]), spec["backend"], RunnerOptions.from_json(spec["options"]))
    with runner:
        n, _, h, w = spec["shape"]
        packed = runner_input(runner, n, (h, w), 0)
        loaded = _current_rss_mib()
        runner.infer(packed)
        peak = _peak_rss_mib()
        device = runner.peak_device_mib()
    return {"peak_rss_mib": round(peak, 1), "inference_rss_mib": round(max(peak - loaded, 0.0), 1),
            "peak_gpu_mib": device}


if __name__ == "__main__":
    try:
        print(json.dumps(probe(json.loads(sys.argv[1]))))
    except LowlightError as exc:
        print(f"lowlight-edge: error: {exc}", file=sys.stderr)
        sys.exit(2)
