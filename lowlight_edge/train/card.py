"""A trained checkpoint's model card and grid from its held-out frames, optionally beside an earlier model's
renderings of the same frames (what `lowlight-edge card` and `train --before` write).

Example::

    card_for_checkpoint(Path("mine.safetensors"), Path("mine.json"), Path("mine.md"),
                        before=Path("old.safetensors"), before_label="the model it replaces")
"""

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from lowlight_edge.errors import InputError
from lowlight_edge.fileio.atomic import check_writable, write_text
from lowlight_edge.fileio.limits import read_text_limited
from lowlight_edge.model.checkpoint import LoadedCheckpoint, load_generator
from lowlight_edge.train.evaluate import CARD_RESPONSES, HeldOutFrame, evaluate_held_out
from lowlight_edge.train.held_out_grid import write_held_out_grid
from lowlight_edge.train.model_card import EarlierModel, model_card

REPORT_KEYS = ("command", "data", "config", "steps_done", "minutes", "machine", "torch", "held_out")  # what a card reads


@dataclass
class HeldOutRendering:
    evaluation: dict  # evaluate_held_out's rows and means
    frames: list[HeldOutFrame]  # the images, for the grid


def torch_infer(model) -> Callable[[np.ndarray], np.ndarray]:
    import torch

    def infer(x: np.ndarray) -> np.ndarray:
        device = next(model.parameters()).device
        with torch.inference_mode():
            return model(torch.from_numpy(x).to(device)).float().cpu().numpy()
    return infer


def render_held_out(infer: Callable[[np.ndarray], np.ndarray], lpips, convention: str) -> HeldOutRendering:
    """Every held-out frame of every card camera response through a model of input convention `convention`."""
    frames: list[HeldOutFrame] = []
    evaluation = evaluate_held_out(infer, responses=CARD_RESPONSES, convention=convention, lpips=lpips, frames=frames)
    return HeldOutRendering(evaluation, frames)


def render_earlier(loaded: LoadedCheckpoint, label: str, lpips) -> tuple[EarlierModel, list[HeldOutFrame]]:
    rendering = render_held_out(torch_infer(loaded.model), lpips, loaded.config.input_convention)
    return EarlierModel(label, loaded.sha256, rendering.evaluation), rendering.frames


def grid_frames(frames: list[HeldOutFrame]) -> list[HeldOutFrame]:
    """The frames the grid shows: every identity-sensor frame, and for each camera response its first frame."""
    shown, seen = [], set()
    for frame in frames:
        shot = (frame.camera, frame.light)
        if shot == ("identity", "D65") or shot not in seen:
            shown.append(frame)
        seen.add(shot)
    return shown


def write_card(name: str, report: dict, rendering: HeldOutRendering, card: Path, grid: Path,
               earlier: tuple[EarlierModel, list[HeldOutFrame]] | None = None, note: str | None = None,
               force: bool = False) -> None:
    """The grid (with the earlier model's column when given) and the card; `report["held_out"]` is the one shown."""
    shown = grid_frames(rendering.frames)
    before = grid_frames(earlier[1]) if earlier else None
    text = model_card(name, report, grid.name, earlier[0] if earlier else None, note)  # before anything is written
    write_held_out_grid(grid, shown, force=force, before=before)
    write_text(card, text, force)


def card_for_checkpoint(checkpoint: Path, report_path: Path, card: Path, before: Path | None = None,
                        before_label: str | None = None, note: str | None = None, lpips_weights: Path | None = None,
                        force: bool = False, log: Callable[[str], None] = lambda _m: None) -> Path:
    """Re-measure `checkpoint` (and `before`) on the held-out frames; write `card` and its grid (same stem, .png).

    The card shows the scores measured now; the training report supplies the recipe. Returns the grid's path."""
    from lowlight_edge.metrics.lpips_backend import TorchLpips

    grid = card.with_suffix(".png")
    for path in (card, grid):
        check_writable(path, force, create_folder=False)  # a refused card leaves no empty folder behind
    report = read_report(report_path)
    check_report_renders(report, report_path, checkpoint.name)  # a broken report fails before minutes of rendering
    lpips = TorchLpips(lpips_weights)
    loaded = load_generator(checkpoint)
    earlier_checkpoint = load_generator(before) if before else None
    log(f"held-out frames through {checkpoint.name}")
    rendering = render_held_out(torch_infer(loaded.model), lpips, loaded.config.input_convention)
    was, now = report["held_out"]["mean"].get("model_psnr"), rendering.evaluation["mean"]["model_psnr"]
    if was is not None and abs(was - now) > 0.01:
        log(f"note: held-out PSNR measured now {now:.2f} dB, the training report says {was:.2f} dB (the card shows "
            "the scores measured now)")
    earlier = None
    if earlier_checkpoint is not None:
        log(f"held-out frames through {before.name}")
        earlier = render_earlier(earlier_checkpoint, before_label or str(before), lpips)
    write_card(checkpoint.name, {**report, "held_out": rendering.evaluation}, rendering, card, grid, earlier, note,
               force)
    return grid


def check_report_renders(report: dict, path: Path, name: str) -> None:
    """The card renders from this report's own fields (right keys of the right types), or one line says which."""
    try:
        model_card(name, report, "grid.png", None, None)
        report["held_out"]["mean"].get("model_psnr")
    except (KeyError, TypeError, AttributeError, ValueError, IndexError) as exc:
        what = f"field {exc.args[0]!r} missing" if isinstance(exc, KeyError) else f"a field of the wrong type ({exc})"
        raise InputError(f"{path}: not a usable training report: {what}"[:300]) from None


def read_report(path: Path) -> dict:
    """A training report (`train` writes NAME.json beside the checkpoint), refused in one line when unusable."""
    if not os.path.lexists(path):
        raise InputError(f"no training report at {path} (train writes NAME.json beside the checkpoint)")
    try:  # a regular file within the text-size limit, checked before a byte is read (a FIFO or /dev/zero never hang)
        report = json.loads(read_text_limited(Path(path), "training report"))
    except (OSError, ValueError, RecursionError) as exc:
        raise InputError(f"cannot read the training report {path}: {str(exc)[:100]}") from None
    missing = [key for key in REPORT_KEYS if not isinstance(report, dict) or key not in report]
    if missing:
        raise InputError(f"{path} is not a training report that `lowlight-edge train` wrote (no {', '.join(missing)})")
    return report
