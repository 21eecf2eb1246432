"""`lowlight-edge train`: train the generator as a conditional GAN, on SID or on synthetic pairs."""

import argparse
from pathlib import Path

from lowlight_edge.commands.common import LazyBar, say
from lowlight_edge.commands.options import add_force
from lowlight_edge.model.config import PRESETS
from lowlight_edge.raw.colour import CONVENTIONS


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "train", help="train the generator (conditional GAN: L1 + adversarial)",
        description="Train the Attention U-Net generator against a conditional PatchGAN discriminator with "
        "L1 + adversarial (+ optional LPIPS) loss. Data: a SID list (--sid), or synthetic short exposures made by "
        "the project's sensor model from procedural dead-leaves scenes and scikit-image's training photographs "
        "(the default), with scale, flip, colour, exposure, ratio, ISO and CFA-phase variation. Deterministic for "
        "a --seed on a CPU; --device cuda makes the patches on the GPU too. Writes the checkpoint (safetensors), "
        "a JSON report, a Markdown model card and a PNG grid of held-out frames beside it, with held-out "
        "PSNR/SSIM/LPIPS against the naive pipeline (amplify + LibRaw demosaic).",
    )
    p.add_argument("-o", "--output", type=Path, required=True, help="checkpoint to write (*.safetensors)")
    p.add_argument("--sid", type=Path, default=None, metavar="LIST",
                   help="train on SID pairs from a list such as Sony_train_list.txt (default: synthetic pairs)")
    p.add_argument("--sid-root", type=Path, default=None, help="dataset root for --sid (default: the list's folder)")
    p.add_argument("--width", default="lite", help=f"generator width or preset {PRESETS} (default lite)")
    p.add_argument("--input-convention", choices=CONVENTIONS, default=None,
                   help="what the network sees: neutral (each file's white balance and colour matrix applied first, "
                   "so one model serves every camera; synthetic patches then come from several real cameras' colour "
                   "responses under 2800-7500 K lights) or camera (the raw as one camera recorded it, as SID trains). "
                   "Default: neutral for synthetic data, camera for --sid")
    p.add_argument("--steps", type=int, default=2000, help="optimisation steps (default 2000)")
    p.add_argument("--batch", type=int, default=8, help="patches per step (default 8)")
    p.add_argument("--patch", type=int, default=64, help="packed patch size, a multiple of 16, >= 32 (default 64)")
    p.add_argument("--lr", type=float, default=2e-4, help="Adam learning rate, cosine-annealed (default 2e-4)")
    p.add_argument("--l1-weight", type=float, default=1.0, help="weight of the L1 loss (default 1)")
    p.add_argument("--adv-weight", type=float, default=0.01, help="weight of the adversarial loss (default 0.01)")
    p.add_argument("--lpips-weight", type=float, default=0.0,
                   help="weight of a perceptual loss, the project's frozen LPIPS (AlexNet v0.1; needs "
                   "`lowlight-edge weights fetch`); 0 turns it off (default 0)")
    p.add_argument("--lpips-weights", type=Path, default=None, metavar="FILE",
                   help="LPIPS weight file for the loss and the held-out LPIPS (default: the cached ones)")
    p.add_argument("--dead-leaves", type=int, default=256, metavar="N",
                   help="procedural dead-leaves scenes made for synthetic training (default 256)")
    p.add_argument("--procedural-share", type=float, default=0.5, metavar="P",
                   help="share of patches cut from dead-leaves scenes, the rest from photographs (default 0.5)")
    p.add_argument("--device", default="cpu", help="where to train: cpu (default) or cuda[:N]")
    p.add_argument("--amp", action="store_true", help="bfloat16 autocast on CUDA (not on CPU)")
    p.add_argument("--validate-every", type=int, default=250, help="held-out PSNR every N steps (default 250)")
    p.add_argument("--time-limit", type=float, default=None, metavar="MIN", help="stop after MIN minutes")
    p.add_argument("--seed", type=int, default=0, help="seed for weights and data (default 0)")
    p.add_argument("--threads", type=int, default=None, help="PyTorch threads (default: one per core)")
    p.add_argument("--before", type=Path, default=None, metavar="CHECKPOINT",
                   help="an earlier checkpoint (e.g. the model this one replaces): the model card compares both on "
                   "the same held-out frames, in a table and a grid")
    p.add_argument("--init", type=Path, default=None, metavar="CHECKPOINT",
                   help="start from this checkpoint's weights (same --width) instead of a seeded initialisation, e.g. "
                   "to fine-tune a model into another input convention")
    add_force(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from lowlight_edge.train.job import TrainJob, train_generator

    job = TrainJob(output=args.output, sid=args.sid, sid_root=args.sid_root, width=args.width,
                   input_convention=args.input_convention, steps=args.steps,
                   batch=args.batch, patch=args.patch, lr=args.lr, l1_weight=args.l1_weight, adv_weight=args.adv_weight,
                   validate_every=args.validate_every, time_limit_min=args.time_limit, seed=args.seed,
                   lpips_weight=args.lpips_weight, lpips_weights=args.lpips_weights, dead_leaves=args.dead_leaves,
                   procedural_share=args.procedural_share, device=args.device, amp=args.amp,
                   threads=args.threads, before=args.before, init=args.init, force=args.force)
    held_out = {"val_psnr": "-"}  # the latest held-out scores, shown until the next check
    with LazyBar(total=job.steps, desc="train", unit="step") as bar:
        def on_step(step, stats):
            held_out.update({f"val_{k[9:]}": v for k, v in stats.items() if k.startswith("held_out_")})
            losses = {k: f"{stats[k]:.4f}" for k in ("l1", "lpips") if k in stats}
            bar.update(1, **losses, disc=f"{stats['disc']:.3f}", **held_out)

        done = train_generator(job, on_step=on_step, log=say)
    m = done.evaluation["mean"]
    lpips = f" / LPIPS {m['model_lpips']:.3f}" if "model_lpips" in m else ""
    say(f"held-out: model PSNR {m['model_psnr']:.2f} dB / SSIM {m['model_ssim']:.3f}{lpips}; naive pipeline PSNR "
        f"{m['naive_psnr']:.2f} dB / SSIM {m['naive_ssim']:.3f} (margin {m['model_psnr'] - m['naive_psnr']:+.2f} dB)")
    say(f"wrote {done.checkpoint}, {done.report}, {done.card}, {done.grid}")
    return 0
