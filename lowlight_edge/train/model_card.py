"""The Markdown model card written beside a trained checkpoint: data, command, training, held-out evaluation."""

from tabulate import tabulate


def model_card(name: str, report: dict) -> str:
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
