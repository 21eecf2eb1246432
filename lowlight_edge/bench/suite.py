"""Run the latency protocol over the matrix models x backends x views x shapes, on the same seeded inputs.

A backend that cannot run here (no GPU, no TensorRT, no such ONNX Runtime provider) and a view a runner
does not have still give their rows, marked skipped with the reason: a table never drops a row silently.
"""

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm import tqdm

from lowlight_edge.bench.end_to_end import end_to_end
from lowlight_edge.bench.flops import conv_flops
from lowlight_edge.bench.inputs import input_shape, runner_input
from lowlight_edge.bench.latency import Protocol, measure
from lowlight_edge.bench.memory import peak_memory
from lowlight_edge.bench.records import BenchRecord, attach_speedups, skipped_record
from lowlight_edge.bench.stats import summarize
from lowlight_edge.engines.backends import backends_for, model_kind
from lowlight_edge.engines.options import RunnerOptions
from lowlight_edge.engines.select import declared_precision, is_pipeline_onnx, open_runner
from lowlight_edge.errors import BackendUnavailable, MissingDependency
from lowlight_edge.raw.ratio import resolve_ratio
from lowlight_edge.raw.reader import read_raw

DEFAULT_VIEWS = ("model", "compute")


@dataclass
class BenchPlan:
    """What to measure: models x backends x views x shapes (or explicit model/backend pairs), and how.

    Example::

        BenchPlan(models=[Path("model.fp32.onnx"), Path("model.int8.onnx")], shapes=[(512, 512)],
                  protocol=Protocol(warmup=2, runs=10), runner=RunnerOptions(threads=2))
    """

    models: list[Path]
    shapes: list[tuple[int, int]]
    backends: list[str] | None = None  # each model runs on those of these that take its file type
    protocol: Protocol = field(default_factory=Protocol)
    views: tuple[str, ...] = DEFAULT_VIEWS
    batch: int = 1
    runner: RunnerOptions = field(default_factory=RunnerOptions)  # threads, tiling, engine trust
    seed: int = 0
    raw: Path | None = None  # also time the whole chain on this RAW file, stage by stage
    ratio: float | None = None
    encode: bool = False  # include PNG encoding in the end-to-end chain
    memory: bool = False  # peak memory of each (model, backend, shape), in a fresh process
    pairs: list[tuple[Path, str]] | None = None  # explicit (model, backend) pairs instead of models x backends


def run_plan(plan: BenchPlan, show_progress: bool = True) -> list[BenchRecord]:
    """The measured rows of `plan`, without speedups and FLOPs (see `annotate`)."""
    ratio = _raw_ratio(plan) if plan.raw else None
    pairs = plan.pairs or [(model, backend) for model in plan.models for backend in backends_for(model, plan.backends)]
    rows_per_pair = len(plan.shapes) * len(plan.views) + (1 if plan.raw else 0)
    total = len(pairs) * rows_per_pair * (plan.protocol.warmup + plan.protocol.runs)
    records: list[BenchRecord] = []
    with tqdm(total=total, desc="bench", unit="run", disable=not show_progress, leave=False) as bar:
        step = lambda: bar.update(1)  # noqa: E731 - the progress callback
        for model, backend in pairs:
            runner = open_runner(model, backend, plan.runner)
            try:
                runner.activate()
            except (BackendUnavailable, MissingDependency) as exc:
                records += _skipped_pair(model, backend, plan, str(exc))
                bar.update(rows_per_pair * (plan.protocol.warmup + plan.protocol.runs))
                continue
            try:
                for shape in plan.shapes:
                    packed = runner_input(runner, plan.batch, shape, plan.seed)
                    for view in plan.views:
                        bar.set_postfix_str(f"{Path(model).name} {runner.backend} {view} {shape[0]}x{shape[1]}")
                        records.append(_timed_record(runner, model, packed, view, plan, step))
                if plan.raw:
                    bar.set_postfix_str(f"{Path(model).name} {runner.backend} end-to-end {plan.raw.name}")
                    records.append(_end_to_end_record(runner, model, plan, ratio, step))
            finally:
                runner.deactivate()
    if plan.memory:
        attach_memory(records, plan, show_progress)
    return records


