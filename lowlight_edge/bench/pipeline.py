"""End-to-end latency of enhancing one RAW file, stage by stage.

Published edge numbers often time the network alone; a user waits for the whole chain. Each timed run
here does what `enhance` does, with the host clock read between stages:

  decode       LibRaw opens and unpacks the RAW file
  pack         Bayer packing, black/white normalisation, amplification, padding to the network's multiple
  inference    the runner's `infer` (for ONNX Runtime and PyTorch on the CPU this includes copying the
               output; for TensorRT it includes host<->device transfers)
  postprocess  crop back, clip, to 8-bit
  encode       PNG encoding in memory (only with `encode=True`: it is often slower than the network)
"""

import io
from pathlib import Path

import numpy as np

from lowlight_edge.bench.stats import summarize
from lowlight_edge.fileio.png import to_integer
from lowlight_edge.raw.pack import pad_to_multiple, unpack_rgb
from lowlight_edge.raw.reader import read_raw

STAGES = ("decode", "pack", "inference", "postprocess", "encode")


def end_to_end(runner, raw_path: Path, ratio: float, warmup: int, runs: int, encode: bool = False,
               on_step=lambda: None) -> tuple[dict[str, dict], list[float], tuple[int, ...]]:
    """(per-stage summaries, total times in ms, packed input shape fed to the network)."""
    import time

    timings: dict[str, list[float]] = {s: [] for s in STAGES if encode or s != "encode"}
    totals: list[float] = []
    shape: tuple[int, ...] = ()
    for index in range(warmup + runs):
        marks = [time.perf_counter_ns()]
        frame = read_raw(raw_path)
        marks.append(time.perf_counter_ns())
        batch, size = pad_to_multiple(frame.pack(ratio)[None], runner.size_multiple)
        batch = np.ascontiguousarray(batch)
        marks.append(time.perf_counter_ns())
        out = runner.infer(batch)
        marks.append(time.perf_counter_ns())
        pixels = to_integer(unpack_rgb(out, size)[0].transpose(1, 2, 0), 8)
        marks.append(time.perf_counter_ns())
        if encode:
            _png_bytes(pixels)
            marks.append(time.perf_counter_ns())
        shape = batch.shape
        on_step()
        if index < warmup:
            continue
        for stage, start, end in zip(timings, marks, marks[1:]):
            timings[stage].append((end - start) / 1e6)
        totals.append((marks[-1] - marks[0]) / 1e6)
    return {stage: summarize(values) for stage, values in timings.items()}, totals, shape


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
