"""What `lowlight-edge train` runs: data, the cGAN loop with held-out checks, the checkpoint, its report and card.

Example::

    train_generator(TrainJob(output=Path("mine.safetensors"), steps=3000))
"""

import json
import platform
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from lowlight_edge.deps import require
from lowlight_edge.errors import InputError
from lowlight_edge.fileio.atomic import check_writable, write_text
from lowlight_edge.model.checkpoint import save_generator
from lowlight_edge.model.config import GeneratorConfig, parse_width
from lowlight_edge.raw.scenes import TRAIN_IMAGES
from lowlight_edge.raw.sid import parse_sid_list
from lowlight_edge.train.evaluate import evaluate_held_out
from lowlight_edge.train.gan import TrainConfig, train_gan
from lowlight_edge.train.model_card import model_card
from lowlight_edge.train.sid_data import SidSampler
from lowlight_edge.train.synthetic import PatchSampler


@dataclass
class TrainJob:
    output: Path  # the checkpoint (*.safetensors); the report (.json) and model card (.md) go beside it
    sid: Path | None = None  # a SID list to train on; default: synthetic pairs of the training photographs
    sid_root: Path | None = None
    width: str = "lite"  # an integer or a preset
    steps: int = 2000
    batch: int = 8
    patch: int = 64
    lr: float = 2e-4
    l1_weight: float = 1.0
    adv_weight: float = 0.01
    validate_every: int = 250
    time_limit_min: float | None = None
    seed: int = 0
    threads: int | None = None
    force: bool = False

    def outputs(self) -> tuple[Path, Path, Path]:
        return self.output, self.output.with_suffix(".json"), self.output.with_suffix(".md")


@dataclass
class TrainOutcome:
    checkpoint: Path
    report: Path
    card: Path
    evaluation: dict  # held-out PSNR/SSIM of the model and of the naive pipeline
    steps_done: int
    minutes: float


def sampler_for(job: TrainJob):
    """(patch sampler, a description of the data for the report)."""
    if job.sid:
        pairs = parse_sid_list(job.sid, job.sid_root)
        return SidSampler(pairs, job.patch, job.seed), f"SID list {job.sid} ({len(pairs)} pairs)"
    return (PatchSampler(TRAIN_IMAGES, job.patch, job.seed),
            f"synthetic short exposures of scikit-image samples {', '.join(TRAIN_IMAGES)}")


def train_generator(job: TrainJob, on_step: Callable[[int, dict], None] = lambda *_: None,
                    log: Callable[[str], None] = lambda _m: None) -> TrainOutcome:
    """Train, evaluate on the held-out photographs, write checkpoint + report + model card.

    `on_step(step, stats)` is called after every step (stats hold l1, disc and, every `validate_every`
    steps, held_out_psnr).
    """
    torch = require("torch", "training")
    if job.patch % 16 or job.patch < 32 or job.steps < 1 or job.batch < 1:
        # below 32 the PatchGAN's receptive field shrinks to nothing (instance norm over 1x1)
        raise InputError("--patch must be a multiple of 16 and >= 32, --steps and --batch >= 1")
    checkpoint, report_path, card_path = job.outputs()
    for path in job.outputs():
        check_writable(path, job.force)
    if job.threads:
        torch.set_num_threads(job.threads)
    config = TrainConfig(generator=GeneratorConfig(width=parse_width(job.width)), steps=job.steps, batch=job.batch,
                         patch=job.patch, lr=job.lr, l1_weight=job.l1_weight, adv_weight=job.adv_weight, seed=job.seed,
                         validate_every=job.validate_every,
                         time_limit_s=job.time_limit_min * 60 if job.time_limit_min else None)
    sampler, data_desc = sampler_for(job)

    def infer_with(model):
        def infer(x):
            with torch.inference_mode():
                return model(torch.from_numpy(x)).numpy()
        return infer

    def validate(model):
        result = evaluate_held_out(infer_with(model), with_naive=False)
        return {"held_out_psnr": round(result["mean"]["model_psnr"], 3)}

    log(f"training width {config.generator.width} on {data_desc}, {config.steps} steps of {config.batch}x"
        f"{config.patch}x{config.patch} packed patches, seed {config.seed}")
    result = train_gan(config, sampler.batch, validate=validate, on_step=on_step)
    log(f"trained {result.steps_done} steps in {result.seconds / 60:.1f} min; evaluating on held-out images")
    evaluation = evaluate_held_out(infer_with(result.model))
    save_generator(result.model, checkpoint, force=job.force,
                   extra_metadata={"lowlight_edge.trained": "true", "lowlight_edge.data": data_desc})
    report = {
        "command": " ".join(["lowlight-edge"] + sys.argv[1:]),
        "data": data_desc, "config": {**vars(config), "generator": json.loads(config.generator.to_json())},
        "steps_done": result.steps_done, "minutes": round(result.seconds / 60, 2),
        "machine": f"{platform.processor() or platform.machine()}, {torch.get_num_threads()} threads",
        "torch": torch.__version__, "history": result.history, "held_out": evaluation,
    }
    write_text(report_path, json.dumps(report, indent=2) + "\n", job.force)
    write_text(card_path, model_card(checkpoint.name, report), job.force)
    return TrainOutcome(checkpoint, report_path, card_path, evaluation, result.steps_done, report["minutes"])
