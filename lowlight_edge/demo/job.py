"""The main job end to end (what `make demo` runs), as eight stages on this machine: `tune` on the bundled model,
plus what the report shows around it.

Bundled model -> synthetic DNG frames -> every row of the variant table (ONNX export parity-checked, FP16, INT8 for
both targets with the LPIPS fallback, pipeline graphs) -> TensorRT engines where TensorRT and a GPU exist -> enhance
the frames -> validate drift -> benchmark the whole matrix (views, stages, memory, tiling) -> tune's choice (its
drift rule on its held-out frames, latency from the matrix) -> a Markdown report with tables, plots and grids, and
tune.json for `enhance --model`.

Example::

    outcome = run_demo(DemoJob(runs=1))
    outcome.files["report"]
    # -> PosixPath('work/results/<host>/report.md')
"""

from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
from tqdm import tqdm

from lowlight_edge.bench.inputs import bench_input
from lowlight_edge.bench.latency import Protocol
from lowlight_edge.bench.overhead import harness_overhead
from lowlight_edge.bench.records import skipped_record
from lowlight_edge.bench.shapes import DEFAULT_SHAPES, SONY_RAW_SIZE
from lowlight_edge.bench.suite import BenchPlan, annotate, run_plan
from lowlight_edge.demo.report import verdict, write_outputs
from lowlight_edge.engines.backends import BACKENDS, default_backend, usable
from lowlight_edge.engines.options import RunnerOptions
from lowlight_edge.engines.select import open_runner
from lowlight_edge.engines.variants import VALID, VARIANTS, get_variant, graph_variants, timed_on, validated_on
from lowlight_edge.errors import InputError
from lowlight_edge.fileio.png import read_png, write_png
from lowlight_edge.fileio.workspace import engines_dir, export_dir, results_dir, work_dir
from lowlight_edge.machine import environment
from lowlight_edge.metrics.drift import DEFAULT_BUDGETS, run_drift
from lowlight_edge.metrics.lpips_backend import load_lpips
from lowlight_edge.raw.datasets import folder_samples, raw_files_in
from lowlight_edge.raw.naive import naive_render
from lowlight_edge.raw.padded_inference import enhance_packed
from lowlight_edge.raw.reader import read_raw
from lowlight_edge.raw.scenes import HELD_OUT_IMAGES, load_image
from lowlight_edge.raw.synth_frames import write_frames
from lowlight_edge.train.evaluate import scores
from lowlight_edge.tune.job import TuneJob, TuneResult, tune_made
from lowlight_edge.tune.result import write_result
from lowlight_edge.tune.variants import Variants, build_engines, make_onnx_variants, wrap_pipelines
from lowlight_edge.weights import default_model

STAGES = 8
TUNE_BUDGET = 0.01  # tune's default, when the demo's INT8 is not held to a budget
# the demo's frames come from real cameras' colour responses the bundled model never trained on: SID's camera in
# daylight and a Canon under incandescent light (raw/cameras.py), so the report shows what a real file gets
DEMO_SHOTS = (("sony-ilce-7s", "D65"), ("canon-eos-r6", "A"))
@dataclass
class DemoJob:
    model: Path | None = None  # default: the bundled model
    workdir: Path = field(default_factory=work_dir)  # models in export/demo, engines in engines/<host>/demo
    results: Path | None = None  # default: <workdir>/results/<host>
    shapes: list[tuple[int, int]] = field(default_factory=lambda: list(DEFAULT_SHAPES))
    raw_size: tuple[int, int] = SONY_RAW_SIZE  # the synthetic RAW frame timed end to end
    runs: int = 3
    calib_count: int = 16
    calib_shape: tuple[int, int] = (256, 256)
    int8_budget: float = 0.01  # 0: plain INT8
    max_tile: int = 512
    memory: bool = True
    threads: int | None = None
    tune_frames: int = 18  # held-out frames tune's drift rule is applied on (tune --frames)

    def folders(self) -> dict[str, Path]:
        root = Path(self.workdir)
        return {"models": export_dir("demo", root=root), "engines": engines_dir("demo", root=root),
                "frames": root / "demo" / "frames", "fullframe": root / "demo" / "fullframe",
                "enhanced": root / "demo" / "enhanced", "results": self.results or results_dir(root=root)}


