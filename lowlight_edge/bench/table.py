"""Benchmark records as tables: terminal (tabulate), Markdown and CSV."""

import csv
import io
from pathlib import Path

from lowlight_edge.bench.end_to_end import STAGES, pre_post_share
from lowlight_edge.bench.records import TARGET_S, BenchRecord
from lowlight_edge.engines.backends import reference_backend
from lowlight_edge.fileio.terminal import safe_table

HEADERS = ["model", "backend", "precision", "view", "packed NxHxW", "median ms", "p90 ms", "p99 ms", "mean ms",
           "std ms", "img/s", "GFLOP/s", "peak MiB", "vs torch", f"<= {TARGET_S * 1000:.0f} ms/img", "note"]


def _speedup(r: BenchRecord) -> str:
    if r.speedup_vs_torch is None:
        return "-"
    on_gpu = r.baseline is not None and r.baseline != reference_backend("cpu").name
    return f"{r.speedup_vs_torch:.2f}x" + (" (cuda)" if on_gpu else "")


def _note(r: BenchRecord) -> str:
    if not r.ran:
        return f"skipped: {r.skipped}"
    parts = []
    if r.max_tile:
        parts.append(f"tiles <= {r.max_tile}")
    if r.timer != "host":
        parts.append(r.timer)
    if r.memory and "error" in r.memory:
        parts.append(r.memory["error"])
    parts += [n for n in r.notes if not n.startswith("RAW file")]  # runtime settings (the RAW file is in the stages)
    return "; ".join(parts)


def _skipped_groups(records: list[BenchRecord]) -> dict[tuple, list[BenchRecord]]:
    """Skipped rows of one model and backend share one reason: the table shows them as one line."""
    groups: dict[tuple, list[BenchRecord]] = {}
    for r in records:
        if not r.ran:
            groups.setdefault((r.model, r.backend, r.skipped), []).append(r)
    return groups


def _rows(records: list[BenchRecord]) -> list[list[str]]:
    rows = []
    groups = _skipped_groups(records)
    for r in records:
        n, _, h, w = r.shape
        head = [Path(r.model).name, r.backend, r.precision, r.mode, f"{n}x{h}x{w}" if h else "-"]
        if not r.ran:
            group = groups.pop((r.model, r.backend, r.skipped), None)
            if group is None:
                continue  # already shown with the first row of its group
            views = ", ".join(dict.fromkeys(g.mode for g in group))
            shapes = ", ".join(dict.fromkeys(f"{g.shape[0]}x{g.shape[2]}x{g.shape[3]}" for g in group if g.shape[2]))
            rows.append(head[:3] + [views, shapes or "-"] + ["-"] * (len(HEADERS) - 6) + [_note(r)])
            continue
        s = r.stats
        peak = r.memory.get("peak_rss_mib") if r.memory else None
        rows.append(head + [
            f"{s['median_ms']:.1f}", f"{s['p90_ms']:.1f}", f"{s['p99_ms']:.1f}", f"{s['mean_ms']:.1f}", f"{s['std_ms']:.1f}",
            f"{s['images_per_s'] * n:.2f}", "-" if r.gflops_per_s is None else f"{r.gflops_per_s:.1f}",
            "-" if peak is None else f"{peak:.0f}", _speedup(r), "yes" if r.meets_target else "no", _note(r),
        ])
    return rows


def _stage_rows(records: list[BenchRecord]) -> tuple[list[str], list[list[str]]]:
    staged = [r for r in records if r.ran and r.stages]
    names = [s for s in STAGES if any(s in r.stages for r in staged)]
    rows = [[Path(r.model).name, r.backend, *[f"{r.stages[s]['median_ms']:.1f}" if s in r.stages else "-" for s in names],
             f"{r.stats['median_ms']:.1f}", f"{100 * pre_post_share(r.stages):.1f}%"] for r in staged]
    return ["model", "backend", *[f"{s} ms" for s in names], "total ms", "host pre/post share"], rows


def render(records: list[BenchRecord], fmt: str = "simple") -> str:
    text = safe_table(_rows(records), headers=HEADERS, tablefmt=fmt, disable_numparse=True)
    headers, rows = _stage_rows(records)
    if rows:
        text += "\n\nEnd to end, median per stage:\n\n" + safe_table(rows, headers=headers, tablefmt=fmt, disable_numparse=True)
    return text


def environment_lines(environment: dict) -> list[str]:
    libs = ", ".join(f"{k} {v}" for k, v in environment.get("libraries", {}).items() if v)
    dot = {True: ", INT8 dot products", False: ", no INT8 dot products (VNNI)"}.get(environment.get("cpu_int8_dot_product"), "")
    lines = [f"- CPU: {environment.get('cpu')} ({environment.get('cpu_count')} cores{dot}), "
             f"{environment.get('memory_gib')} GiB",
             f"- GPU: {environment.get('gpu') or 'none'}", f"- Libraries: {libs}",
             f"- Threads: {environment.get('threads', {})}", f"- Command: `{environment.get('command')}`"]
    jetson = environment.get("jetson")
    if jetson:
        lines.append(f"- Jetson power mode: {jetson.get('power_mode') or '?'}; clocks locked: {jetson.get('clocks_locked')}")
    lines += [f"- WARNING: {w}" for w in environment.get("warnings", [])]
    return lines


def render_markdown(records: list[BenchRecord], environment: dict) -> str:
    return (f"# Benchmark: {environment.get('host', '?')}\n\n" + "\n".join(environment_lines(environment)) + "\n\n"
            + render(records, "github") + "\n")


def render_csv(records: list[BenchRecord]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    stats_keys = ["median_ms", "p90_ms", "p99_ms", "mean_ms", "std_ms", "min_ms", "max_ms", "images_per_s"]
    writer.writerow(["model", "backend", "precision", "mode", "n", "h", "w", "max_tile", "timer", *stats_keys, "flops",
                     "gflops_per_s", "peak_rss_mib", "speedup_vs_torch", "baseline", "meets_target", "skipped",
                     *[f"{s}_median_ms" for s in STAGES]])
    for r in records:
        stages = [r.stages[s]["median_ms"] if r.stages and s in r.stages else "" for s in STAGES]
        peak = r.memory.get("peak_rss_mib", "") if r.memory else ""
        writer.writerow([r.model, r.backend, r.precision, r.mode, r.shape[0], r.shape[2], r.shape[3], r.max_tile or "",
                         r.timer, *[r.stats.get(k, "") for k in stats_keys], r.flops or "", r.gflops_per_s or "", peak,
                         r.speedup_vs_torch or "", r.baseline or "", "" if r.meets_target is None else r.meets_target,
                         r.skipped or "", *stages])
    return buffer.getvalue()
