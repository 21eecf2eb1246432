"""What the harness itself costs: the benchmark's timed call against a bare `session.run` loop.

Both loops run the same ONNX Runtime session on the same input, interleaved in rounds so that drift in the
machine's speed (thermal, other load) hits both alike. The overhead is the relative difference of the
medians; it can come out slightly negative, which means it is below the noise.
"""

import time
from pathlib import Path

import numpy as np

from lowlight_edge.bench.latency import Protocol, measure
from lowlight_edge.bench.stats import summarize
from lowlight_edge.engines.ort_runner import OrtRunner


def harness_overhead(onnx_path: Path, packed: np.ndarray, rounds: int = 5, per_round: int = 4,
                     threads: int | None = None, on_step=lambda: None, clock=time.perf_counter_ns) -> dict:
    """Medians of both loops and the harness's overhead in percent; `clock` (nanoseconds) times both."""
    with OrtRunner(onnx_path, threads=threads) as runner:
        session = runner.session
        feed = {session.get_inputs()[0].name: packed}
        names = [session.get_outputs()[0].name]
        for _ in range(2):  # warm both paths (arena, caches)
            session.run(names, feed)
            runner.infer(packed)
        bare: list[float] = []
        harness: list[float] = []
        for _ in range(rounds):
            for _ in range(per_round):
                start = clock()
                session.run(names, feed)
                bare.append((clock() - start) / 1e6)
                on_step()

            def call() -> None:
                runner.infer(packed)

            harness += measure(call, Protocol(warmup=0, runs=per_round), on_step, clock).times_ms
    # the percentage is computed from the medians as reported, so a reader of the JSON gets the same figure
    b, h = round(summarize(bare)["median_ms"], 3), round(summarize(harness)["median_ms"], 3)
    return {"model": str(onnx_path), "shape": list(packed.shape), "runs_each": len(bare), "bare_median_ms": b,
            "harness_median_ms": h, "overhead_pct": round(100.0 * (h - b) / b, 2)}
