"""`lowlight-edge train`: train the generator as a conditional GAN, on SID or on synthetic pairs."""

import argparse
import json
import platform
import sys
from pathlib import Path

from lowlight_edge.commands.common import add_force, say
from lowlight_edge.model.config import PRESETS


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "train", help="train the generator (conditional GAN: L1 + adversarial)",
        description="Train the Attention U-Net generator against a conditional PatchGAN discriminator with "
        "L1 + adversarial loss. Data: a SID list (--sid), or synthetic short exposures made by the project's "
        "sensor model from scikit-image's sample photographs (the default). Deterministic for a --seed. "
        "Writes the checkpoint (safetensors), a JSON report and a Markdown model card beside it, with "
        "held-out PSNR/SSIM against the naive pipeline (amplify + LibRaw demosaic).",
    )
    p.add_argument("-o", "--output", type=Path, required=True, help="checkpoint to write (*.safetensors)")
    p.add_argument("--sid", type=Path, default=None, metavar="LIST",
                   help="train on SID pairs from a list such as Sony_train_list.txt (default: synthetic pairs)")
    p.add_argument("--sid-root", type=Path, default=None, help="dataset root for --sid (default: the list's folder)")
    p.add_argument("--width", default="lite", help=f"generator width or preset {PRESETS} (default lite)")
    p.add_argument("--steps", type=int, default=2000, help="optimisation steps (default 2000)")
    p.add_argument("--batch", type=int, default=8, help="patches per step (default 8)")
    p.add_argument("--patch", type=int, default=64, help="packed patch size, a multiple of 16, >= 32 (default 64)")
    p.add_argument("--lr", type=float, default=2e-4, help="Adam learning rate, cosine-annealed (default 2e-4)")
    p.add_argument("--l1-weight", type=float, default=1.0, help="weight of the L1 loss (default 1)")
    p.add_argument("--adv-weight", type=float, default=0.01, help="weight of the adversarial loss (default 0.01)")
    p.add_argument("--validate-every", type=int, default=250, help="held-out PSNR every N steps (default 250)")
    p.add_argument("--time-limit", type=float, default=None, metavar="MIN", help="stop after MIN minutes")
    p.add_argument("--seed", type=int, default=0, help="seed for weights and data (default 0)")
    p.add_argument("--threads", type=int, default=None, help="PyTorch threads (default: one per core)")
    add_force(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from lowlight_edge.deps import require
    from lowlight_edge.errors import InputError
    from lowlight_edge.fileio.atomic import check_writable, write_text
    from lowlight_edge.model.checkpoint import save_generator
    from lowlight_edge.model.config import GeneratorConfig, parse_width
    from lowlight_edge.train.evaluate import evaluate_held_out
    from lowlight_edge.train.gan import TrainConfig, train_gan

    torch = require("torch", "training")
    if args.patch % 16 or args.patch < 32 or args.steps < 1 or args.batch < 1:
        # below 32 the PatchGAN's receptive field shrinks to nothing (instance norm over 1x1)
        raise InputError("--patch must be a multiple of 16 and >= 32, --steps and --batch >= 1")
    report_path, card_path = args.output.with_suffix(".json"), args.output.with_suffix(".md")
    for path in (args.output, report_path, card_path):
        check_writable(path, args.force)
    if args.threads:
        torch.set_num_threads(args.threads)
    config = TrainConfig(generator=GeneratorConfig(width=parse_width(args.width)), steps=args.steps,
                         batch=args.batch, patch=args.patch, lr=args.lr, l1_weight=args.l1_weight,
                         adv_weight=args.adv_weight, seed=args.seed, validate_every=args.validate_every,
                         time_limit_s=args.time_limit * 60 if args.time_limit else None)
    sampler, data_desc = _sampler(args)

    def infer_with(model):
        def infer(x):
            with torch.inference_mode():
                return model(torch.from_numpy(x)).numpy()
        return infer

    def validate(model):
        result = evaluate_held_out(infer_with(model), with_naive=False)
        return {"held_out_psnr": round(result["mean"]["model_psnr"], 3)}

    bar = tqdm(total=config.steps, desc="train", unit="step")
    last_val = {}

    def on_step(step, stats):
        if "held_out_psnr" in stats:
            last_val["psnr"] = stats["held_out_psnr"]
        bar.update(1)
        bar.set_postfix(l1=f"{stats['l1']:.4f}", disc=f"{stats['disc']:.3f}", val_psnr=last_val.get("psnr", "-"))

    say(f"training width {config.generator.width} on {data_desc}, {config.steps} steps of {config.batch}x"
        f"{config.patch}x{config.patch} packed patches, seed {config.seed}")
    result = train_gan(config, sampler.batch, validate=validate, on_step=on_step)
    bar.close()
    say(f"trained {result.steps_done} steps in {result.seconds / 60:.1f} min; evaluating on held-out images")
    evaluation = evaluate_held_out(infer_with(result.model))
    save_generator(result.model, args.output, force=args.force,
                   extra_metadata={"lowlight_edge.trained": "true", "lowlight_edge.data": data_desc})
    report = {
        "command": " ".join(["lowlight-edge"] + sys.argv[1:]),
        "data": data_desc, "config": {**vars(config), "generator": json.loads(config.generator.to_json())},
        "steps_done": result.steps_done, "minutes": round(result.seconds / 60, 2),
        "machine": f"{platform.processor() or platform.machine()}, {torch.get_num_threads()} threads",
        "torch": torch.__version__, "history": result.history, "held_out": evaluation,
    }
    write_text(report_path, json.dumps(report, indent=2) + "\n", args.force)
    write_text(card_path, _model_card(args.output.name, report), args.force)
    m = evaluation["mean"]
    say(f"held-out: model PSNR {m['model_psnr']:.2f} dB / SSIM {m['model_ssim']:.3f}; naive pipeline PSNR "
        f"{m['naive_psnr']:.2f} dB / SSIM {m['naive_ssim']:.3f} (margin {m['model_psnr'] - m['naive_psnr']:+.2f} dB)")
    say(f"wrote {args.output}, {report_path}, {card_path}")
    return 0


def _sampler(args):
    if args.sid:
        from lowlight_edge.raw.sid import parse_sid_list
        from lowlight_edge.train.sid_data import SidSampler

        pairs = parse_sid_list(args.sid, args.sid_root)
        return SidSampler(pairs, args.patch, args.seed), f"SID list {args.sid} ({len(pairs)} pairs)"
    from lowlight_edge.raw.scenes import TRAIN_IMAGES
    from lowlight_edge.train.synthetic import PatchSampler

    return (PatchSampler(TRAIN_IMAGES, args.patch, args.seed),
            f"synthetic short exposures of scikit-image samples {', '.join(TRAIN_IMAGES)}")


def _model_card(name: str, report: dict) -> str:
    from tabulate import tabulate

    rows = [[r["image"], f"{r['ratio']:g}", f"{r['iso']:g}", f"{r['model_psnr']:.2f}", f"{r['model_ssim']:.3f}",
             f"{r['naive_psnr']:.2f}", f"{r['naive_ssim']:.3f}"] for r in report["held_out"]["rows"]]
    m = report["held_out"]["mean"]
    rows.append(["**mean**", "", "", f"{m['model_psnr']:.2f}", f"{m['model_ssim']:.3f}", f"{m['naive_psnr']:.2f}",
                 f"{m['naive_ssim']:.3f}"])
    table = tabulate(rows, headers=["held-out image", "ratio", "ISO", "model PSNR", "model SSIM", "naive PSNR",
                                    "naive SSIM"], tablefmt="github", disable_numparse=True)
    cfg = report["config"]
    if report["data"].startswith("SID"):
        data = (f"{report['data']}: short exposures packed and amplified by the SID ratio, long exposures "
                "rendered by LibRaw (camera white balance, no auto-brightness) as the ground truth.")
    else:
        data = (f"{report['data']}. Short exposures made by the project's sensor model (ratios 100/250/300, "
                "ISO 800-6400, random CFA phase, Poisson-Gaussian noise, 14 bits); the clean image is the ground truth.")
    return f"""# Model card: {name}

Attention U-Net generator (width {cfg['generator']['width']}, depth {cfg['generator']['depth']}), trained by
`lowlight-edge train` as a conditional GAN (L1 weight {cfg['l1_weight']}, adversarial weight {cfg['adv_weight']},
PatchGAN discriminator width {cfg['disc_width']}).

- **Data**: {data}
- **Held out** (never trained on): the images in the table below, one frame per (ratio, ISO) condition,
  seeded.
- **Command**: `{report['command']}`
- **Training**: {report['steps_done']} steps of {cfg['batch']} x {cfg['patch']}x{cfg['patch']} packed patches,
  seed {cfg['seed']}, {report['minutes']} min on {report['machine']}, PyTorch {report['torch']}.
- **Limits**: synthetic training data with an identity colour response; on real camera RAW files the colour
  rendering and noise statistics differ (train on SID with `--sid` for real cameras).

## Held-out evaluation

PSNR (dB) and SSIM (scikit-image, data range 1, RGB) against the clean image. Naive pipeline: amplify the
RAW by the ratio, then LibRaw's demosaic and sRGB rendering of the same DNG file.

{table}

Margin over the naive pipeline: **{m['model_psnr'] - m['naive_psnr']:+.2f} dB PSNR**.
"""
