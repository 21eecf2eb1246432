"""Accuracy drift of candidate models against a reference model, on the same frames.

For every frame: each model's output (the same pre/post-processing for all), then for each candidate
LPIPS / PSNR / SSIM against the reference output, and for every model against ground truth when the
frame has it. A candidate passes when its mean LPIPS drift is within its budget and it produced no
non-finite output. A frame whose shape a model was not built for (a TensorRT engine's profile) is a skipped row
for that model, with the reason: counted and reported, never an abort and never a pass on no frames.
"""

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from lowlight_edge.engines.frame import frame_pixels
from lowlight_edge.engines.variants import default_budgets
from lowlight_edge.errors import InputError, ModelError, OutsideProfile
from lowlight_edge.metrics.catalog import DRIFT, GROUND_TRUTH, MEASURES, REFERENCE, measures_against
from lowlight_edge.metrics.grid import write_grid
from lowlight_edge.raw.padded_inference import enhance_packed

DEFAULT_BUDGETS = default_budgets()  # by precision, from the variant table: fp32, fp16, bf16 0.002; int8 0.01


def parse_budgets(values: list[str] | None) -> dict[str, float]:
    """`--budget 0.005` (every precision) or `--budget int8=0.02`, repeatable."""
    budgets = dict(DEFAULT_BUDGETS)
    for text in values or []:
        key, _, number = text.rpartition("=")
        try:
            value = float(number)
        except ValueError:
            raise InputError(f"--budget takes VALUE or PRECISION=VALUE (e.g. int8=0.01), got {text!r}") from None
        if value < 0:
            raise InputError(f"--budget must be >= 0, got {text!r}")
        if key:
            budgets[key.lower()] = value
        else:
            budgets = {k: value for k in budgets}
    return budgets


@dataclass
class ModelSummary:
    model: str
    backend: str
    precision: str
    role: str  # "reference" or "candidate"
    budget: float | None = None
    images: int = 0
    non_finite: int = 0
    skipped: int = 0  # frames outside the shapes it was built for
    values: dict[str, list[float]] = field(default_factory=lambda: {m.key: [] for m in MEASURES})

    @property
    def passed(self) -> bool | None:
        if self.role == "reference":
            return self.non_finite == 0
        drift = self.values[DRIFT.key]
        if self.non_finite or not drift:
            return False
        return float(np.mean(drift)) <= self.budget

    def aggregate(self) -> dict:
        out = {"model": self.model, "backend": self.backend, "precision": self.precision, "role": self.role,
               "budget": self.budget, "images": self.images, "non_finite_outputs": self.non_finite,
               "skipped_frames": self.skipped, "passed": self.passed}
        for name, values in self.values.items():
            out[name] = {"mean": _mean(values), "max": max(values) if values else None,
                         "min": min(values) if values else None}
        return out


def _mean(values: list[float]) -> float | None:
    if not values:
        return None
    return float("inf") if any(math.isinf(v) for v in values) else float(np.mean(values))


def run_drift(reference, candidates, samples, lpips, budgets: dict[str, float], grids_dir: Path | None = None,
              on_image=lambda: None) -> tuple[list[ModelSummary], list[dict]]:
    """`reference` and `candidates` are active runners; `samples` an iterable of raw.datasets.Sample, packed for the
    reference's input convention (every candidate must share it: the same frames, the same meaning)."""
    for candidate in candidates:
        if candidate.input_convention != reference.input_convention:
            raise InputError(f"{candidate.path.name} takes {candidate.input_convention} input and the reference "
                             f"{reference.path.name} {reference.input_convention}: compare models of one convention")
    summaries = [_summary(reference, "reference", budgets)] + [_summary(c, "candidate", budgets) for c in candidates]
    runners = [reference] + list(candidates)
    rows: list[dict] = []
    for sample in samples:
        outputs, skips = [], []
        for runner, summary in zip(runners, summaries):
            summary.images += 1
            out, skip = None, None
            try:
                out = _image(runner, sample)
            except OutsideProfile as exc:
                summary.skipped += 1
                skip = str(exc)
            except ModelError:
                summary.non_finite += 1
            outputs.append(out)
            skips.append(skip)
        ref_out = outputs[0]
        for index, (summary, out, skip) in enumerate(zip(summaries, outputs, skips)):
            row = {"image": sample.name, "model": summary.model, "backend": summary.backend, "role": summary.role,
                   "finite": out is not None or skip is not None}
            if skip is not None:
                row["skipped"] = skip
            if out is not None and sample.truth is not None:
                _score(row, summary, measures_against(GROUND_TRUTH), sample.truth, out, lpips)
            if index > 0 and out is not None and ref_out is not None:
                _score(row, summary, measures_against(REFERENCE), ref_out, out, lpips)
                if grids_dir is not None:
                    name = f"{Path(sample.name).stem}__{Path(summary.model).stem}__{summary.backend}.png"
                    grid = Path(grids_dir) / name
                    write_grid(grid, sample.packed, ref_out, out, lpips(ref_out, out)[1])
                    row["grid"] = str(grid)
            rows.append(row)
        on_image()
    if summaries[0].images == 0:
        raise InputError("the data source gave no frames")
    return summaries, rows


def _image(runner, sample) -> np.ndarray:
    """float32 RGB [H, W, 3] in [0, 1]: the network's output, or a pipeline model's pixels scaled back."""
    if runner.pipeline is None:
        return enhance_packed(runner.infer, sample.packed, runner.size_multiple)
    if sample.frame is None:
        raise InputError(f"{runner.path.name} is a pipeline model and this frame source has no RAW frames")
    pixels = frame_pixels(runner, sample.frame, sample.ratio, runner.pipeline.bits)
    return pixels.astype(np.float32) / np.float32((1 << runner.pipeline.bits) - 1)


def _score(row: dict, summary: ModelSummary, measures, reference: np.ndarray, image: np.ndarray, lpips) -> None:
    for measure in measures:
        value = measure.metric.compute(reference, image, lpips)
        row[measure.key] = value
        summary.values[measure.key].append(value)


def _summary(runner, role: str, budgets: dict[str, float]) -> ModelSummary:
    precision = runner.precision
    budget = budgets.get(precision, budgets["fp32"]) if role == "candidate" else None
    return ModelSummary(model=str(runner.path), backend=runner.backend, precision=precision, role=role, budget=budget)
