"""The Markdown model card written beside a trained checkpoint: data, command, losses, training, held-out scores,
and optionally the same scores of a model before it."""

from dataclasses import dataclass

from tabulate import tabulate

from lowlight_edge.train.evaluate import against_identity

METRICS = (("psnr", "PSNR", "{:.2f}"), ("ssim", "SSIM", "{:.3f}"), ("lpips", "LPIPS", "{:.3f}"))


def _shot(row: dict) -> str:
    """The camera response a frame was shot with (reports from before cameras: the identity sensor in daylight)."""
    return f"{row.get('camera', 'identity')}, {row.get('light', 'D65')}"


def score_table(held_out: dict) -> str:
    """One row per held-out frame and a mean row; model and naive columns for each metric measured."""
    measured = [m for m in METRICS if f"model_{m[0]}" in held_out["mean"]]
    columns = [(who, key, label, fmt) for who in ("model", "naive") for key, label, fmt in measured
               if f"{who}_{key}" in held_out["mean"]]

    def cells(row):
        return [fmt.format(row[f"{who}_{key}"]) for who, key, _, fmt in columns]

    rows = [[r["image"], _shot(r), f"{r['ratio']:g}", f"{r['iso']:g}", *cells(r)] for r in held_out["rows"]]
    rows.append(["**mean**", "", "", "", *cells(held_out["mean"])])
    headers = ["held-out image", "camera, light", "ratio", "ISO", *(f"{who} {label}" for who, _, label, _ in columns)]
    return tabulate(rows, headers=headers, tablefmt="github", disable_numparse=True)


def colour_table(held_out: dict) -> str:
    """One row per camera response: the model's scores, each channel's mean over the truth's, and how far both are
    from the identity sensor's (the colour a real camera's file gets, against the sensor the model knows best)."""
    groups = held_out.get("by_response") or []
    reference = next((g for g in groups if (g["camera"], g["light"]) == ("identity", "D65")), None)
    rows = []
    for g in groups:
        colour, psnr = against_identity(reference, g) if reference else (None, None)
        rows.append([g["camera"], g["light"], f"{g['model_psnr']:.2f}", f"{g['model_ssim']:.3f}",
                     f"{g['model_lpips']:.3f}" if "model_lpips" in g else "-",
                     " / ".join(f"{v:.3f}" for v in g["model_channel_ratio"]),
                     f"{100 * colour:.1f}%" if colour is not None else "-",
                     f"{psnr:+.2f}" if psnr is not None else "-"])
    headers = ["camera", "light", "PSNR", "SSIM", "LPIPS", "mean / truth (R / G / B)", "colour vs identity",
               "PSNR vs identity"]
    return tabulate(rows, headers=headers, tablefmt="github", disable_numparse=True)


@dataclass(frozen=True)
class EarlierModel:
    """A model the card compares against on the same held-out frames (e.g. the bundled model this one replaces)."""

    label: str  # what it is, e.g. "the bundled model at f61ccff"
    sha256: str
    held_out: dict  # evaluate_held_out's result for it


def before_after_table(before: dict, after: dict) -> str:
    """Per frame and mean: each metric measured for both models, before then after."""
    measured = [m for m in METRICS if f"model_{m[0]}" in before["mean"] and f"model_{m[0]}" in after["mean"]]

    def cells(b, a):
        return [fmt.format(row[f"model_{key}"]) for key, _, fmt in measured for row in (b, a)]

    rows = [[a["image"], _shot(a), f"{a['ratio']:g}", f"{a['iso']:g}", *cells(b, a)]
            for b, a in zip(before["rows"], after["rows"], strict=True)]
    rows.append(["**mean**", "", "", "", *cells(before["mean"], after["mean"])])
    headers = ["held-out image", "camera, light", "ratio", "ISO", *(f"{label} {when}" for _, label, _ in measured
                                                                   for when in ("before", "now"))]
    return tabulate(rows, headers=headers, tablefmt="github", disable_numparse=True)


def before_after_section(earlier: EarlierModel, held_out: dict) -> str:
    return f"""
## Before and after

The same held-out frames through this model and through an earlier one, {earlier.label} (sha256
{earlier.sha256[:12]}); the grid below shows both.

{before_after_table(earlier.held_out, held_out)}
"""


def losses(cfg: dict) -> str:
    terms = [f"L1 weight {cfg['l1_weight']}"]
    if cfg["adv_weight"]:
        terms.append(f"adversarial weight {cfg['adv_weight']}")
    if cfg.get("lpips_weight"):
        terms.append(f"LPIPS (AlexNet v0.1, frozen) weight {cfg['lpips_weight']}")
    return ", ".join(terms)


