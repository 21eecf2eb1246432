"""`tune`: the fastest variant within the drift budget on this machine, chosen by measurement.

Every row of the variant table (engines/variants.py) that this machine can run is made (graphs by their makers,
INT8 held to the budget by the fallback, engines where TensorRT exists), validated against the FP32 model on
held-out frames (photographs and cameras that neither calibrated nor chose the fallback layers), and timed at the
deployment shape (and end to end from a RAW file when given, pipeline graphs included). The choice is the fastest
row whose drift is within the budget with room for the frames it did not see: its mean drift plus two standard
errors over the tune frames must be within the budget (INT8 drift varies several-fold from frame to frame: a
mean alone, even 0.8 of the budget, was measured to miss it on new frames). Rows that cannot run here stay in the
table with the reason; rows that lost say why.

Example::

    result = run_tune(TuneJob(budget=0.01, shape=(512, 512)))
    result.choice.model, result.choice.backend

`tune_made` does the same for variants already made, timed from a bench run's records where given: the demo is
that, on the bundled model, plus its report.
"""

import math
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
from tqdm import tqdm

from lowlight_edge.bench.latency import Protocol
from lowlight_edge.bench.shapes import SONY_FULL_FRAME
from lowlight_edge.bench.suite import BenchPlan, run_plan
from lowlight_edge.engines.backends import default_backend, get_backend, usable
from lowlight_edge.engines.options import RunnerOptions
from lowlight_edge.engines.select import open_runner
from lowlight_edge.engines.variants import FAST, VARIANTS
from lowlight_edge.errors import InputError
from lowlight_edge.fileio.workspace import engines_dir, export_dir, work_dir
from lowlight_edge.metrics.drift import run_drift
from lowlight_edge.metrics.lpips_backend import load_lpips
from lowlight_edge.raw.cameras import HELD_OUT_CAMERAS, camera_shots
from lowlight_edge.raw.datasets import synthetic_samples
from lowlight_edge.raw.synth_frames import IDENTITY_SHOT
from lowlight_edge.tune.variants import Variants, build_engines, make_onnx_variants, wrap_pipelines
from lowlight_edge.weights import default_model

# a row is eligible when mean + this many standard errors of its per-frame drift is within the budget: the choice
# must hold on frames it never saw (benchmarks/results/2026-12-06-cpu2core-avx2-tune/NOTE.md: a mean of 0.67 of the
# budget on 4 frames became 1.02 of it on 6 others)
STANDARD_ERRORS = 2.0


@dataclass
class TuneJob:
    model: Path | None = None  # checkpoint; default: the bundled model
    budget: float = 0.01  # mean LPIPS drift against FP32
    shape: tuple[int, int] = SONY_FULL_FRAME  # packed shape the latency is measured at
    raw: Path | None = None  # also time end to end from this RAW file (pipeline graphs too)
    workdir: Path = field(default_factory=work_dir)
    frames: int = 18  # held-out frames the drift is validated on (18: every ratio with every camera and light)
    calib_count: int = 16
    calib_shape: tuple[int, int] = (256, 256)
    runs: int = 3
    threads: int | None = None


@dataclass
class Candidate:
    variant: str
    backend: str
    model: Path
    precision: str = ""
    drift: float | None = None  # mean LPIPS drift on the tune frames
    drift_bound: float | None = None  # mean + STANDARD_ERRORS standard errors: what must be within the budget
    ms: float | None = None  # median, at the shape (or end to end from the RAW file)
    skipped: str | None = None  # why it cannot run here
    verdict: str = ""  # "chosen", or why it lost

    def row(self) -> dict:
        model = Path(self.model).resolve() if Path(self.model).exists() else self.model
        return {"variant": self.variant, "backend": self.backend, "model": str(model), "precision": self.precision,
                "lpips_drift": self.drift, "lpips_drift_bound": self.bound, "median_ms": self.ms, "skipped": self.skipped,
                "verdict": self.verdict}

    @property
    def bound(self) -> float | None:
        return self.drift_bound if self.drift_bound is not None else self.drift


@dataclass
class TuneResult:
    budget: float
    shape: tuple[int, int]
    raw: Path | None
    candidates: list[Candidate]
    choice: Candidate | None
    closest: Candidate | None  # when nothing meets the budget: the row of least drift


