"""Benchmark plots (matplotlib, the `plots` extra), written as PNG files:

- latency.png: the distribution of every timed row (box: quartiles, whiskers: p1-p99, points: each run),
  one panel per shape, with the 0.06 s per-image target as a line;
- stages.png: end-to-end time split by stage, one bar per model and backend.
"""

from pathlib import Path

from lowlight_edge.bench.end_to_end import STAGES
from lowlight_edge.bench.records import TARGET_S, BenchRecord
from lowlight_edge.deps import require
from lowlight_edge.fileio.atomic import atomic_output


def _pyplot():
    matplotlib = require("matplotlib", "benchmark plots")
    matplotlib.use("Agg")  # files only: never open a window (headless Jetsons, CI)
    import matplotlib.pyplot as plt

    return plt


def _label(r: BenchRecord) -> str:
    tile = f" tiles<={r.max_tile}" if r.max_tile else ""
    return f"{Path(r.model).name} | {r.backend} | {r.mode}{tile}"


def latency_plot(records: list[BenchRecord], path: Path, force: bool = True) -> Path | None:
    rows = [r for r in records if r.ran and r.times_ms and r.mode != "end-to-end"]
    if not rows:
        return None
    plt = _pyplot()
    shapes = sorted({tuple(r.shape) for r in rows}, key=lambda s: s[2] * s[3])
    fig, axes = plt.subplots(len(shapes), 1, figsize=(11, 1.2 + 0.45 * len(rows)), squeeze=False)
    for ax, shape in zip(axes[:, 0], shapes):
        group = [r for r in rows if tuple(r.shape) == shape]
        ax.boxplot([r.times_ms for r in group], orientation="horizontal", whis=(1, 99), showfliers=False)
        for y, r in enumerate(group, start=1):
            ax.plot(r.times_ms, [y] * len(r.times_ms), "o", alpha=0.35, markersize=3, color="tab:blue")
        ax.set_yticks(range(1, len(group) + 1), [_label(r) for r in group], fontsize=7)
        ax.axvline(TARGET_S * 1000 * shape[0], color="tab:red", linestyle="--", linewidth=1)
        ax.set_xscale("log")
        ax.set_title(f"packed {shape[0]}x{shape[2]}x{shape[3]} (red: {TARGET_S:.2f} s per image)", fontsize=9)
        ax.set_xlabel("ms per call (log scale)")
    fig.tight_layout()
    return _save(fig, plt, path, force)


def stages_plot(records: list[BenchRecord], path: Path, force: bool = True) -> Path | None:
    rows = [r for r in records if r.ran and r.stages]
    if not rows:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(10, 1.2 + 0.5 * len(rows)))
    left = [0.0] * len(rows)
    for stage in STAGES:
        widths = [r.stages[stage]["median_ms"] if stage in r.stages else 0.0 for r in rows]
        if any(widths):
            ax.barh(range(len(rows)), widths, left=left, label=stage)
            left = [a + b for a, b in zip(left, widths)]
    ax.set_yticks(range(len(rows)), [f"{Path(r.model).name} | {r.backend}" for r in rows], fontsize=7)
    ax.set_xlabel("median ms per stage, RAW file to 8-bit image")
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    return _save(fig, plt, path, force)


def _save(fig, plt, path: Path, force: bool) -> Path:
    with atomic_output(Path(path), force) as tmp:
        fig.savefig(tmp, dpi=110, format="png")
    plt.close(fig)
    return Path(path)


def write_plots(records: list[BenchRecord], folder: Path, force: bool = True) -> list[Path]:
    written = [latency_plot(records, Path(folder) / "latency.png", force),
               stages_plot(records, Path(folder) / "stages.png", force)]
    return [p for p in written if p is not None]