def training_kind(cfg: dict) -> str:
    """How the losses steer the generator: a conditional GAN only while the adversarial term is on."""
    if cfg["adv_weight"]:
        return f"as a conditional GAN ({losses(cfg)}; PatchGAN discriminator width {cfg['disc_width']})"
    return (f"with {losses(cfg)}, the adversarial term off (weight 0: the PatchGAN discriminator trained beside it "
            "does not steer the generator)")


def model_card(name: str, report: dict, grid_name: str | None = None, earlier: EarlierModel | None = None,
               note: str | None = None) -> str:
    """The card; `earlier` adds a before-and-after section, `note` a closing paragraph (e.g. why this recipe)."""
    m = report["held_out"]["mean"]
    cfg = report["config"]
    if report["data"].startswith("SID"):
        data = (f"{report['data']}: short exposures packed and amplified by the SID ratio, long exposures "
                "rendered by LibRaw (camera white balance, no auto-brightness) as the ground truth.")
    else:
        data = (f"{report['data']}. Crops at scales 0.5-1 with flips, per-channel colour (+-20%) and exposure "
                "(0.6-1.4x) jitter, then the project's sensor model: ratio 50-350, ISO 800-6400 (log-uniform), "
                "random CFA phase, Poisson-Gaussian noise, 14 bits; the clean crop is the ground truth. No "
                "photograph used to calibrate INT8, choose fallback layers or validate is among them.")
    shown = "naive pipeline, before, this model, ground truth" if earlier else "naive pipeline, model, ground truth"
    grid = f"\n![held-out frames: {shown}]({grid_name})\n" if grid_name else ""
    comparison = before_after_section(earlier, report["held_out"]) if earlier else ""
    closing = f"\n{note.strip()}\n" if note else ""
    lpips_note = (" LPIPS: AlexNet v0.1 against the clean image (lower is better)."
                  if "model_lpips" in m else "")
    convention = cfg["generator"].get("input_convention", "camera")
    if convention == "neutral":
        convention_text = ("**neutral**: each file is white-balanced and converted to linear sRGB primaries with its "
                           "own colour metadata (DNG ColorMatrix/ForwardMatrix/AsShotNeutral, LibRaw for other "
                           "formats) before the network, so one model serves every camera and light")
        limits = ("synthetic training data: real cameras' published colour responses and a Poisson-Gaussian noise "
                  "model, not real sensors' noise (train on SID with `--sid` for one real camera's)")
    else:
        convention_text = ("**camera**: the raw as the sensor recorded it, without white balance (as SID trains): "
                           "the model knows one camera's colour")
        limits = ("synthetic training data with an identity colour response; on real camera RAW files the colour "
                  "rendering and noise statistics differ (train on SID with `--sid` for real cameras)")
    colours = ""
    if len(report["held_out"].get("by_response") or []) > 1:
        colours = f"""
## Colour: one row per camera response

The same held-out frames shot by the identity sensor and by cameras the training never saw, under incandescent
light (A) and daylight (D65), each file carrying its camera's colour tags. Mean / truth: each channel's mean over
the ground truth's (1, 1, 1 is right; a cast shows as unequal values). The last two columns compare with the
identity sensor.

{colour_table(report['held_out'])}
"""
    return f"""# Model card: {name}

Attention U-Net generator (width {cfg['generator']['width']}, depth {cfg['generator']['depth']}), trained by
`lowlight-edge train` {training_kind(cfg)}.

- **Input convention**: {convention_text}.
- **Data**: {data}
- **Held out** (never trained on): the images in the table below, one frame per camera response and (ratio, ISO)
  condition, seeded.
- **Command**: `{report['command']}`
- **Training**: {report['steps_done']} steps of {cfg['batch']} x {cfg['patch']}x{cfg['patch']} packed patches,
  seed {cfg['seed']}, {report['minutes']} min on {report['machine']}, PyTorch {report['torch']}.
- **Limits**: {limits}.

## Held-out evaluation

PSNR (dB) and SSIM (scikit-image, data range 1, RGB) against the clean image.{lpips_note} Naive pipeline:
amplify the RAW by the ratio, then LibRaw's demosaic and sRGB rendering of the same DNG file.

{score_table(report['held_out'])}

Margin over the naive pipeline: **{m['model_psnr'] - m['naive_psnr']:+.2f} dB PSNR**.
{colours}{comparison}{grid}{closing}"""
