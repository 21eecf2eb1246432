"""Summary statistics of a latency series (milliseconds)."""

import numpy as np


def summarize(times_ms) -> dict[str, float]:
    """Percentiles (linear interpolation, as numpy), mean, population std, min, max, throughput.

    >>> s = summarize([1.0, 2.0, 3.0, 4.0])
    >>> s["median_ms"], s["mean_ms"], s["min_ms"], s["max_ms"]
    (2.5, 2.5, 1.0, 4.0)
    """
    t = np.asarray(times_ms, dtype=np.float64)
    if t.size == 0:
        raise ValueError("no timings to summarize")
    mean = float(t.mean())
    return {
        "median_ms": float(np.percentile(t, 50)),
        "p90_ms": float(np.percentile(t, 90)),
        "p99_ms": float(np.percentile(t, 99)),
        "mean_ms": mean,
        "std_ms": float(t.std()),
        "min_ms": float(t.min()),
        "max_ms": float(t.max()),
        "images_per_s": 1000.0 / mean if mean > 0 else float("inf"),
    }