def run_tune(job: TuneJob, log: Callable[[str], None] = lambda _m: None) -> TuneResult:
    check_tune_job(job)
    checkpoint = Path(job.model or default_model())
    root = Path(job.workdir)
    log(f"every variant of {checkpoint.name} (INT8 held to LPIPS {job.budget})")
    variants = make_onnx_variants(checkpoint, export_dir("tune", root=root), f"synthetic:{job.calib_count}",
                                  job.calib_shape, job.calib_count, job.budget, log)
    if job.raw is not None:
        wrap_pipelines(variants, export_dir("tune", root=root), log)
    build_engines(variants, engines_dir("tune", root=root), [job.shape], log)
    return tune_made(variants, job, log)


def check_tune_job(job: TuneJob) -> None:
    if not 0 < job.budget < 1 or job.frames < 1 or job.runs < 1:
        raise InputError("--budget must be in (0, 1), --frames and --runs >= 1")
    if job.shape[0] % 16 or job.shape[1] % 16:
        raise InputError(f"--shape {job.shape[0]}x{job.shape[1]} is not a multiple of 16 (the network pools 4 times)")


def tune_made(variants: Variants, job: TuneJob, log: Callable[[str], None] = lambda _m: None,
              records: list | None = None) -> TuneResult:
    """Validate, time and choose among `variants` (made already); with `records` (a bench run's, model view at
    job.shape, or end to end), rows are timed from them instead of timed again."""
    candidates = _candidates(variants, job.raw is not None)
    log(f"drift of {sum(c.skipped is None for c in candidates)} runnable rows on {job.frames} held-out frames")
    _validate(variants, candidates, job)
    log("latency of the rows within the budget" + (" (from the benchmark)" if records is not None else ""))
    _time(candidates, job, records)
    return _choose(candidates, job)


def _candidates(variants: Variants, with_pipelines: bool) -> list[Candidate]:
    """Every (variant row, backend that times it) of the table, with why it cannot run here where it cannot."""
    out = []
    for row in VARIANTS:
        graph = variants.graph(row.name)
        for name, how in row.runs.items():
            backend = get_backend(name)
            if how != FAST or backend.kind != "onnx":
                continue
            if graph is None:
                missing = Path(f"{variants.checkpoint.stem}.{row.graph}.onnx")
                out.append(Candidate(row.name, name, missing, row.precision,
                                     skipped=f"not made: {variants.skipped.get(row.graph, 'its maker failed')}"))
                continue
            models = [graph] + ([variants.pipelines[row.graph]] if with_pipelines and row.graph in variants.pipelines
                                else [])
            for model in models:
                out.append(Candidate(row.name, name, model, row.precision, skipped=usable(backend, model)))
        if row.engine and row.name in variants.engines:
            out.append(Candidate(row.name, default_backend("engine").name, variants.engines[row.name], row.precision))
        elif row.engine:
            engine = Path(f"{variants.checkpoint.stem}.{row.name}.engine")
            why = f"not made: {variants.skipped[row.graph]}" if graph is None else variants.engine_skip or "not built"
            out.append(Candidate(row.name, default_backend("engine").name, engine, row.precision, skipped=why))
    return out


def _validate(variants: Variants, candidates: list[Candidate], job: TuneJob) -> None:
    """Drift against the FP32 ONNX on held-out frames; the FP32 ONNX on ONNX Runtime is the reference (drift 0)."""
    reference_path, reference_backend = variants.onnx["fp32"], default_backend("onnx").name
    runnable = [c for c in candidates if c.skipped is None]
    with ExitStack() as stack:
        reference = stack.enter_context(open_runner(reference_path, reference_backend, threads=job.threads))
        others = [c for c in runnable if (c.model, c.backend) != (reference_path, reference_backend)]
        runners = [stack.enter_context(open_runner(c.model, c.backend, threads=job.threads)) for c in others]
        samples, count = covering_samples(job.frames, reference.input_convention)
        budgets = {c.precision: job.budget for c in candidates} | {reference.precision: job.budget}
        with tqdm(total=count, desc="tune: drift", unit="image", leave=False) as bar:
            summaries, _ = run_drift(reference, runners, samples, load_lpips(), budgets, on_image=bar.update)
    for candidate, summary in zip(others, summaries[1:]):
        values = summary.values["lpips_drift"]
        if summary.non_finite or not values:
            candidate.drift = candidate.drift_bound = math.inf if summary.non_finite else None
        else:
            candidate.drift = float(np.mean(values))
            spread = float(np.std(values, ddof=1)) / math.sqrt(len(values)) if len(values) > 1 else candidate.drift
            candidate.drift_bound = candidate.drift + STANDARD_ERRORS * spread
        if summary.skipped:
            candidate.skipped = f"{summary.skipped} of the frames outside the shapes it was built for"
    for candidate in runnable:
        if (candidate.model, candidate.backend) == (reference_path, reference_backend):
            candidate.drift = candidate.drift_bound = 0.0


