"""What `lowlight-edge train` runs: data, the cGAN loop with held-out checks, the checkpoint, its report and card.

Example::

    train_generator(TrainJob(output=Path("mine.safetensors"), steps=3000, lpips_weight=0.2))
"""

import json
import platform
import re
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

from lowlight_edge.deps import require
from lowlight_edge.errors import InputError
from lowlight_edge.fileio.atomic import check_writable, write_text
from lowlight_edge.model.checkpoint import load_generator, save_generator
from lowlight_edge.model.config import GeneratorConfig, parse_width
from lowlight_edge.raw.colour import check_convention
from lowlight_edge.raw.sid import parse_sid_list
from lowlight_edge.train.card import render_earlier, render_held_out, torch_infer, write_card
from lowlight_edge.train.evaluate import evaluate_held_out
from lowlight_edge.train.gan import TrainConfig, train_gan
from lowlight_edge.train.sid_data import SidSampler
from lowlight_edge.train.synthetic import synthetic_factory


@dataclass
class TrainJob:
    output: Path  # the checkpoint (*.safetensors); the report (.json), model card (.md) and its grid (.png) beside it
    sid: Path | None = None  # a SID list to train on; default: synthetic pairs of the training photographs
    sid_root: Path | None = None
    width: str = "lite"  # an integer or a preset
    input_convention: str | None = None  # camera or neutral (raw/colour.py); default: neutral, camera for --sid
    steps: int = 2000
    batch: int = 8
    patch: int = 64
    lr: float = 2e-4
    l1_weight: float = 1.0
    adv_weight: float = 0.01
    lpips_weight: float = 0.0
    lpips_weights: Path | None = None
    dead_leaves: int = 256  # procedural scenes made for synthetic training
    procedural_share: float = 0.5  # share of patches cut from them, the rest from the training photographs
    device: str = "cpu"
    amp: bool = False
    validate_every: int = 250
    time_limit_min: float | None = None
    seed: int = 0
    threads: int | None = None
    before: Path | None = None  # an earlier checkpoint the model card compares against, frame by frame
    init: Path | None = None  # start from this checkpoint's weights (same architecture) instead of a seeded init
    force: bool = False

    def outputs(self) -> tuple[Path, Path, Path, Path]:
        return tuple(self.output.with_suffix(s) for s in (self.output.suffix, ".json", ".md", ".png"))


@dataclass
class TrainOutcome:
    checkpoint: Path
    report: Path
    card: Path
    grid: Path
    evaluation: dict  # held-out PSNR/SSIM of the model and of the naive pipeline
    steps_done: int
    minutes: float


def convention_of(job: TrainJob) -> str:
    """The model's input convention: as asked, else camera for SID (one camera's raw, as SID trains) and neutral
    for synthetic data (every camera the synthetic sensor has)."""
    return check_convention(job.input_convention or ("camera" if job.sid else "neutral"))


def sampler_for(job: TrainJob, log: Callable[[str], None]):
    """(patch sampler, a description of the data for the report)."""
    convention = convention_of(job)
    if job.sid:
        pairs = parse_sid_list(job.sid, job.sid_root)
        return SidSampler(pairs, job.patch, job.seed, convention), f"SID list {job.sid} ({len(pairs)} pairs)"
    return synthetic_factory(job.patch, job.seed, job.device, job.dead_leaves, job.procedural_share, convention, log)


def check_job(job: TrainJob, torch) -> None:
    if job.patch % 16 or job.patch < 32 or job.steps < 1 or job.batch < 1:
        # below 32 the PatchGAN's receptive field shrinks to nothing (instance norm over 1x1)
        raise InputError("--patch must be a multiple of 16 and >= 32, --steps and --batch >= 1")
    if job.lpips_weight < 0 or job.dead_leaves < 0 or not 0 <= job.procedural_share <= 1:
        raise InputError("--lpips-weight and --dead-leaves must be >= 0, --procedural-share in [0, 1]")
    if not job.sid and job.procedural_share > 0 and job.dead_leaves == 0:
        raise InputError("--procedural-share > 0 needs --dead-leaves scenes to draw from")
    if not re.fullmatch(r"cpu|cuda(:\d+)?", job.device):
        raise InputError(f"--device must be cpu, cuda or cuda:N, got {job.device[:40]!r}")
    if job.device.startswith("cuda") and not torch.cuda.is_available():
        raise InputError(f"--device {job.device}: this PyTorch ({torch.__version__}) sees no CUDA device")
    if job.amp and not job.device.startswith("cuda"):
        raise InputError("--amp (bfloat16 autocast) is for --device cuda; CPU training stays FP32 and deterministic")


