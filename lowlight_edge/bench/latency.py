"""The latency protocol: warmup runs (excluded), then timed runs of `runner.infer` on one input.

Time is host wall clock (`perf_counter_ns`) around the full `infer` call, so for a CPU backend it is the
compute plus the copy of the output into a numpy array.
"""

import time
from dataclasses import dataclass
from typing import Callable

import numpy as np


@dataclass
class LatencyRun:
    warmup_ms: list[float]
    times_ms: list[float]


def measure(infer: Callable[[np.ndarray], np.ndarray], packed: np.ndarray, warmup: int, runs: int,
            on_step: Callable[[], None] = lambda: None) -> LatencyRun:
    if runs < 1:
        raise ValueError("runs must be >= 1")
    warm = [_timed(infer, packed, on_step) for _ in range(max(warmup, 0))]
    timed = [_timed(infer, packed, on_step) for _ in range(runs)]
    return LatencyRun(warmup_ms=warm, times_ms=timed)


def _timed(infer, packed, on_step) -> float:
    start = time.perf_counter_ns()
    infer(packed)
    elapsed = (time.perf_counter_ns() - start) / 1e6
    on_step()
    return elapsed