@dataclass
class DemoOutcome:
    files: dict[str, Path]  # report, json, csv, tune_json, tune_markdown
    verdict: list[str]  # the lines printed last
    missed_budgets: list[str] = field(default_factory=list)  # "MODEL (BACKEND) DRIFT > BUDGET" of each candidate
    tuned: TuneResult | None = None  # tune's choice among the variants


def run_demo(job: DemoJob, log: Callable[[str], None] = lambda _m: None) -> DemoOutcome:
    """Run the seven stages; `log` gets one line per stage. Returns the files written and the verdict lines."""
    if job.runs < 1 or job.calib_count < 1 or job.int8_budget < 0 or job.tune_frames < 1:
        raise InputError("--runs, --calib-count and --tune-frames must be >= 1 and --int8-budget >= 0")
    checkpoint = Path(job.model or default_model())
    where = job.folders()

    log(f"[1/{STAGES}] synthetic DNG frames -> {where['frames']}, and a {job.raw_size[0]}x{job.raw_size[1]} RAW for "
        "end-to-end timing")
    frames = write_frames(where["frames"], {n: load_image(n) for n in HELD_OUT_IMAGES}, force=True, shots=DEMO_SHOTS)
    full_raw = full_frame_raw(where["fullframe"], job.raw_size)
    log(f"[2/{STAGES}] export, FP16, INT8 (tensorrt and cpu targets) of {checkpoint}")
    variants = make_onnx_variants(checkpoint, where["models"], "synthetic:%d" % job.calib_count, job.calib_shape,
                                  job.calib_count, job.int8_budget or None, log)
    wrap_pipelines(variants, where["models"], log)
    log(f"[3/{STAGES}] TensorRT engines")
    build_engines(variants, where["engines"], job.shapes, log)
    if variants.engine_skip:
        log(f"TensorRT engines skipped: {variants.engine_skip}")
    log(f"[4/{STAGES}] enhance the frames with PyTorch and ONNX Runtime")
    quality = enhance_and_score(checkpoint, variants.onnx["fp32"], frames, where["enhanced"], job.threads)
    log(f"[5/{STAGES}] validate the drift of every variant against FP32 ONNX")
    drift = validate_variants(variants, where["frames"], where["results"] / "grids", job.threads)
    log(f"[6/{STAGES}] benchmark the matrix at {', '.join(f'{h}x{w}' for h, w in job.shapes)} (packed), end to end "
        f"on {full_raw.name}")
    records, overhead = bench_variants(variants, full_raw, job)
    tune_job = TuneJob(model=checkpoint, budget=job.int8_budget or TUNE_BUDGET, shape=largest_shape(job.shapes),
                       workdir=job.workdir, frames=job.tune_frames, runs=job.runs, threads=job.threads)
    log(f"[7/{STAGES}] tune: the fastest variant within LPIPS {tune_job.budget} at {tune_job.shape[0]}x"
        f"{tune_job.shape[1]}")
    tuned = tune_made(variants, tune_job, log, records)
    tune_files = {"tune_json": where["results"] / "tune.json", "tune_markdown": where["results"] / "tune.md"}
    write_result(tuned, tune_files["tune_json"], tune_files["tune_markdown"], force=True, threads=job.threads)
    log(f"[8/{STAGES}] report")
    files = write_outputs(where["results"], records, environment.capture(job.threads), drift, quality, overhead,
                          variants, tuned) | tune_files
    missed = [f"{Path(d['model']).name} ({d['backend']}) {d['lpips_drift']['mean']:.4f} > {d['budget']}"
              for d in drift if d["role"] == "candidate" and not d["passed"]]
    return DemoOutcome(files, verdict(records, drift, quality, files["report"], tuned), tuned=tuned,
                       missed_budgets=missed)


