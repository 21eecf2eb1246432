"""Run the latency protocol over models x shapes, one runner at a time, on the same seeded inputs."""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from lowlight_edge.bench.latency import measure
from lowlight_edge.bench.records import BenchRecord, attach_speedups
from lowlight_edge.bench.stats import summarize
from lowlight_edge.engines.select import open_runner


@dataclass
class BenchPlan:
    models: list[Path]
    shapes: list[tuple[int, int]]
    backend: str | None = None
    warmup: int = 2
    runs: int = 10
    batch: int = 1
    threads: int | None = None
    seed: int = 0


def bench_input(batch: int, shape: tuple[int, int], seed: int) -> np.ndarray:
    """A seeded packed frame in [0, 1]; every model sees the identical array for a given shape."""
    rng = np.random.default_rng(seed)
    return rng.random((batch, 4, *shape), dtype=np.float32)


def run_plan(plan: BenchPlan, show_progress: bool = True) -> list[BenchRecord]:
    total = len(plan.models) * len(plan.shapes) * (plan.warmup + plan.runs)
    records = []
    with tqdm(total=total, desc="bench", unit="run", disable=not show_progress, leave=False) as bar:
        for model in plan.models:
            with open_runner(model, plan.backend, plan.threads) as runner:
                for shape in plan.shapes:
                    bar.set_postfix_str(f"{Path(model).name} {runner.backend} {shape[0]}x{shape[1]}")
                    packed = bench_input(plan.batch, shape, plan.seed)
                    run = measure(runner.infer, packed, plan.warmup, plan.runs, on_step=lambda: bar.update(1))
                    records.append(BenchRecord(
                        model=str(model), backend=runner.backend, precision=runner.precision,
                        shape=list(packed.shape), warmup=plan.warmup, runs=plan.runs, threads=plan.threads,
                        source_sha256=runner.source_sha256, stats=summarize(run.times_ms),
                        times_ms=[round(t, 4) for t in run.times_ms],
                    ))
    attach_speedups(records)
    return records
