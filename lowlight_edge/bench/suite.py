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
    raw: Path | None = None  # also time the whole chain on this RAW file, stage by stage
    ratio: float | None = None
    encode: bool = False  # include PNG encoding in the end-to-end chain


def bench_input(batch: int, shape: tuple[int, int], seed: int) -> np.ndarray:
    """A seeded packed frame in [0, 1]; every model sees the identical array for a given shape."""
    rng = np.random.default_rng(seed)
    return rng.random((batch, 4, *shape), dtype=np.float32)


def run_plan(plan: BenchPlan, show_progress: bool = True) -> list[BenchRecord]:
    per_model = (len(plan.shapes) + (1 if plan.raw else 0)) * (plan.warmup + plan.runs)
    total = len(plan.models) * per_model
    ratio = _raw_ratio(plan) if plan.raw else None
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
                if plan.raw:
                    bar.set_postfix_str(f"{Path(model).name} {runner.backend} end-to-end {plan.raw.name}")
                    records.append(_end_to_end_record(runner, model, plan, ratio, lambda: bar.update(1)))
    attach_speedups(records)
    attach_flops(records)
    return records


def _raw_ratio(plan: BenchPlan) -> float:
    from lowlight_edge.raw.ratio import resolve_ratio
    from lowlight_edge.raw.reader import read_raw

    return resolve_ratio(plan.raw, plan.ratio, None, read_raw(plan.raw).exposure_s)[0]


def _end_to_end_record(runner, model, plan: BenchPlan, ratio: float, on_step) -> BenchRecord:
    from lowlight_edge.bench.pipeline import end_to_end

    stages, totals, shape = end_to_end(runner, plan.raw, ratio, plan.warmup, plan.runs, plan.encode, on_step)
    return BenchRecord(
        model=str(model), backend=runner.backend, precision=runner.precision, shape=list(shape), warmup=plan.warmup,
        runs=plan.runs, threads=plan.threads, source_sha256=runner.source_sha256, stats=summarize(totals),
        times_ms=[round(t, 4) for t in totals], mode="end-to-end", stages=stages,
        notes=[f"RAW file {plan.raw.name}, ratio {ratio:g}" + (", PNG encoding included" if plan.encode else "")],
    )


def attach_flops(records: list[BenchRecord]) -> None:
    """FLOPs from an ONNX model of the same checkpoint (the architecture is the same for every backend)."""
    from lowlight_edge.bench.flops import conv_flops
    from lowlight_edge.engines.select import model_kind

    onnx_of = {}
    for record in records:
        if model_kind(Path(record.model)) == "onnx":
            onnx_of.setdefault(record.source_sha256, Path(record.model))
    cache: dict = {}
    for record in records:
        source = onnx_of.get(record.source_sha256)
        if source is None:
            continue
        key = (source, tuple(record.shape))
        if key not in cache:
            cache[key] = conv_flops(source, tuple(record.shape))
        record.flops = cache[key]
        compute_ms = record.stages["inference"]["median_ms"] if record.stages else record.stats["median_ms"]
        record.gflops_per_s = round(record.flops / (compute_ms / 1000) / 1e9, 2) if compute_ms > 0 else None