def largest_shape(shapes: list[tuple[int, int]]) -> tuple[int, int]:
    return max(shapes, key=lambda s: s[0] * s[1])


def full_frame_raw(folder: Path, raw_size: tuple[int, int]) -> Path:
    """A held-out photograph resized to the sensor size, through the same sensor model and DNG writer."""
    from skimage.transform import resize  # scikit-image's transform module is slow to import

    image = resize(load_image(HELD_OUT_IMAGES[0]), (*raw_size, 3), order=1, anti_aliasing=False).astype("float32")
    return write_frames(folder, {"fullframe": image}, force=True, shots=DEMO_SHOTS)[0].dng


def enhance_and_score(checkpoint: Path, onnx_path: Path, frames, outdir: Path, threads) -> dict:
    """Each frame through PyTorch and ONNX Runtime; PSNR/SSIM of the model and of the naive pipeline vs truth."""
    rows, max_diff = [], 0.0
    with open_runner(checkpoint, threads=threads) as torch_runner, open_runner(onnx_path, threads=threads) as ort_runner:
        for frame in frames:
            packed = read_raw(frame.dng).pack(frame.ratio, ort_runner.input_convention)
            by_torch = enhance_packed(torch_runner.infer, packed, torch_runner.size_multiple)
            by_ort = enhance_packed(ort_runner.infer, packed, ort_runner.size_multiple)
            max_diff = max(max_diff, float(np.abs(by_torch - by_ort).max()))
            write_png(outdir / f"{frame.dng.stem}.png", by_ort, force=True)
            truth = read_png(frame.truth)
            model, naive = scores(truth, by_ort), scores(truth, naive_render(frame.dng, frame.ratio))
            rows.append({"frame": frame.dng.name, "camera": frame.camera, "light": frame.light, "phase": frame.phase,
                         "ratio": frame.ratio, "input_convention": ort_runner.input_convention,
                         **{f"model_{k}": v for k, v in model.items()}, **{f"naive_{k}": v for k, v in naive.items()}})
    mean = lambda key: sum(r[key] for r in rows) / len(rows)  # noqa: E731 - local shorthand
    return {"frames": rows, "mean_model_psnr": mean("model_psnr"), "mean_naive_psnr": mean("naive_psnr"),
            "max_backend_diff": max_diff}


def drift_candidates(variants: Variants) -> list[tuple[Path, str]]:
    """Every variant row but the FP32 reference on the ONNX default backend where it runs there (ONNX Runtime
    simulates the Q/DQ graph exactly), and again on every other CPU runtime installed here that times it: drift is
    measured on what actually runs. Engines on TensorRT."""
    cpu_onnx = default_backend("onnx").name
    pairs = []
    for row in VARIANTS:
        graph = variants.graph(row.name)
        if graph is None or row.name == "fp32":
            continue
        if validated_on(row.name, cpu_onnx):
            pairs.append((graph, cpu_onnx))
        pairs += [(graph, b.name) for b in BACKENDS if b.kind == "onnx" and b.device == "cpu" and not b.default
                  and timed_on(row.name, b.name) and usable(b, graph) is None]
    return pairs + [(engine, default_backend("engine").name) for engine in variants.engines.values()]


def validate_variants(variants: Variants, frames_dir: Path, grids_dir: Path, threads) -> list[dict]:
    """Drift of every variant (and engine) against the FP32 ONNX, with the default budgets."""
    with ExitStack() as stack:
        reference = stack.enter_context(open_runner(variants.onnx["fp32"], threads=threads))
        runners = [stack.enter_context(open_runner(model, backend, threads=threads))
                   for model, backend in drift_candidates(variants)]
        with tqdm(total=len(raw_files_in(frames_dir)), desc="validate", unit="image", leave=False) as bar:
            samples = folder_samples(frames_dir, convention=reference.input_convention)
            summaries, _ = run_drift(reference, runners, samples, load_lpips(), DEFAULT_BUDGETS, grids_dir, bar.update)
    return [s.aggregate() for s in summaries]


