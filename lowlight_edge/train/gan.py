"""Conditional GAN training of the generator: L1 + adversarial loss against a PatchGAN discriminator.

The recipe of the paper (and of pix2pix): the generator minimises `l1_weight * L1(G(x), y) +
adv_weight * BCE(D(x, G(x)), real)`, plus, optionally, `lpips_weight * LPIPS(G(x), y)` with the project's
frozen LPIPS (AlexNet v0.1), which punishes the coloured blotches L1 tolerates; the discriminator learns to
tell (x, y) from (x, G(x)). Deterministic for a seed on a CPU: seeded weights, seeded data stream,
single-process loading. On CUDA, `amp` runs the forward passes in bfloat16 (no loss scaling needed).
"""

import time
from dataclasses import dataclass, field
from typing import Callable

from lowlight_edge.deps import require
from lowlight_edge.model.config import GeneratorConfig


@dataclass
class TrainConfig:
    generator: GeneratorConfig = field(default_factory=lambda: GeneratorConfig(width=16))
    steps: int = 2000
    batch: int = 8
    patch: int = 64  # packed patch size (the RGB target is twice that)
    lr: float = 2e-4
    l1_weight: float = 1.0
    adv_weight: float = 0.01
    lpips_weight: float = 0.0
    lpips_weights: str | None = None  # LPIPS weights file; None: the cached ones (`lowlight-edge weights fetch`)
    device: str = "cpu"
    amp: bool = False
    disc_width: int = 32
    seed: int = 0
    validate_every: int = 250
    time_limit_s: float | None = None  # stop early (at a step boundary) when exceeded
    init: str | None = None  # the checkpoint whose weights the generator starts from (recorded; None: seeded init)


@dataclass
class TrainResult:
    model: object
    steps_done: int
    seconds: float
    history: list[dict]


def train_gan(config: TrainConfig, next_batch: Callable[[int], tuple],  # (packed, target): arrays or tensors
              validate: Callable[[object], dict] | None = None, on_step: Callable[[int, dict], None] = lambda *_: None,
              init_state: dict | None = None) -> TrainResult:
    """Train; `init_state` (a generator state dict of the same architecture) starts from earlier weights."""
    torch = require("torch", "training")
    from lowlight_edge.model.discriminator import PatchDiscriminator
    from lowlight_edge.model.generator import AttentionUNet

    torch.manual_seed(config.seed)
    device = torch.device(config.device)
    gen = AttentionUNet(config.generator)
    if init_state is not None:
        gen.load_state_dict(init_state)
    gen = gen.to(device)
    disc = PatchDiscriminator(width=config.disc_width).to(device)
    perceptual = _perceptual(config, device)
    autocast = lambda: torch.autocast(device.type, dtype=torch.bfloat16, enabled=config.amp)  # noqa: E731
    opt_g = torch.optim.Adam(gen.parameters(), lr=config.lr, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(disc.parameters(), lr=config.lr, betas=(0.5, 0.999))
    schedule_g = torch.optim.lr_scheduler.CosineAnnealingLR(opt_g, T_max=config.steps, eta_min=config.lr * 0.05)
    bce = torch.nn.BCEWithLogitsLoss()
    history: list[dict] = []
    start = time.monotonic()
    step = 0
    for step in range(1, config.steps + 1):
        packed, target = (torch.as_tensor(a).to(device) for a in next_batch(config.batch))
        with autocast():
            fake = gen(packed)

        opt_d.zero_grad(set_to_none=True)
        with autocast():
            real_logits, fake_logits = disc(packed, target), disc(packed, fake.detach())
        real_logits, fake_logits = real_logits.float(), fake_logits.float()
        loss_d = 0.5 * (bce(real_logits, torch.ones_like(real_logits)) + bce(fake_logits, torch.zeros_like(fake_logits)))
        loss_d.backward()
        opt_d.step()

        opt_g.zero_grad(set_to_none=True)
        with autocast():
            adv_logits = disc(packed, fake)
            loss_l1 = torch.nn.functional.l1_loss(fake.float(), target)
            loss_adv = bce(adv_logits.float(), torch.ones_like(adv_logits, dtype=torch.float32))
            loss_g = config.l1_weight * loss_l1 + config.adv_weight * loss_adv
            if perceptual is not None:
                loss_lpips = perceptual(fake.float().clamp(0, 1), target).mean()
                loss_g = loss_g + config.lpips_weight * loss_lpips
        loss_g.backward()
        opt_g.step()
        schedule_g.step()

        stats = {"step": step, "l1": loss_l1.item(), "adv": loss_adv.item(), "disc": loss_d.item()}
        if perceptual is not None:
            stats["lpips"] = loss_lpips.item()
        if validate and (step % config.validate_every == 0 or step == config.steps):
            gen.eval()
            stats.update(validate(gen))
            gen.train()
            history.append(stats)
        on_step(step, stats)
        if config.time_limit_s and time.monotonic() - start > config.time_limit_s:
            break
    gen.eval()
    return TrainResult(model=gen.cpu(), steps_done=step, seconds=time.monotonic() - start, history=history)


def _perceptual(config: TrainConfig, device):
    """The frozen LPIPS network for the perceptual term, or None when its weight is 0."""
    if not config.lpips_weight:
        return None
    from pathlib import Path

    from lowlight_edge.metrics.lpips import LPIPS

    return LPIPS.from_weights(Path(config.lpips_weights) if config.lpips_weights else None).to(device)
