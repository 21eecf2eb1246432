"""Benchmark records as tables: terminal (tabulate), Markdown and CSV."""

import csv
import io
from pathlib import Path

from tabulate import tabulate

from lowlight_edge.bench.pipeline import STAGES, pre_post_share
from lowlight_edge.bench.records import TARGET_S, BenchRecord

HEADERS = ["model", "backend", "precision", "mode", "packed NxHxW", "median ms", "p90 ms", "p99 ms", "mean ms", "img/s",
           "GFLOP/s", "vs torch", f"<= {TARGET_S * 1000:.0f} ms"]


def _rows(records: list[BenchRecord]) -> list[list[str]]:
    rows = []
    for r in records:
        n, _, h, w = r.shape
        s = r.stats
        rows.append([
            Path(r.model).name, r.backend, r.precision, r.mode, f"{n}x{h}x{w}", f"{s['median_ms']:.1f}",
            f"{s['p90_ms']:.1f}", f"{s['p99_ms']:.1f}", f"{s['mean_ms']:.1f}", f"{s['images_per_s'] * n:.2f}",
            "-" if r.gflops_per_s is None else f"{r.gflops_per_s:.1f}",
            "-" if r.speedup_vs_torch is None else f"{r.speedup_vs_torch:.2f}x",
            "yes" if r.meets_target else "no",
        ])
    return rows


def _stage_rows(records: list[BenchRecord]) -> tuple[list[str], list[list[str]]]:
    staged = [r for r in records if r.stages]
    names = [s for s in STAGES if any(s in r.stages for r in staged)]
    rows = [[Path(r.model).name, r.backend, *[f"{r.stages[s]['median_ms']:.1f}" if s in r.stages else "-" for s in names],
             f"{r.stats['median_ms']:.1f}", f"{100 * pre_post_share(r.stages):.1f}%"] for r in staged]
    return ["model", "backend", *[f"{s} ms" for s in names], "total ms", "pack+post share"], rows


def render(records: list[BenchRecord], fmt: str = "simple") -> str:
    text = tabulate(_rows(records), headers=HEADERS, tablefmt=fmt, disable_numparse=True)
    headers, rows = _stage_rows(records)
    if rows:
        text += "\n\nEnd to end, median per stage:\n" + tabulate(rows, headers=headers, tablefmt=fmt, disable_numparse=True)
    return text


def render_markdown(records: list[BenchRecord], environment: dict) -> str:
    libs = ", ".join(f"{k} {v}" for k, v in environment.get("libraries", {}).items() if v)
    return (f"# Benchmark: {environment.get('host', '?')}\n\n- CPU: {environment.get('cpu')} ({environment.get('cpu_count')} "
            f"cores), {environment.get('memory_gib')} GiB\n- Libraries: {libs}\n- Command: `{environment.get('command')}`\n\n"
            + render(records, "github") + "\n")


def render_csv(records: list[BenchRecord]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    stats_keys = ["median_ms", "p90_ms", "p99_ms", "mean_ms", "std_ms", "min_ms", "max_ms", "images_per_s"]
    writer.writerow(["model", "backend", "precision", "mode", "n", "h", "w", *stats_keys, "flops", "gflops_per_s",
                     "speedup_vs_torch", "meets_target", *[f"{s}_median_ms" for s in STAGES]])
    for r in records:
        stages = [r.stages[s]["median_ms"] if r.stages and s in r.stages else "" for s in STAGES]
        writer.writerow([r.model, r.backend, r.precision, r.mode, r.shape[0], r.shape[2], r.shape[3],
                         *[r.stats[k] for k in stats_keys], r.flops or "", r.gflops_per_s or "",
                         r.speedup_vs_torch or "", r.meets_target, *stages])
    return buffer.getvalue()