def annotate(records: list[BenchRecord]) -> list[BenchRecord]:
    """Speedups and FLOPs, once over all the rows that belong together (several plans may feed one table)."""
    attach_speedups(records)
    attach_flops(records)
    return records


def _skipped_pair(model, backend: str, plan: BenchPlan, reason: str) -> list[BenchRecord]:
    precision = declared_precision(Path(model))
    rows = [skipped_record(model, backend, precision, (plan.batch, 4, *shape), view, reason, max_tile=plan.runner.max_tile)
            for shape in plan.shapes for view in plan.views]
    if plan.raw:
        rows.append(skipped_record(model, backend, precision, (plan.batch, 4, 0, 0), "end-to-end", reason))
    return rows


def _timed_record(runner, model, packed: np.ndarray, view: str, plan: BenchPlan, on_step) -> BenchRecord:
    common = {"max_tile": plan.runner.max_tile}
    if view == "compute":
        try:
            call = runner.compute_call(packed)
        except NotImplementedError as exc:
            reason = "tiled inference has no compute-only view" if plan.runner.max_tile else str(exc)
            return skipped_record(model, runner.backend, runner.precision, input_shape(packed), view, reason, **common)
    else:
        def call() -> None:
            runner.infer(packed)
    run = measure(call, plan.protocol, on_step)
    return BenchRecord(
        model=str(model), backend=runner.backend, precision=runner.precision, shape=list(input_shape(packed)),
        warmup=len(run.warmup_ms), runs=len(run.times_ms), threads=plan.runner.threads,
        source_sha256=runner.source_sha256, stats=summarize(run.times_ms), times_ms=[round(t, 4) for t in run.times_ms], mode=view, timer=run.timer,
        host_times_ms=[round(t, 4) for t in run.host_ms] if run.timer != "host" else None, notes=runner.settings(),
        **common,
    )


def _raw_ratio(plan: BenchPlan) -> float:
    return resolve_ratio(plan.raw, plan.ratio, None, read_raw(plan.raw).exposure_s)[0]


def _end_to_end_record(runner, model, plan: BenchPlan, ratio: float, on_step) -> BenchRecord:
    warmup, runs = plan.protocol.warmup, plan.protocol.runs
    stages, totals, shape = end_to_end(runner, plan.raw, ratio, warmup, runs, plan.encode, on_step)
    return BenchRecord(
        model=str(model), backend=runner.backend, precision=runner.precision, shape=list(shape), warmup=warmup,
        runs=runs, threads=plan.runner.threads, source_sha256=runner.source_sha256, stats=summarize(totals),
        times_ms=[round(t, 4) for t in totals], mode="end-to-end", stages=stages, max_tile=plan.runner.max_tile,
        notes=[f"RAW file {plan.raw.name}, ratio {ratio:g}" + (", PNG encoding included" if plan.encode else ""),
               *runner.settings()],
    )


def attach_memory(records: list[BenchRecord], plan: BenchPlan, show_progress: bool) -> None:
    """Peak memory of one call per (model, backend, shape), each in a fresh process, on the 'model' rows."""
    rows = [r for r in records if r.ran and r.mode == "model"]
    for r in tqdm(rows, desc="memory", unit="row", disable=not show_progress, leave=False):
        r.memory = peak_memory(Path(r.model), r.backend, tuple(r.shape), plan.runner)


def attach_flops(records: list[BenchRecord]) -> None:
    """FLOPs from an ONNX model of the same checkpoint (the architecture is the same for every backend)."""
    onnx_of = {}
    for record in records:
        # a network graph: a pipeline graph's input is the mosaic, and its pre/post has no convolutions anyway
        if record.ran and model_kind(Path(record.model)) == "onnx" and not is_pipeline_onnx(Path(record.model)):
            onnx_of.setdefault(record.source_sha256, Path(record.model))
    cache: dict = {}
    for record in records:
        source = onnx_of.get(record.source_sha256)
        if source is None or not record.ran:
            continue
        key = (source, tuple(record.shape))
        if key not in cache:
            cache[key] = conv_flops(source, tuple(record.shape))
        record.flops = cache[key]
        compute = record.stages and (record.stages.get("inference") or record.stages.get("pipeline"))
        compute_ms = compute["median_ms"] if compute else record.stats["median_ms"]
        record.gflops_per_s = round(record.flops / (compute_ms / 1000) / 1e9, 2) if compute_ms > 0 else None
