"""The latency protocol: warmup (excluded) by count and minimum time, then timed runs by count and minimum time.

A call is timed on the host clock (`perf_counter_ns`) around the whole call. A call may also return its own
device time in milliseconds (CUDA events around the GPU work); the series then holds device times and the
host times are kept beside them, as trtexec reports both "GPU Compute Time" and "Latency".
"""

import time
from dataclasses import dataclass, field
from typing import Callable


@dataclass(frozen=True)
class Protocol:
    warmup: int = 2  # at least this many untimed calls ...
    warmup_s: float = 0.0  # ... and at least this long
    runs: int = 10  # at least this many timed calls ...
    min_time_s: float = 0.0  # ... and until this much time has passed
    max_runs: int = 100_000  # a bound for --min-time on very fast calls

    def __post_init__(self) -> None:
        if self.runs < 1 or self.warmup < 0 or self.warmup_s < 0 or self.min_time_s < 0 or self.max_runs < self.runs:
            raise ValueError("runs must be >= 1, warmup and times >= 0, max_runs >= runs")


@dataclass
class LatencyRun:
    warmup_ms: list[float]
    times_ms: list[float]  # device times when the call reported them, else host times
    host_ms: list[float] = field(default_factory=list)
    timer: str = "host"  # "host" or "cuda-events"


def measure(call: Callable[[], float | None], protocol: Protocol, on_step: Callable[[], None] = lambda: None,
            clock: Callable[[], int] = time.perf_counter_ns) -> LatencyRun:
    """Run `call` under `protocol`; `call()` returns None, or its device time in ms. `clock` (nanoseconds) times
    the calls and the minimum durations."""
    warm = _repeat(call, protocol.warmup, protocol.warmup_s, protocol.max_runs, on_step, clock)
    timed = _repeat(call, protocol.runs, protocol.min_time_s, protocol.max_runs, on_step, clock)
    host = [h for h, _ in timed]
    device = [d for _, d in timed]
    if all(d is not None for d in device):
        return LatencyRun(warmup_ms=[h for h, _ in warm], times_ms=device, host_ms=host, timer="cuda-events")
    return LatencyRun(warmup_ms=[h for h, _ in warm], times_ms=host, host_ms=host)


def _repeat(call, count: int, min_s: float, max_count: int, on_step, clock) -> list[tuple[float, float | None]]:
    out: list[tuple[float, float | None]] = []
    start = clock()
    while len(out) < count or ((clock() - start) / 1e9 < min_s and len(out) < max_count):
        t0 = clock()
        device_ms = call()
        out.append(((clock() - t0) / 1e6, device_ms))
        on_step()
    return out
