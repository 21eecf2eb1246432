"""Benchmark result records: one per (model, backend, view, shape), in a versioned JSON document."""

import json
from dataclasses import MISSING, asdict, dataclass, field, fields
from pathlib import Path

from lowlight_edge.bench.record_check import check_document
from lowlight_edge.engines.backends import BACKENDS, reference_backend
from lowlight_edge.errors import InputError
from lowlight_edge.fileio.limits import read_text_limited

SCHEMA = "lowlight-edge.bench/3"  # /2 added mode, stages, flops; /3 compute view, skipped rows, timer, memory, tiling
READABLE_SCHEMAS = ("lowlight-edge.bench/1", "lowlight-edge.bench/2", SCHEMA)
TARGET_S = 0.06  # the paper's per-image latency target

# The views of a model a row can time:
#   model       numpy in, numpy out: the runner's `infer` (host<->device copies included on a GPU)
#   compute     the network alone on inputs already in place (ONNX Runtime IO binding, device buffers,
#               CUDA events on a GPU)
#   end-to-end  RAW file to 8-bit image, stage by stage (bench.pipeline)
VIEWS = ("model", "compute", "end-to-end")


@dataclass
class BenchRecord:
    model: str
    backend: str
    precision: str
    shape: list[int]  # packed input [N, 4, h, w]
    warmup: int
    runs: int
    threads: int | None
    source_sha256: str | None  # the checkpoint this model came from: pairs each row with its PyTorch baseline
    stats: dict[str, float]  # empty for a skipped row
    times_ms: list[float]
    speedup_vs_torch: float | None = None
    meets_target: bool | None = None
    notes: list[str] = field(default_factory=list)
    mode: str = "model"  # one of VIEWS
    stages: dict[str, dict] | None = None  # end-to-end: per-stage summaries (bench.end_to_end.STAGES)
    flops: float | None = None  # Conv/ConvTranspose FLOPs of one call at this shape
    gflops_per_s: float | None = None
    timer: str = "host"  # "host" (perf_counter around the call) or "cuda-events" (GPU time)
    host_times_ms: list[float] | None = None  # host times beside device times, when timer is cuda-events
    skipped: str | None = None  # why this row could not run here (no GPU, no TensorRT, ...)
    baseline: str | None = None  # the PyTorch eager FP32 row the speedup is over (torch-cpu or torch-cuda)
    max_tile: int | None = None  # tiled inference: largest packed tile side
    memory: dict | None = None  # peak memory of a fresh process doing one such call (bench.memory)

    @property
    def ran(self) -> bool:
        return self.skipped is None


def skipped_record(model: str, backend: str, precision: str, shape, mode: str, reason: str, **extra) -> BenchRecord:
    """A row that could not run here; it stays in every table with its reason."""
    return BenchRecord(model=str(model), backend=backend, precision=precision, shape=list(shape), warmup=0, runs=0,
                       threads=None, source_sha256=None, stats={}, times_ms=[], mode=mode, skipped=reason, **extra)


def to_document(records: list[BenchRecord], environment: dict, **extra) -> dict:
    return {"schema": SCHEMA, "target_s": TARGET_S, "environment": environment,
            "records": [asdict(r) for r in records], **extra}


def load_document(path: Path) -> dict:
    try:
        doc = json.loads(read_text_limited(path, "benchmark result"))
    except (OSError, ValueError) as exc:
        raise InputError(f"{path} is not a readable benchmark JSON file ({exc})") from exc
    if not isinstance(doc, dict) or doc.get("schema") not in READABLE_SCHEMAS or not isinstance(doc.get("records"), list):
        raise InputError(f"{path} is not a lowlight-edge benchmark result (schema {SCHEMA} expected)")
    required = tuple(f.name for f in fields(BenchRecord) if f.default is MISSING and f.default_factory is MISSING)
    check_document(doc, path, required, VIEWS)
    return doc


def records_from_document(doc: dict) -> list[BenchRecord]:
    """Rebuild records from a loaded document (older schemas lack the newer fields: defaults apply)."""
    names = {f.name for f in fields(BenchRecord)}
    return [BenchRecord(**{k: v for k, v in r.items() if k in names}) for r in doc["records"]]


def attach_speedups(records: list[BenchRecord]) -> None:
    """Speedup over PyTorch eager FP32 on the same checkpoint, shape and view, measured in the same run.

    GPU rows are compared with torch-cuda when that row exists (the fair baseline on a GPU), else with
    torch-cpu; CPU rows always with torch-cpu. Tiled rows are compared with the whole-frame PyTorch row.
    """
    references = {b.name for b in BACKENDS if b.reference}
    cpu_reference, gpu_reference = reference_backend("cpu").name, reference_backend("gpu").name
    gpu = {b.name for b in BACKENDS if b.device == "gpu"}
    baseline: dict[tuple, float] = {}
    for r in records:
        if r.ran and r.backend in references and r.max_tile is None:
            baseline[(r.backend, r.source_sha256, tuple(r.shape), r.mode)] = r.stats["median_ms"]
    for r in records:
        if not r.ran:
            continue
        key = (r.source_sha256, tuple(r.shape), r.mode)
        on_gpu = r.backend in gpu and r.backend != gpu_reference  # the GPU reference itself is shown vs the CPU
        order = (gpu_reference, cpu_reference) if on_gpu else (cpu_reference,)
        base_backend = next((b for b in order if (b, *key) in baseline), None)
        if base_backend is not None:
            r.baseline = base_backend
            r.speedup_vs_torch = round(baseline[(base_backend, *key)] / r.stats["median_ms"], 3)
        r.meets_target = r.stats["median_ms"] / r.shape[0] <= TARGET_S * 1000.0
