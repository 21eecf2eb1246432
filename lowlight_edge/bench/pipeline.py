"""End-to-end latency of enhancing one RAW file, stage by stage.

Published edge numbers often time the network alone; a user waits for the whole chain. Each timed run
here does what `enhance` does, with the host clock read between stages:

  decode       LibRaw opens and unpacks the RAW file
  pack         Bayer packing, black/white normalisation, amplification, padding to the network's multiple
  h2d          host-to-device copy of the packed frame (GPU backends only)
  inference    the network (on the CPU, ONNX Runtime and PyTorch also hand the output back as numpy here)
  d2h          device-to-host copy of the output (GPU backends only)
  postprocess  crop back, clip, to 8-bit
  encode       PNG encoding in memory (only with `encode=True`: it is often slower than the network)
"""

import io
from pathlib import Path

import numpy as np

from lowlight_edge.bench.stats import summarize
from lowlight_edge.fileio.png import to_integer
from lowlight_edge.raw.pack import pad_to_multiple
from lowlight_edge.raw.reader import read_raw

STAGES = ("decode", "pack", "h2d", "inference", "d2h", "postprocess", "encode")


def end_to_end(runner, raw_path: Path, ratio: float, warmup: int, runs: int, encode: bool = False,
               on_step=lambda: None) -> tuple[dict[str, dict], list[float], tuple[int, ...]]:
    """(per-stage summaries, total times in ms, packed input shape fed to the network)."""
    import time

    timings: dict[str, list[float]] = {}
    totals: list[float] = []
    shape: tuple[int, ...] = ()
    for index in range(warmup + runs):
        start = time.perf_counter_ns()
        frame = read_raw(raw_path)
        decoded = time.perf_counter_ns()
        batch, size = pad_to_multiple(frame.pack(ratio)[None], runner.size_multiple)
        batch = np.ascontiguousarray(batch)
        packed = time.perf_counter_ns()
        out, inner = runner.infer_staged(batch)
        inferred = time.perf_counter_ns()
        pixels = to_integer(out[0, :, : 2 * size[0], : 2 * size[1]].transpose(1, 2, 0), 8)  # crop, clip, 8-bit
        done = time.perf_counter_ns()
        if encode:
            _png_bytes(pixels)
        end = time.perf_counter_ns()
        shape = batch.shape
        on_step()
        if index < warmup:
            continue
        # the runner's own stages (h2d / inference / d2h) split its share of the host clock
        run = {"decode": (decoded - start) / 1e6, "pack": (packed - decoded) / 1e6, **inner,
               "postprocess": (done - inferred) / 1e6}
        run["inference"] += (inferred - packed) / 1e6 - sum(inner.values())  # call overhead around the stages
        if encode:
            run["encode"] = (end - done) / 1e6
        for stage, value in run.items():
            timings.setdefault(stage, []).append(value)
        totals.append((end - start) / 1e6)
    ordered = [s for s in STAGES if s in timings]
    return {stage: summarize(timings[stage]) for stage in ordered}, totals, shape


def _png_bytes(pixels: np.ndarray) -> bytes:
    import png

    h, w, c = pixels.shape
    buffer = io.BytesIO()
    png.Writer(w, h, greyscale=False, bitdepth=8).write(buffer, pixels.reshape(h, w * c))
    return buffer.getvalue()


def pre_post_share(stages: dict[str, dict]) -> float:
    """Fraction of the end-to-end median spent outside inference (decode excluded: it is I/O)."""
    total = sum(s["median_ms"] for s in stages.values())
    outside = sum(stages[s]["median_ms"] for s in ("pack", "postprocess") if s in stages)
    return outside / total if total else 0.0