def demo_pairs(variants: Variants) -> list[tuple[Path, str]]:
    """(model, backend) rows of the matrix: the checkpoint on every PyTorch backend, each variant row's graph on the
    backends that time it (one that cannot run here becomes a skipped row saying why), and every engine built."""
    pairs = [(variants.checkpoint, b.name) for b in BACKENDS if b.kind == "checkpoint"]
    pairs += [(variants.graph(row.name), b.name) for row in VARIANTS for b in BACKENDS
              if b.kind == "onnx" and variants.graph(row.name) is not None and timed_on(row.name, b.name)]
    return pairs + [(engine, default_backend("engine").name) for engine in variants.engines.values()]


def pipeline_pairs(variants: Variants) -> list[tuple[Path, str]]:
    """Each pipeline graph on the ONNX runtimes its variant rows are timed on."""
    return [(variants.pipelines[row.graph], b.name) for row in VARIANTS for b in BACKENDS
            if b.kind == "onnx" and row.graph in variants.pipelines and timed_on(row.name, b.name)]


def bench_variants(variants: Variants, full_raw: Path, job: DemoJob):
    onnx, shapes = variants.onnx, job.shapes
    protocol = Protocol(warmup=1, runs=job.runs)
    views = ("model", "compute")
    plan = BenchPlan(models=[], shapes=shapes, pairs=demo_pairs(variants), protocol=protocol, views=views,
                     runner=RunnerOptions(threads=job.threads), raw=full_raw, memory=job.memory)
    records = run_plan(plan)
    # the same variants as pipeline graphs, end to end on the RAW file: what the device-side pre/post saves
    records += run_plan(BenchPlan(models=[], shapes=[], pairs=pipeline_pairs(variants), protocol=protocol, views=(),
                                  runner=RunnerOptions(threads=job.threads), raw=full_raw))
    cpu_onnx, engine_backend = default_backend("onnx").name, default_backend("engine").name
    # rows that would run here but measure nothing a CPU user deploys; their drift is validated
    records += [skipped_record(variants.graph(row.name), cpu_onnx, row.precision, (1, 4, *shape), view, row.why_slow)
                for row in VARIANTS if row.runs.get(cpu_onnx) == VALID and variants.graph(row.name) is not None
                for shape in shapes for view in views]
    records += [skipped_record(f"{variants.checkpoint.stem}.{name}.onnx", cpu_onnx, get_variant(name).precision,
                               (1, 4, *shape), view, f"not made: {reason}")
                for name, reason in variants.skipped.items() for shape in shapes for view in views]
    if variants.engine_skip:
        stem = variants.checkpoint.stem
        records += [skipped_record(f"{stem}.{row.name}.engine", engine_backend, row.precision, (1, 4, *shape), view,
                                   variants.engine_skip)
                    for row in graph_variants() if row.engine for shape in shapes for view in views]
    largest = largest_shape(shapes)
    if max(largest) > job.max_tile:  # the same model tiled, to show what tiling does to latency and memory
        overlap = max(16, min(64, job.max_tile // 4 // 16 * 16))
        tiled = BenchPlan(models=[], shapes=[largest], pairs=[(onnx["fp32"], cpu_onnx)], protocol=protocol,
                          views=("model",),
                          runner=RunnerOptions(threads=job.threads, max_tile=job.max_tile, tile_overlap=overlap),
                          memory=job.memory)
        records += run_plan(tiled)
    annotate(records)
    smallest = min(shapes, key=lambda s: s[0] * s[1])  # where a fixed per-call cost would show most
    overhead = harness_overhead(onnx["fp32"], bench_input(1, smallest, 0), rounds=3, per_round=5, threads=job.threads)
    return records, overhead
