"""Validate: the accuracy drift of candidate models against a reference, on one frame source, with budgets.

What `lowlight-edge validate` runs, and what scripts call:

Example::

    report = validate("model.fp32.onnx", ["model.int8.onnx"], synthetic=2)
    report.failed
    # -> []
"""

from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from lowlight_edge.engines.backends import backends_for
from lowlight_edge.engines.options import RunnerOptions
from lowlight_edge.engines.select import open_runner
from lowlight_edge.errors import BackendUnavailable, InputError, MissingDependency
from lowlight_edge.fileio.json_safe import json_safe
from lowlight_edge.machine import environment
from lowlight_edge.metrics.drift import DEFAULT_BUDGETS, run_drift
from lowlight_edge.metrics.lpips_backend import load_lpips
from lowlight_edge.raw import datasets
from lowlight_edge.raw.cameras import HELD_OUT_CAMERAS, camera_shots
from lowlight_edge.raw.sid import count_sid_pairs
from lowlight_edge.raw.synth_frames import IDENTITY_SHOT

SCHEMA = "lowlight-edge.validate/1"


@dataclass
class ValidationReport:
    budgets: dict[str, float]
    lpips_backend: str
    models: list[dict]  # one aggregate per model, the reference first
    images: list[dict]  # one row per image and model
    environment: dict
    skipped: list[dict] = field(default_factory=list)  # candidate/backend pairs that cannot run here, with why

    @property
    def failed(self) -> list[dict]:
        return [a for a in self.models if a["passed"] is False]

    def first_skips(self) -> dict[str, str]:
        """For each model that skipped frames, why it skipped the first one."""
        skips: dict[str, str] = {}
        for row in self.images:
            if row.get("skipped"):
                skips.setdefault(row["model"], row["skipped"])
        return skips

    def document(self) -> dict:
        """The JSON report (non-finite numbers as null)."""
        return json_safe({"schema": SCHEMA, "budgets": self.budgets, "lpips_backend": self.lpips_backend,
                          "models": self.models, "skipped": self.skipped, "images": self.images,
                          "environment": self.environment})


def frame_source(data: Path | None = None, sid: Path | None = None, sid_root: Path | None = None,
                 synthetic: int | None = None, ratio: float | None = None,
                 convention: str = "camera") -> tuple[Iterator, int]:
    """(samples, how many) from exactly one of: a RAW folder, a SID list, N synthetic held-out frames; packed for a
    model of input convention `convention` (a neutral model's synthetic frames are shot by the held-out cameras)."""
    if sum(x is not None for x in (data, sid, synthetic)) != 1:
        raise InputError("give exactly one frame source: a RAW folder, a SID list or a number of synthetic frames")
    if data is not None:
        return datasets.folder_samples(data, ratio, convention), len(datasets.raw_files_in(data))
    if sid is not None:
        return datasets.sid_samples(sid, sid_root, convention), count_sid_pairs(sid)
    shots = camera_shots(HELD_OUT_CAMERAS) if convention == "neutral" else IDENTITY_SHOT
    return datasets.synthetic_samples(synthetic, convention=convention, shots=shots), synthetic


def validate(reference: Path, candidates: list[Path], *, backends: list[str] | None = None, data: Path | None = None, sid: Path | None = None,
             sid_root: Path | None = None, synthetic: int | None = None, ratio: float | None = None,
             budgets: dict[str, float] | None = None, options: RunnerOptions | None = None,
             lpips_weights: Path | None = None, lpips_onnx: Path | None = None, grids: Path | None = None,
             on_image: Callable[[int], None] = lambda total: None) -> ValidationReport:
    """Run `reference` and every candidate on the same frames; LPIPS/PSNR/SSIM drift and the budget verdicts.

    Args:
        reference: the model the candidates are compared with (usually the FP32 checkpoint or ONNX).
        candidates: models of any kind (checkpoint, ONNX, engine).
        backends: each candidate runs on every one of these that takes its kind (its own row and verdict:
            drift is measured on what actually runs); default: its kind's default backend.
        data / sid (+ sid_root) / synthetic: exactly one frame source (see `frame_source`).
        budgets: mean LPIPS drift allowed per precision (default fp32/fp16 0.002, int8 0.01).
        options: threads, tiling and engine trust for every runner.
        grids: a folder for one image grid per image and candidate.
        on_image: called after each frame with the number of frames (progress).
    Returns:
        a ValidationReport; `failed` lists the candidates over budget or with non-finite outputs.
    """
    budgets = budgets or dict(DEFAULT_BUDGETS)
    lpips = load_lpips(lpips_weights, lpips_onnx)
    frame_source(data, sid, sid_root, synthetic, ratio)  # a bad source is refused before any model loads
    with ExitStack() as stack:
        ref_runner = stack.enter_context(open_runner(reference, options=options))
        samples, total = frame_source(data, sid, sid_root, synthetic, ratio, ref_runner.input_convention)
        runners, skipped = [], []
        for candidate in candidates:
            for backend in backends_for(Path(candidate), backends):
                try:  # a backend that cannot run a candidate here is a row with the reason, as in bench
                    runners.append(stack.enter_context(open_runner(candidate, backend, options=options)))
                except (BackendUnavailable, MissingDependency) as exc:
                    skipped.append({"model": str(candidate), "backend": backend, "reason": str(exc)})
        summaries, rows = run_drift(ref_runner, runners, samples, lpips, budgets, grids, lambda: on_image(total))
    threads = options.threads if options else None
    return ValidationReport(budgets, lpips.backend, [s.aggregate() for s in summaries], rows,
                            environment.capture(threads), skipped)
