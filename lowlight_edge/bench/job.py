"""What `lowlight-edge bench` runs: the matrix, its annotations, the harness overhead, and the result files.

Example::

    result = benchmark(BenchPlan(models=[Path("model.fp32.onnx")], shapes=[(512, 512)]))
    print(render(result.records))
"""

import json
from dataclasses import dataclass, field
from pathlib import Path

from lowlight_edge.bench.inputs import bench_input
from lowlight_edge.bench.overhead import harness_overhead
from lowlight_edge.bench.plots import write_plots
from lowlight_edge.bench.records import BenchRecord, to_document
from lowlight_edge.bench.suite import BenchPlan, annotate, run_plan
from lowlight_edge.bench.table import render_csv, render_markdown
from lowlight_edge.engines.backends import model_kind
from lowlight_edge.errors import InputError
from lowlight_edge.fileio.atomic import check_writable, write_text
from lowlight_edge.machine import environment


@dataclass
class BenchOutputs:
    json: Path | None = None
    csv: Path | None = None
    markdown: Path | None = None
    plots: Path | None = None  # a folder for latency.png and stages.png

    def paths(self) -> list[Path]:
        files = [p for p in (self.json, self.csv, self.markdown) if p]
        return files + ([self.plots / "latency.png", self.plots / "stages.png"] if self.plots else [])


@dataclass
class BenchResult:
    records: list[BenchRecord]
    environment: dict
    overhead: list[dict] | None = None  # one per shape, with --overhead
    written: list[Path] = field(default_factory=list)

    def document(self) -> dict:
        extra = {"overhead": self.overhead} if self.overhead else {}
        return to_document(self.records, self.environment, **extra)


def benchmark(plan: BenchPlan, outputs: BenchOutputs | None = None, overhead: bool = False, force: bool = False,
              show_progress: bool = True) -> BenchResult:
    """Measure every row of `plan`, annotate speedups and FLOPs, and write the requested files.

    Outputs are checked before measuring (minutes of work are not lost to an existing file). With `overhead`,
    the harness is compared with a bare `session.run` loop on the plan's first ONNX model.
    """
    outputs = outputs or BenchOutputs()
    if plan.batch < 1:
        raise InputError("--batch must be >= 1")
    for path in outputs.paths():
        check_writable(path, force)
    onnx = next((m for m in plan.models if model_kind(m) == "onnx"), None)
    if overhead and onnx is None:
        raise InputError("--overhead needs an ONNX model among the models")
    records = annotate(run_plan(plan, show_progress=show_progress))
    result = BenchResult(records, environment.capture(plan.runner.threads))
    if overhead:
        result.overhead = [harness_overhead(onnx, bench_input(plan.batch, shape, 0), threads=plan.runner.threads)
                           for shape in plan.shapes]
    if outputs.json:
        write_text(outputs.json, json.dumps(result.document(), indent=2) + "\n", force)
    if outputs.csv:
        write_text(outputs.csv, render_csv(records), force)
    if outputs.markdown:
        write_text(outputs.markdown, render_markdown(records, result.environment), force)
    result.written = [p for p in (outputs.json, outputs.csv, outputs.markdown) if p]
    if outputs.plots:
        result.written += write_plots(records, outputs.plots, force)
    return result