RATIOS = (100.0, 250.0, 300.0)


def covering_samples(count: int, convention: str, seed: int = 0, names: tuple[str, ...] | None = None):
    """(samples, how many): held-out frames in which every ratio meets every held-out (camera, light) shot once
    `count` allows (18 for a neutral model: 3 ratios x 3 cameras x 2 lights). Cycling ratios and shots together, as
    the plain synthetic source does, pairs each ratio with only some shots: the worst pair (300 with a high-gain
    camera under incandescent light) could go unseen and the choice miss the budget on new frames."""
    shots = camera_shots(HELD_OUT_CAMERAS) if convention == "neutral" else IDENTITY_SHOT
    per_ratio = max(1, math.ceil(count / len(RATIOS)))

    def frames():
        for index, ratio in enumerate(RATIOS):
            yield from synthetic_samples(per_ratio, seed=seed + index, names=names, convention=convention,
                                         shots=shots, ratios=(ratio,))

    return frames(), per_ratio * len(RATIOS)


def _within(candidate: Candidate, job: TuneJob) -> bool:
    return candidate.skipped is None and candidate.bound is not None and candidate.bound <= job.budget


def _time(candidates: list[Candidate], job: TuneJob, records: list | None = None) -> None:
    """Median latency of each row within the budget: the model view at the shape, or end to end from the RAW file;
    measured here unless `records` already hold it."""
    timed = [c for c in candidates if _within(c, job)]
    if not timed:
        return
    if records is None:
        networks = [c for c in timed if ".pipeline." not in c.model.name]
        pipelines = [c for c in timed if ".pipeline." in c.model.name]
        protocol, options = Protocol(warmup=1, runs=job.runs), RunnerOptions(threads=job.threads)
        records = run_plan(BenchPlan(models=[], shapes=[] if job.raw else [job.shape], views=("model",), raw=job.raw,
                                     pairs=[(c.model, c.backend) for c in networks], protocol=protocol, runner=options))
        if pipelines:
            records += run_plan(BenchPlan(models=[], shapes=[], views=(), raw=job.raw, protocol=protocol,
                                          runner=options, pairs=[(c.model, c.backend) for c in pipelines]))
    wanted = "end-to-end" if job.raw else "model"
    by_pair = {(Path(r.model), r.backend): r for r in records  # whole frames: a tiled row times another thing
               if r.mode == wanted and not r.max_tile and (job.raw or tuple(r.shape[2:]) == tuple(job.shape))}
    for candidate in timed:
        record = by_pair.get((Path(candidate.model), candidate.backend))
        if record is None or not record.ran:
            candidate.skipped = record.skipped if record is not None else "not timed"
        else:
            candidate.ms = record.stats["median_ms"]


def _choose(candidates: list[Candidate], job: TuneJob) -> TuneResult:
    eligible = sorted((c for c in candidates if _within(c, job) and c.ms is not None), key=lambda c: c.ms)
    choice = eligible[0] if eligible else None
    for candidate in candidates:
        if candidate is choice:
            candidate.verdict = "chosen"
        elif candidate.skipped:
            candidate.verdict = f"cannot run here: {candidate.skipped}"
        elif candidate.bound is None or candidate.bound > job.budget:
            drift = ("non-finite output" if candidate.drift == math.inf else
                     f"drift {candidate.drift:.4f} + {STANDARD_ERRORS:g} standard errors = {candidate.bound:.4f}")
            candidate.verdict = f"over the budget: {drift} > {job.budget}"
        elif choice is not None and candidate.ms is not None:
            candidate.verdict = f"slower: {candidate.ms:.1f} ms vs {choice.ms:.1f} ms ({candidate.ms / choice.ms:.2f}x)"
    validated = [c for c in candidates if c.drift is not None and c.skipped is None]
    closest = None if choice is not None else min(validated, key=lambda c: c.drift, default=None)
    return TuneResult(job.budget, job.shape, job.raw, candidates, choice, closest)