def held_out_lpips(job: TrainJob, log: Callable[[str], None]):
    """The LPIPS metric for the held-out evaluation, or None (with a note) when its weights are not installed."""
    from lowlight_edge.metrics.lpips_backend import TorchLpips

    try:
        return TorchLpips(job.lpips_weights)
    except InputError as exc:
        if job.lpips_weight:
            raise
        log(f"held-out LPIPS skipped: {exc}")
        return None


def train_generator(job: TrainJob, on_step: Callable[[int, dict], None] = lambda *_: None,
                    log: Callable[[str], None] = lambda _m: None) -> TrainOutcome:
    """Train, evaluate on the held-out photographs, write checkpoint + report + model card.

    `on_step(step, stats)` is called after every step (stats hold l1, disc and, every `validate_every`
    steps, held_out_psnr).
    """
    torch = require("torch", "training")
    check_job(job, torch)
    checkpoint, report_path, card_path, grid_path = job.outputs()
    for path in job.outputs():
        check_writable(path, job.force)
    if job.threads:
        torch.set_num_threads(job.threads)
    convention = convention_of(job)
    config = TrainConfig(generator=GeneratorConfig(width=parse_width(job.width), input_convention=convention),
                         steps=job.steps, batch=job.batch,
                         patch=job.patch, lr=job.lr, l1_weight=job.l1_weight, adv_weight=job.adv_weight,
                         lpips_weight=job.lpips_weight, device=job.device, amp=job.amp, seed=job.seed,
                         lpips_weights=str(job.lpips_weights) if job.lpips_weights else None,
                         validate_every=job.validate_every, init=str(job.init) if job.init else None,
                         time_limit_s=job.time_limit_min * 60 if job.time_limit_min else None)
    lpips = held_out_lpips(job, log)
    earlier = load_generator(job.before) if job.before else None  # refused now, not after the training
    init_state = initial_weights(job.init, config.generator) if job.init else None
    sampler, data_desc = sampler_for(job, log)

    def validate(model):
        mean = evaluate_held_out(torch_infer(model), convention=convention, with_naive=False, lpips=lpips)["mean"]
        return {f"held_out_{key}": round(mean[f"model_{key}"], 4) for key in ("psnr", "lpips") if f"model_{key}" in mean}

    log(f"training width {config.generator.width} on {data_desc}, {config.steps} steps of {config.batch}x"
        f"{config.patch}x{config.patch} packed patches, seed {config.seed}")
    result = train_gan(config, sampler.batch, validate=validate, on_step=on_step, init_state=init_state)
    log(f"trained {result.steps_done} steps in {result.seconds / 60:.1f} min; evaluating on held-out images")
    rendering = render_held_out(torch_infer(result.model), lpips, convention)
    evaluation = rendering.evaluation
    save_generator(result.model, checkpoint, force=job.force,
                   extra_metadata={"lowlight_edge.trained": "true", "lowlight_edge.data": data_desc})
    report = {
        "command": " ".join(["lowlight-edge"] + sys.argv[1:]),
        "data": data_desc, "config": {**vars(config), "generator": json.loads(config.generator.to_json())},
        "steps_done": result.steps_done, "minutes": round(result.seconds / 60, 2),
        "machine": _machine(job, torch),
        "torch": torch.__version__, "history": result.history, "held_out": evaluation,
    }
    write_text(report_path, json.dumps(report, indent=2) + "\n", job.force)
    compared = render_earlier(earlier, str(job.before), lpips) if earlier else None
    write_card(checkpoint.name, report, rendering, card_path, grid_path, compared, force=job.force)
    return TrainOutcome(checkpoint, report_path, card_path, grid_path, evaluation, result.steps_done, report["minutes"])


def initial_weights(path: Path, config: GeneratorConfig) -> dict:
    """The weights of an earlier checkpoint to start from, refused unless its architecture is the job's (its input
    convention may differ: fine-tuning a camera model into a neutral one is what it is for)."""
    loaded = load_generator(path)
    mine, theirs = (replace(c, input_convention="camera") for c in (config, loaded.config))
    if mine != theirs:
        raise InputError(f"--init {path}: its architecture {loaded.config.to_json()} is not the job's "
                         f"{config.to_json()} (match --width)")
    return loaded.model.state_dict()


def _machine(job: TrainJob, torch) -> str:
    if job.device.startswith("cuda"):
        return f"{torch.cuda.get_device_name(torch.device(job.device))} ({job.device}{', bf16 autocast' if job.amp else ''})"
    return f"{platform.processor() or platform.machine()}, {torch.get_num_threads()} threads"
