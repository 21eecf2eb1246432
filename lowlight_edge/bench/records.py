"""Benchmark result records: one per (model, backend, shape), in a versioned JSON document."""

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from lowlight_edge.errors import InputError

SCHEMA = "lowlight-edge.bench/2"  # /2 added mode, stages, flops; /1 files still load
READABLE_SCHEMAS = ("lowlight-edge.bench/1", SCHEMA)
TARGET_S = 0.06  # the paper's per-image latency target


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
    stats: dict[str, float]
    times_ms: list[float]
    speedup_vs_torch: float | None = None
    meets_target: bool | None = None
    notes: list[str] = field(default_factory=list)
    mode: str = "model"  # "model": the network call alone; "end-to-end": RAW file to 8-bit image
    stages: dict[str, dict] | None = None  # end-to-end: per-stage summaries (bench.pipeline.STAGES)
    flops: float | None = None  # Conv/ConvTranspose FLOPs of one call at this shape
    gflops_per_s: float | None = None


def to_document(records: list[BenchRecord], environment: dict) -> dict:
    return {"schema": SCHEMA, "target_s": TARGET_S, "environment": environment, "records": [asdict(r) for r in records]}


def load_document(path: Path) -> dict:
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"{path} is not a readable benchmark JSON file ({exc})") from exc
    if not isinstance(doc, dict) or doc.get("schema") not in READABLE_SCHEMAS:
        raise InputError(f"{path} is not a lowlight-edge benchmark result (schema {SCHEMA} expected)")
    return doc


def attach_speedups(records: list[BenchRecord]) -> None:
    """Speedup of each row over PyTorch CPU running the same checkpoint on the same shape, in the same run."""
    baseline = {(r.source_sha256, tuple(r.shape), r.mode): r.stats["median_ms"] for r in records
                if r.backend == "torch-cpu"}
    for r in records:
        base = baseline.get((r.source_sha256, tuple(r.shape), r.mode))
        r.speedup_vs_torch = round(base / r.stats["median_ms"], 3) if base else None
        r.meets_target = r.stats["median_ms"] <= TARGET_S * 1000.0
