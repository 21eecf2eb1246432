"""End-to-end latency of enhancing one RAW file, stage by stage.

Published edge numbers often time the network alone; a user waits for the whole chain. Each timed run
here does what `enhance` does, with the host clock read between stages:

  decode       read the RAW file's mosaic (tifffile for plain DNGs, LibRaw otherwise)
  pack         Bayer packing, black/white normalisation, amplification, padding (network models, on the host)
  h2d          host-to-device copy of the inputs (GPU backends only)
  inference    the network (on the CPU, ONNX Runtime and PyTorch also hand the output back as numpy here)
  pipeline     a pipeline model instead: packing, the network and post-processing in one graph on the device
  d2h          device-to-host copy of the output (GPU backends only)
  postprocess  crop back, clip, to 8-bit (network models, on the host)
  encode       PNG encoding in memory (only with `encode=True`)
"""

import time
from pathlib import Path

import numpy as np

from lowlight_edge.bench.stats import summarize
from lowlight_edge.engines.frame import frame_feed
from lowlight_edge.fileio.png import encode_png, to_integer
from lowlight_edge.raw.pack import pad_to_multiple
from lowlight_edge.raw.reader import read_raw

STAGES = ("decode", "pack", "h2d", "inference", "pipeline", "d2h", "postprocess", "encode")
HOST_WORK = ("pack", "h2d", "d2h", "postprocess")  # what the pipeline graph exists to remove


def end_to_end(runner, raw_path: Path, ratio: float, warmup: int, runs: int, encode: bool = False,
               on_step=lambda: None) -> tuple[dict[str, dict], list[float], tuple[int, ...]]:
    """(per-stage summaries, total times in ms, packed input shape the network sees before padding)."""
    timings: dict[str, list[float]] = {}
    totals: list[float] = []
    shape: tuple[int, ...] = ()
    for index in range(warmup + runs):
        start = time.perf_counter_ns()
        frame = read_raw(raw_path)
        decoded = time.perf_counter_ns()
        run, pixels, shape = _model_stages(runner, frame, ratio, decoded)
        done = time.perf_counter_ns()
        if encode:
            encode_png(pixels)
            run["encode"] = (time.perf_counter_ns() - done) / 1e6
        end = time.perf_counter_ns()
        on_step()
        if index < warmup:
            continue
        run["decode"] = (decoded - start) / 1e6
        for stage, value in run.items():
            timings.setdefault(stage, []).append(value)
        totals.append((end - start) / 1e6)
    ordered = [s for s in STAGES if s in timings]
    return {stage: summarize(timings[stage]) for stage in ordered}, totals, shape


def _model_stages(runner, frame, ratio: float, decoded_ns: int) -> tuple[dict[str, float], np.ndarray, tuple]:
    """Everything after decoding up to 8-bit pixels in host memory, as stage timings in ms."""
    if runner.pipeline is not None:
        feed = frame_feed(frame, ratio, runner.pipeline.convention)
        pixels, inner = runner.infer_staged(feed)
        inner[runner.compute_stage] += (time.perf_counter_ns() - decoded_ns) / 1e6 - sum(inner.values())
        _, _, h, w = feed.packed_shape
        multiple = runner.size_multiple
        return inner, pixels, (1, 4, h + (-h) % multiple, w + (-w) % multiple)  # what the network sees, padded
    batch, size = pad_to_multiple(frame.pack(ratio, runner.input_convention)[None], runner.size_multiple)
    batch = np.ascontiguousarray(batch)
    packed = time.perf_counter_ns()
    out, inner = runner.infer_staged(batch)
    inferred = time.perf_counter_ns()
    pixels = to_integer(out[0, :, : 2 * size[0], : 2 * size[1]].transpose(1, 2, 0), 8)  # crop, clip, 8-bit
    run = {"pack": (packed - decoded_ns) / 1e6, **inner, "postprocess": (time.perf_counter_ns() - inferred) / 1e6}
    run["inference"] += (inferred - packed) / 1e6 - sum(inner.values())  # call overhead around the stages
    return run, pixels, batch.shape


def pre_post_share(stages: dict[str, dict]) -> float:
    """Fraction of the end-to-end median spent on host pre/post-processing and transfers (decode excluded: I/O)."""
    total = sum(s["median_ms"] for s in stages.values())
    outside = sum(stages[s]["median_ms"] for s in HOST_WORK if s in stages)
    return outside / total if total else 0.0
