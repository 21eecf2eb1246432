"""Terminal table of benchmark records."""

from pathlib import Path

from tabulate import tabulate

from lowlight_edge.bench.records import TARGET_S, BenchRecord


def render(records: list[BenchRecord]) -> str:
    rows = []
    for r in records:
        n, _, h, w = r.shape
        s = r.stats
        rows.append([
            Path(r.model).name, r.backend, r.precision, f"{n}x{h}x{w}", f"{s['median_ms']:.1f}", f"{s['p90_ms']:.1f}",
            f"{s['p99_ms']:.1f}", f"{s['mean_ms']:.1f}", f"{s['images_per_s'] * n:.2f}",
            "-" if r.speedup_vs_torch is None else f"{r.speedup_vs_torch:.2f}x",
            "yes" if r.meets_target else "no",
        ])
    headers = ["model", "backend", "precision", "packed NxHxW", "median ms", "p90 ms", "p99 ms", "mean ms",
               "img/s", "vs torch", f"<= {TARGET_S * 1000:.0f} ms"]
    return tabulate(rows, headers=headers, disable_numparse=True)
